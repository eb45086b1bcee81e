"""The poll schedule (bot.services.jobs.schedule), a pure unit: today's backoff and the adaptive schedule."""

import itertools

import pytest

from bot.services.delivery.ladder import describe_left
from bot.services.jobs.schedule import PollSchedule, stratified


def poll_times(schedule: PollSchedule, finish: float, *, limit: int = 500) -> list[float]:
    """When (s after create) the schedule polls a task that finishes at ``finish``, up to the first poll that sees
    it finished (no jitter)."""
    times, now = [], 0.0
    for _ in range(limit):
        now += schedule.next_wait(now, len(times))
        times.append(now)
        if now >= finish:
            return times
    raise AssertionError("the schedule never reached the finish")


def test_without_history_the_schedule_is_the_backoff():
    schedule = PollSchedule.build(5.0, 30.0, 1.0)
    assert not schedule.adaptive and schedule.seconds_left(3.0) is None
    waits = [schedule.next_wait(0.0, n) for n in range(7)]
    assert waits == [0.0, 7.5, 11.25, 16.875, 25.3125, 30.0, 30.0]
    assert poll_times(schedule, 8.0) == [0.0, 7.5, 18.75]


def test_with_history_it_sleeps_until_just_before_the_expected_finish_then_polls_briskly():
    schedule = PollSchedule.build(5.0, 30.0, 1.0, expected=8.0, spread=0.2)
    assert schedule.adaptive and schedule.wake == pytest.approx(7.5)  # the lead: half a brisk interval
    assert schedule.next_wait(0.0, 0) == pytest.approx(7.5)
    assert schedule.next_wait(7.5, 1) == 1.0
    assert poll_times(schedule, 8.0) == pytest.approx([7.5, 8.5])
    wide = PollSchedule.build(5.0, 30.0, 1.0, expected=8.0, spread=1.0)  # the lead: two spreads
    assert wide.wake == pytest.approx(6.0)
    assert schedule.seconds_left(3.0) == pytest.approx(5.0)


@pytest.mark.parametrize("finish", [8.0, 8.5, 9.0, 12.0, 20.0, 40.0, 61.0, 300.0])
def test_a_finish_is_seen_sooner_and_with_no_more_polls_than_the_backoff(finish):
    backoff = PollSchedule.build(5.0, 30.0, 1.0)
    adaptive = PollSchedule.build(5.0, 30.0, 1.0, expected=finish, spread=0.05 * finish)
    old, new = poll_times(backoff, finish), poll_times(adaptive, finish)
    assert len(new) <= len(old)
    assert new[-1] - finish <= adaptive.window_interval <= max(1.0, 0.1 * finish)


@pytest.mark.parametrize("finish", [8.0, 15.0, 30.0, 60.0, 120.0])
def test_a_steady_model_is_seen_within_a_second_of_its_finish(finish):
    adaptive = PollSchedule.build(5.0, 30.0, 1.0, expected=finish, spread=0.3)
    for actual in (finish - 0.5, finish, finish + 0.25):
        assert poll_times(adaptive, actual)[-1] - actual <= 1.0


def test_a_long_sleep_checks_in_so_an_early_failure_is_seen():
    schedule = PollSchedule.build(5.0, 30.0, 1.0, expected=300.0, spread=10.0)
    assert schedule.wake == pytest.approx(280.0)
    assert schedule.next_wait(0.0, 0) == 30.0 and schedule.next_wait(270.0, 9) == pytest.approx(10.0)
    # 14 backoff polls to 310 s, 9 check-ins (30 s ... 270 s): 5 polls for the 30 s from 280 s to 310 s
    assert schedule.backoff_polls(310.0) == 14 and schedule.window_interval == pytest.approx(30.0 / 4)


def test_an_overrun_backs_off_again():
    schedule = PollSchedule.build(5.0, 30.0, 1.0, expected=10.0, spread=1.0)
    # three backoff polls to 11 s: the wake poll at 8 s and two more over the 3 s to 11 s
    assert schedule.window_interval == pytest.approx(1.5)
    waits = [schedule.next_wait(t, 5) for t in (10.0, 11.0, 13.0, 21.0, 51.0, 500.0)]
    assert waits == [1.5, 1.5, 1.0, 5.0, 20.0, 30.0]
    assert schedule.seconds_left(12.0) == pytest.approx(-2.0)


