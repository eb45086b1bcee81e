"""``SequenceRepository``: a film's one reservation, its shots as free child jobs, and the seconds of a failed
shot given back exactly once (asked, answered, dropped), on both backends."""

import time

from storage import Charge, Cost, JobInputs, NewJob, Spend

WINDOW = 24 * 3600.0


def film(seconds: float) -> tuple[list[NewJob], list[Charge | None]]:
    parent = NewJob("sequence", 1, 10, 5, "local:edit", {"subject": "a film"}, 0.0, inputs=JobInputs(op="sequence"))
    shots = [
        NewJob("shot", 1, 10, 5, "local:storyboard", {"subject": f"shot {n}"}, 0.0, inputs=JobInputs(shot=n, of=3))
        for n in (1, 2, 3)
    ]
    spend = Spend(
        model="runway:gen4_turbo", cost=Cost(units=seconds * 5, unit="credits", usd=seconds * 0.05), month_start=0.0
    )
    charge = Charge(seconds=seconds, window_start=time.time() - WINDOW, user_limit=100.0, spend=spend)
    return [parent, *shots], [charge, None, None, None]


async def test_one_reservation_for_the_film_and_each_drop_refunded_once(storage):
    now = time.time()
    news, charges = film(12.0)
    parent, *shots = await storage.jobs.create_many(news, charges, now, link_to_first=True)
    assert [s.parent_job_id for s in shots] == [parent.id] * 3
    assert [s.cost_seconds for s in shots] == [0, 0, 0] and parent.cost_seconds == 12
    assert [await storage.quota.ledger_state(s.id) for s in shots] == [None] * 3
    assert (await storage.quota.usage(user_id=1, since=0)).used == 12

    asked = await storage.sequences.ask(parent.id, 2, now=now)
    again = await storage.sequences.ask(parent.id, 2, now=now + 5)
    assert asked.asked_at == again.asked_at == now and asked.answer is None
    assert await storage.sequences.answer(parent.id, 2, "finish", now=now + 1)
    assert not await storage.sequences.answer(parent.id, 2, "cancel", now=now + 2)  # the first answer stands

    assert await storage.sequences.drop(parent.id, 2, 4.0, now=now + 3)
    assert not await storage.sequences.drop(parent.id, 2, 4.0, now=now + 4)  # a resumed step: no second refund
    assert (await storage.quota.usage(user_id=1, since=0)).used == 8
    # the dropped shot's dollars go back with its seconds (a third of the film's estimate: 4 of its 12 s)
    assert round((await storage.costs.job_cost(parent.id))["reserved_usd"], 6) == 0.40
    assert round(await storage.costs.spent_since(None, 0), 6) == 0.40
    [decision] = await storage.sequences.decisions(parent.id)
    assert (decision.shot, decision.answer, decision.refunded) == (2, "finish", 4.0)

    await storage.sequences.keep(parent.id, 4.0)  # cancel the rest: only shot 1 was made
    assert (await storage.quota.usage(user_id=1, since=0)).used == 4
    assert round((await storage.costs.job_cost(parent.id))["reserved_usd"], 6) == 0.20
    await storage.jobs.finish(parent.id, parent.state.CANCELLED, now=now, ledger="committed")
    assert await storage.quota.ledger_state(parent.id) == "committed"
    assert (await storage.quota.usage(user_id=1, since=0)).used == 4
    # the made shot's dollars are spent: a film cancelled after shot 1 was made is charged shot 1, not nothing
    settled = await storage.costs.job_cost(parent.id)
    assert settled["state"] == "settled" and round(settled["spent_usd"], 6) == 0.20
