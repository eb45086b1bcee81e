"""When to poll a provider's task next: today's backoff, or the adaptive schedule learned from the model's runs.

Pure (no I/O, no clock, no randomness): :class:`PollSchedule` answers "how long until the next poll?" from the
seconds since the task was created and the polls answered so far.  :mod:`bot.services.jobs.polling` asks it after
every poll and adds the jitter.

*Backoff* (no history for the model, or ``VIDEOBOT_POLL_ADAPTIVE=false``): poll at once, then wait
``base × 1.5ⁿ`` after the n-th answer, at most ``max_interval`` (the schedule before adaptive polling).

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
nothing learned, the backoff (the unknown-duration schedule) runs as if there were no push.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

BACKOFF = 1.5  # the backoff's growth per answered poll
LEAD_SPREADS = 2.0  # start polling briskly this many spreads before the expected finish
MIN_LEAD = 0.5  # ... and at least this many brisk intervals before it
EARLY = 0.25  # the adaptive schedule's jitter: a wait is shortened by up to this many brisk intervals
LATE_FRACTION = 0.5  # past the expected finish, wait this fraction of how late the task is


@dataclass(frozen=True)
class PollSchedule:
    """The waits between the polls of one task (see the module docstring)."""

    base: float  # the backoff's first interval (the provider's poll_interval, else VIDEOBOT_POLL_INTERVAL_SECONDS)
    max_interval: float  # the longest wait (VIDEOBOT_POLL_MAX_INTERVAL_SECONDS)
    brisk: float = 1.0  # the interval around the expected finish (VIDEOBOT_POLL_BRISK_SECONDS)
    expected: float | None = None  # the model's learned run time (s from task created); None: backoff
    spread: float = 0.0  # how much the run time varies (s)

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
    ) -> PollSchedule:
        """A schedule with sane bounds: the brisk interval never below the provider's guidance
        (``provider_brisk``) nor above the first backoff interval; no waits longer than ``max_interval``."""
        base = max(base, 1e-3)
        cap = max(base, max_interval)
        fast = min(max(brisk, provider_brisk, 1e-3), base)
        if expected is not None and expected <= 0:
            expected = None
        return cls(base, cap, fast, expected, max(spread, 0.0))

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

    def throttled(self) -> PollSchedule:
        """The provider answered 429: poll half as briskly for the rest of this task."""
        return replace(self, brisk=min(self.brisk * 2, self.max_interval))

    def jittered(self, wait: float, u: float) -> float:
        """``wait`` with jitter (spreads the polls of jobs started together), ``u`` uniform in [0, 1): the
        backoff's ±20 %; the adaptive schedule only shortens a wait, by at most ``EARLY`` brisk intervals (or a
        tenth of it), so a long sleep does not drift far from the expected finish and none is polled late."""
        if self.expected is None:
            return wait * (0.8 + 0.4 * u)
        return wait - u * min(EARLY * self.brisk, 0.1 * wait)