def test_the_lead_grows_with_the_spread_but_never_starts_at_create():
    assert PollSchedule.build(5.0, 30.0, 1.0, expected=20.0, spread=3.0).wake == pytest.approx(14.0)
    assert PollSchedule.build(5.0, 30.0, 1.0, expected=20.0, spread=30.0).wake == pytest.approx(10.0)
    assert PollSchedule.build(5.0, 30.0, 1.0, expected=0.5, spread=0.0).wake == 0.0


def test_brisk_polls_honour_the_provider_and_never_exceed_the_first_interval():
    runway = PollSchedule.build(5.0, 30.0, 1.0, expected=30.0, spread=1.0, provider_brisk=5.0)
    assert runway.brisk == 5.0 and runway.next_wait(29.0, 2) == 5.0
    fast = PollSchedule.build(0.25, 0.5, 1.0, expected=3.0)  # a provider polled every 0.25 s (local)
    assert fast.brisk == 0.25


def test_a_rate_limit_halves_the_pace_up_to_the_longest_wait():
    schedule = PollSchedule.build(5.0, 30.0, 1.0, expected=10.0)
    assert schedule.throttled().brisk == 2.0
    slowest = schedule
    for _ in range(10):
        slowest = slowest.throttled()
    assert slowest.brisk == 30.0


def test_jitter_spreads_the_backoff_and_only_shortens_adaptive_waits_a_little():
    backoff = PollSchedule.build(5.0, 30.0, 1.0)
    assert backoff.jittered(10.0, 0.0) == 8.0 and backoff.jittered(10.0, 0.999) == pytest.approx(12.0, abs=0.01)
    adaptive = PollSchedule.build(5.0, 30.0, 1.0, expected=300.0, spread=1.0)
    assert adaptive.jittered(30.0, 0.0) == 30.0 and adaptive.jittered(30.0, 0.999) >= 29.75  # not 10 % of 30 s
    assert adaptive.jittered(1.0, 0.999) >= 0.9


def test_a_jittered_wake_counts_as_woken():
    schedule = PollSchedule.build(5.0, 30.0, 1.0, expected=8.0, spread=0.2)
    early = schedule.jittered(schedule.next_wait(0.0, 0), 0.999)
    assert early < schedule.wake and schedule.next_wait(early, 0) == schedule.window_interval


def test_a_non_positive_estimate_is_no_estimate():
    assert not PollSchedule.build(5.0, 30.0, 1.0, expected=0.0).adaptive


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (40.2, "about 40 s left"),
        (3.4, "about 3 s left"),
        (12.0, "about 10 s left"),
        (200.0, "about 3 min left"),
        (0.4, "any moment now"),
        (-20.0, "any moment now"),
    ],
)
def test_the_time_left_reads_like_a_person_would_say_it(seconds, words):
    assert describe_left(seconds) == words


def push_poll_times(schedule: PollSchedule, finish: float, push_poll: float, *, limit: int = 500) -> list[float]:
    """When a task whose completion call never comes is polled (no jitter), up to the poll that sees it finished."""
    times, now = [], 0.0
    for _ in range(limit):
        now += schedule.with_push(schedule.next_wait(now, len(times)), now, push_poll)
        times.append(now)
        if now >= finish:
            return times
    raise AssertionError("the schedule never reached the finish")


def test_with_push_and_a_learned_run_time_a_lost_call_is_polled_for_once_the_task_is_overdue():
    schedule = PollSchedule.build(5.0, 30.0, 1.0, expected=20.0, spread=2.0)
    # before the expected finish plus its spread: wait for the call, until that moment (the net caps a long wait)
    assert schedule.with_push(schedule.next_wait(0.0, 0), 0.0, 300.0) == 22.0
    long = PollSchedule.build(5.0, 30.0, 1.0, expected=200.0, spread=2.0)
    assert long.with_push(long.next_wait(0.0, 0), 0.0, 100.0) == 100.0  # the net caps a long wait
    assert schedule.with_push(1.0, 21.5, 300.0) == 1.0  # never sooner than the schedule's own wait
    # overdue with no call: exactly the adaptive schedule's late polls, never the 300 s net
    for elapsed in (22.0, 25.0, 40.0, 200.0):
        wait = schedule.next_wait(elapsed, 3)
        assert schedule.with_push(wait, elapsed, 300.0) == wait <= 30.0
    # a task that finishes a little late is found within the adaptive schedule's late interval, not 300 s later
    polls = push_poll_times(schedule, 25.0, 300.0)
    assert polls[0] == 22.0 and polls[-1] - 25.0 < 30.0


