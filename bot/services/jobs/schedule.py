"""When to poll a provider's task next: the cold start (nothing learned yet), the adaptive schedule learned from
the model's runs, or the old backoff (adaptive polling off).

Pure (no I/O, no clock, no randomness): :class:`PollSchedule` answers "how long until the next poll?" from the
seconds since the task was created and the polls answered so far.  :mod:`bot.services.jobs.polling` asks it after
every poll and adds the jitter.

*Backoff* (``VIDEOBOT_POLL_ADAPTIVE=false``): poll at once, then wait ``base × 1.5ⁿ`` after the n-th answer, at
most ``max_interval`` (the schedule before adaptive polling).

*Cold start* (adaptive polling on, nothing learned for the model: a fresh bot, a new model): a schedule for an
unknown duration.  The first poll comes ``base`` s after create (at once when the task is already older, after a
restart), then each wait is ``COLD_GROWTH`` × the time since create (so a finish is noticed at most that fraction
of its run time late), never below the brisk interval (the provider's guidance: Runway at most every 5 s) nor above
``max_interval``.  Over run times from a few seconds to ten minutes this makes fewer polls than the backoff on
average (tests/services/jobs/test_schedule.py counts them) and notices an 8 s task at 9.5 s instead of 18.75 s.

*A sibling finished* (:meth:`PollSchedule.after_sibling`): when one task of a model ends with a run time measured
in this process, every other task of that model in flight is re-planned at once as if that run time were learned:
one created about as long ago is due now (:meth:`PollSchedule.replan_wait`), even if it polled a moment ago (only
the provider's own guidance spaces its polls then: Runway's 5 s), a younger one sleeps until just before its turn.
So a burst of jobs on a fresh bot is noticed together, by whichever of them polled first.

*Adaptive* (the model has finished jobs, :class:`storage.ModelTiming`): the expected run time is the learned mean
``m``; the schedule sleeps until ``m − lead`` (``lead`` = two spreads, at least half a brisk interval, at most half of
``m``), waking every ``max_interval`` on the way so a task that fails early is still noticed as soon as the backoff
would have, then polls every ``brisk`` seconds (slower when the polls the backoff would spend on the whole task do
not cover the window from there to ``m + spread`` at that pace). A task that overruns ``m + spread`` is polled less
and less often (half of how late it is, up to ``max_interval``), like the backoff. For a model whose runs vary
little this is one or two polls around the expected finish, where the backoff spends three or more.

*Push* (the provider calls back, :meth:`PollSchedule.with_push`): polls are a safety net.  With a learned run time,
wait for the call until ``m + spread`` (at most ``VIDEOBOT_PUSH_POLL_SECONDS`` at a time); once the task is
overdue with no call, poll as the adaptive schedule would, so a lost call costs no more than polling.  With
nothing learned, the cold start (or the backoff) runs as if there were no push.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

BACKOFF = 1.5  # the backoff's growth per answered poll
LEAD_SPREADS = 2.0  # start polling briskly this many spreads before the expected finish
MIN_LEAD = 0.5  # ... and at least this many brisk intervals before it
EARLY = 0.25  # the adaptive schedule's jitter: a wait is shortened by up to this many brisk intervals
LATE_FRACTION = 0.5  # past the expected finish, wait this fraction of how late the task is
COLD_GROWTH = 0.9  # the cold start's wait, as a fraction of the time since create
SIBLING_SPREAD = 0.05  # a sibling's run time taken as the expected one, give or take this fraction of it


def stratified(rank: int, count: int, u: float) -> float:
    """The jitter's uniform draw for the ``rank``-th of ``count`` sibling tasks (``u`` uniform in [0, 1)): one
    stratum of [0, 1) each, so siblings started together poll evenly spread instead of in random clumps, and one
    of them polls soon after a finish they share (then :meth:`PollSchedule.after_sibling` calls the rest)."""
    count = max(1, count)
    return (min(max(rank, 0), count - 1) + u) / count


@dataclass(frozen=True)
class PollSchedule:
    """The waits between the polls of one task (see the module docstring)."""

    base: float  # the backoff's first interval (the provider's poll_interval, else VIDEOBOT_POLL_INTERVAL_SECONDS)
    max_interval: float  # the longest wait (VIDEOBOT_POLL_MAX_INTERVAL_SECONDS)
    brisk: float = 1.0  # the interval around the expected finish (VIDEOBOT_POLL_BRISK_SECONDS)
    expected: float | None = None  # the model's learned run time (s from task created); None: backoff
    spread: float = 0.0  # how much the run time varies (s)
    cold: bool = False  # with nothing learned: the cold start (True) or the old backoff (False)
    guidance: float = 0.0  # the provider's least interval between polls (Runway: 5 s), kept by a re-plan too

    @classmethod
    def build(
        cls,
        base: float,
        max_interval: float,
        brisk: float,
        *,
        expected: float | None = None,
        spread: float = 0.0,
        provider_brisk: float = 0.0,
        cold: bool = False,
    ) -> PollSchedule:
        """A schedule with sane bounds: the brisk interval never below the provider's guidance
        (``provider_brisk``) nor above the first backoff interval; no waits longer than ``max_interval``.
        Without ``expected``, ``cold`` chooses the cold start over the old backoff."""
        base = max(base, 1e-3)
        cap = max(base, max_interval)
        fast = min(max(brisk, provider_brisk, 1e-3), base)
        if expected is not None and expected <= 0:
            expected = None
        return cls(base, cap, fast, expected, max(spread, 0.0), cold, min(max(provider_brisk, 0.0), cap))

    @property
    def adaptive(self) -> bool:
        """Whether the schedule follows a learned run time."""
        return self.expected is not None

    @property
    def lead(self) -> float:
        """How long before the expected finish the brisk polls start."""
        if self.expected is None:
            return 0.0
        return min(max(LEAD_SPREADS * self.spread, MIN_LEAD * self.brisk), max(self.brisk, self.expected / 2))

    @property
    def wake(self) -> float:
        """When (s after create) the brisk polls start; 0 for the backoff."""
        return 0.0 if self.expected is None else max(0.0, self.expected - self.lead)

    def next_wait(self, elapsed: float, polls: int) -> float:
        """Seconds to wait before the next poll, ``elapsed`` s after the task was created, ``polls`` answered."""
        if self.expected is None and self.cold:
            if polls == 0:
                return max(0.0, self.base - elapsed)
            return min(max(self.brisk, COLD_GROWTH * elapsed), self.max_interval)
        if self.expected is None:
            return 0.0 if polls == 0 else min(self.base * BACKOFF**polls, self.max_interval)
        # asleep until just before the expected finish, checking in now and then (a jittered wake counts as woken)
        if elapsed < self.wake - 2 * EARLY * self.brisk:
            return min(self.wake - elapsed, self.max_interval)
        late = elapsed - (self.expected + self.spread)
        if late <= 0:
            return self.window_interval
        return min(max(self.brisk, late * LATE_FRACTION), self.max_interval)

    @property
    def window_interval(self) -> float:
        """The interval from the wake to the expected finish plus one spread: ``brisk``, unless the polls the
        backoff would spend on the whole task (less the check-ins) do not cover that window at that pace."""
        if self.expected is None:
            return self.base
        budget = self.backoff_polls(self.expected + self.spread)
        check_ins = max(0, math.ceil(self.wake / self.max_interval) - 1)
        polls = max(2, budget - check_ins)  # the wake poll and the ones after it
        return min(max(self.brisk, (self.lead + self.spread) / (polls - 1)), self.max_interval)

    def backoff_polls(self, finish: float) -> int:
        """How many polls the backoff makes on a task that finishes ``finish`` s after create."""
        now, polls = 0.0, 0
        while True:
            now += 0.0 if polls == 0 else min(self.base * BACKOFF**polls, self.max_interval)
            polls += 1
            if now >= finish:
                return polls

    def with_push(self, wait: float, elapsed: float, push_poll: float) -> float:
        """The wait before the next poll while a completion call is expected (see the module docstring): ``wait``
        is this schedule's own (jittered) answer, ``push_poll`` the safety net's longest wait."""
        if self.expected is None:
            return wait
        overdue = self.expected + self.spread - elapsed
        if overdue > 0:  # the call should still come: wait for it until the task is overdue
            return min(max(wait, overdue), max(push_poll, wait))
        return wait

    def seconds_left(self, elapsed: float) -> float | None:
        """The expected time to the finish (negative once overdue); None without a learned run time."""
        return None if self.expected is None else self.expected - elapsed

    def after_sibling(self, run_time: float) -> PollSchedule:
        """This task's schedule once another task of its model finished in ``run_time`` s (see the module
        docstring): that run time, give or take ``SIBLING_SPREAD`` of it, as the expected one.  The old backoff
        (adaptive polling off) stays as it is."""
        if run_time <= 0 or (self.expected is None and not self.cold):
            return self
        return replace(self, expected=run_time, spread=max(self.spread, SIBLING_SPREAD * run_time))

    def replan_wait(self, elapsed: float, since_poll: float | None = None) -> float:
        """The wait right after a re-plan (:meth:`after_sibling`), ``elapsed`` s after create and ``since_poll`` s
        after this task's last poll (None: not polled yet): none once the task is as old as the wake (it was created
        about as long ago as the sibling that finished), else until then; never sooner after the last poll than the
        provider's guidance (Runway at most every 5 s; after a 429, the slowed pace).  Not the brisk second of our
        own: a task that polled "running" just before its sibling was seen finished is due as much as the others
        (waiting out that second made the last of a burst of 20 about 0.4 s later on average)."""
        spacing = 0.0 if since_poll is None else max(0.0, self.guidance - since_poll)
        if self.expected is None or elapsed >= self.wake - 2 * EARLY * self.brisk:
            return spacing
        return max(spacing, min(self.wake - elapsed, self.max_interval))

    def throttled(self) -> PollSchedule:
        """The provider answered 429: poll half as briskly for the rest of this task (a re-plan too)."""
        brisk = min(self.brisk * 2, self.max_interval)
        return replace(self, brisk=brisk, guidance=max(self.guidance, brisk))

    def jittered(self, wait: float, u: float) -> float:
        """``wait`` with jitter (spreads the polls of jobs started together), ``u`` uniform in [0, 1): the
        backoff's ±20 %; the adaptive schedule only shortens a wait, by at most ``EARLY`` brisk intervals (or a
        tenth of it), so a long sleep does not drift far from the expected finish and none is polled late."""
        if self.expected is None:
            return wait * (0.8 + 0.4 * u)
        return wait - u * min(EARLY * self.brisk, 0.1 * wait)