def test_with_push_and_nothing_learned_the_safety_net_is_the_backoff():
    schedule = PollSchedule.build(5.0, 30.0, 1.0)
    for polls in range(6):
        wait = schedule.next_wait(0.0, polls)
        assert schedule.with_push(wait, 100.0, 300.0) == wait
    assert push_poll_times(schedule, 8.0, 300.0) == poll_times(schedule, 8.0)


# --- the cold start (nothing learned yet) and re-planning when a sibling finishes -----------------------------


def cold(base: float = 5.0, provider_brisk: float = 0.0) -> PollSchedule:
    return PollSchedule.build(base, 30.0, 1.0, provider_brisk=provider_brisk, cold=True)


def durations(low: float, high: float, n: int = 200) -> list[float]:
    """``n`` run times spread evenly on a log scale from ``low`` to ``high`` s."""
    return [low * (high / low) ** (i / (n - 1)) for i in range(n)]


def test_the_cold_start_waits_a_fraction_of_the_time_since_create():
    schedule = cold()
    assert not schedule.adaptive and schedule.seconds_left(3.0) is None
    assert schedule.next_wait(0.0, 0) == 5.0  # the first poll: the provider's interval after create
    assert schedule.next_wait(5.0, 1) == pytest.approx(4.5) and schedule.next_wait(20.0, 2) == pytest.approx(18.0)
    assert schedule.next_wait(100.0, 5) == 30.0  # never longer than the longest wait
    assert schedule.next_wait(0.5, 1) == 1.0  # never shorter than the brisk interval
    assert schedule.next_wait(40.0, 0) == 0.0  # a task older than the first interval (a restart): poll at once
    assert poll_times(schedule, 8.0) == pytest.approx([5.0, 9.5])  # the backoff: 0, 7.5, 18.75


def test_the_cold_start_honours_the_providers_guidance():
    runway = cold(provider_brisk=5.0)  # Runway: no updates more often than every 5 s
    times = poll_times(runway, 300.0)
    assert min(b - a for a, b in itertools.pairwise(times)) >= 5.0
    assert PollSchedule.build(0.25, 0.5, 1.0, cold=True).next_wait(3.0, 4) == 0.5  # local: its own cap


@pytest.mark.parametrize(("low", "high"), [(4.0, 600.0), (5.0, 300.0), (3.0, 60.0), (8.0, 120.0)])
def test_the_cold_start_polls_no_more_than_the_backoff_on_average_and_its_lag_is_a_bounded_fraction(low, high):
    backoff, schedule = PollSchedule.build(5.0, 30.0, 1.0), cold()
    runs = durations(low, high)
    old = [poll_times(backoff, d) for d in runs]
    new = [poll_times(schedule, d) for d in runs]
    mean_old = sum(map(len, old)) / len(runs)
    mean_new = sum(map(len, new)) / len(runs)
    assert mean_new <= mean_old  # e.g. 4-600 s: 6.91 polls a task against the backoff's 7.06
    for finish, times in zip(runs, new, strict=True):
        assert times[-1] - finish <= max(5.0, 0.9 * finish)  # the first poll, then at most 0.9 × the run time
    worst_old = max((t[-1] - d) / d for t, d in zip(old, runs, strict=True))
    worst_new = max((t[-1] - d) / d for t, d in zip(new, runs, strict=True) if d >= 5.0)
    assert worst_new <= 0.9 < worst_old


def test_a_sibling_created_about_as_long_ago_is_due_when_one_finishes():
    schedule = cold().after_sibling(8.0)  # another task of the model finished 8 s after its create
    assert schedule.adaptive and schedule.expected == 8.0 and schedule.spread == pytest.approx(0.4)
    assert schedule.replan_wait(8.3) == 0.0 and schedule.replan_wait(7.5) == 0.0  # created about as long ago
    younger = schedule.replan_wait(3.0)  # created 5 s later: sleeps until just before its turn
    assert younger == pytest.approx(schedule.wake - 3.0) and 3.0 + younger < 8.0
    # then polls around its expected finish as the adaptive schedule does
    assert poll_times(schedule, 8.2)[-1] - 8.2 <= 1.0


def test_a_re_plan_never_polls_sooner_than_the_providers_guidance_after_the_last_poll():
    runway = cold(provider_brisk=5.0).after_sibling(12.0)  # Runway: at most every 5 s
    assert runway.replan_wait(12.5, since_poll=1.0) == pytest.approx(4.0)  # due, but it polled a second ago
    assert runway.replan_wait(12.5, since_poll=6.0) == 0.0 and runway.replan_wait(12.5) == 0.0
    luma = cold().after_sibling(8.0)  # no guidance: due now even if it polled "running" a moment ago
    assert luma.replan_wait(8.5, since_poll=0.2) == 0.0 and luma.brisk == 1.0  # (not the brisk second)
    assert luma.replan_wait(3.0, since_poll=0.2) == pytest.approx(luma.wake - 3.0)  # not due: its wake
    slowed = cold().throttled().after_sibling(8.0)  # a 429 earlier in this task: its slower pace holds
    assert slowed.replan_wait(8.5, since_poll=0.2) == pytest.approx(1.8)


def test_a_re_plan_replaces_a_stale_estimate_and_leaves_the_old_backoff_alone():
    stale = PollSchedule.build(5.0, 30.0, 1.0, expected=30.0, spread=1.0)
    fresh = stale.after_sibling(10.0)
    assert fresh.expected == 10.0 and fresh.spread == 1.0 and fresh.replan_wait(10.5) == 0.0
    backoff = PollSchedule.build(5.0, 30.0, 1.0)  # VIDEOBOT_POLL_ADAPTIVE=false
    assert backoff.after_sibling(8.0) is backoff and backoff.replan_wait(8.0) == 0.0
    assert cold().after_sibling(0.0) == cold()


def test_a_burst_on_a_fresh_bot_is_seen_soon_after_the_finish_by_the_jittered_siblings():
    """20 tasks of one model created together and finishing at 8 s: each polls on the cold start with its own
    jitter; the first poll after the finish re-plans the rest, which are then due at once (no jitter, no clock:
    the u values are fixed)."""
    schedule, finish = cold(), 8.0
    firsts, polled = [], []
    for i in range(20):
        u = (i + 0.5) / 20
        now, polls, times = 0.0, 0, []
        while now < finish:
            now += schedule.jittered(schedule.next_wait(now, polls), u)
            polls += 1
            times.append(now)
        firsts.append(now)
        polled.append(times)
    seen = min(firsts)
    assert seen - finish <= 0.5  # one of them notices within half a second; alone the median would be ~1.5 s
    replanned = schedule.after_sibling(finish)
    assert replanned.replan_wait(seen) == 0.0  # all 20 were created together: all due now
    # even those whose last poll (a "not yet") came just before: no brisk second between it and the next
    lasts = [max((t for t in times if t < seen), default=None) for times in polled]
    assert any(last is not None and seen - last < schedule.brisk for last in lasts)
    assert all(replanned.replan_wait(seen, None if last is None else seen - last) == 0.0 for last in lasts)


def test_siblings_jitter_draws_take_one_stratum_each():
    draws = [stratified(rank, 20, 0.5) for rank in range(20)]
    assert draws == sorted(draws) and draws[0] == pytest.approx(0.025) and draws[-1] == pytest.approx(0.975)
    assert all(rank / 20 <= stratified(rank, 20, u) < (rank + 1) / 20 for rank in range(20) for u in (0.0, 0.999))
    assert stratified(0, 1, 0.3) == 0.3 and stratified(5, 0, 0.3) == 0.3  # alone: the draw as it came


def test_stratified_siblings_cover_a_shared_finish_closely_whatever_the_draws():
    """20 siblings created together, each drawing at the worst end of its stratum (u = 0 or 0.999 for all): one
    still polls within half a second of the 8 s finish (unstratified random draws leave gaps of a second or more)."""
    schedule, finish = cold(), 8.0
    for u in (0.0, 0.999):
        firsts = []
        for rank in range(20):
            now, polls = 0.0, 0
            while now < finish:
                now += schedule.jittered(schedule.next_wait(now, polls), stratified(rank, 20, u))
                polls += 1
            firsts.append(now)
        assert min(firsts) - finish <= 0.5
