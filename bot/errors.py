"""The one error tree of videobot.

Every error the core raises on purpose derives from :class:`VideobotError`.  Its
``user_message`` is safe to show to a Discord user or print on a terminal: it never
contains an API key, a file path of the host, or a provider's raw response.  The
``detail`` attribute carries what the log needs (provider response, exit codes…) and is
never shown to users.  ``retryable`` tells the worker whether trying again later may help.

``provider_fault`` marks a failure that is the provider's side, not the request's (an outage, a revoked key,
a model gone, an internal task error): another model may make the same request (the fallback list).  A
provider's ``submit`` raises :class:`SubmitUncertain` whenever a task may exist; every other error it raises
means that certainly no task was made, so such a job may move to another provider without paying twice.
A refusal for safety/moderation (:class:`ProviderRejected`) is never a provider fault: it is never re-sent.

    VideobotError
    ├── ConfigError                  a setting is missing or wrong (raised at start)
    ├── InvalidRequest               the user asked for something we will not do
    │   ├── InvalidPrompt            empty, too long, unusable text
    │   ├── InvalidOption            duration/aspect/model/seed out of range, unknown choice
    │   ├── InvalidMedia             not an image, too large, a bomb, unreadable, too long
    │   └── StaleConfirmation        a price quote confirmed too late (it is quoted again)
    ├── QuotaExceeded                not enough seconds left; says how many and when they free up
    ├── JobError
    │   ├── JobNotFound              no such job (or not visible to this user)
    │   ├── NotJobOwner              the job belongs to someone else
    │   └── JobStateError            e.g. extending an unfinished job, cancelling a finished one
    ├── ProviderError                anything a video provider did wrong
    │   ├── ProviderUnavailable      network error, 5xx, malformed answer      (retryable)
    │   │   └── RateLimited          429; ``retry_after`` seconds when known     (retryable)
    │   ├── ProviderAuthError        the server owner's key is wrong or lacks access
    │   ├── ProviderModelGone        the provider no longer knows the model (404/410 at create)
    │   ├── ProviderRejected         the request was refused (moderation, bad input)
    │   ├── ProviderTaskFailed       the task ran and failed
    │   ├── ProviderTimeout          the task did not finish before its deadline
    │   └── SubmitUncertain          create timed out; the task may exist; never resubmitted
    ├── MediaError                   ffmpeg failed or produced something unusable
    │   └── OutputTooLarge           a download or a file exceeded its size cap
    └── DeliveryError                the finished video could not be handed over
"""

from __future__ import annotations

from typing import Any, Self


class VideobotError(Exception):
    """Base of every deliberate videobot error; ``user_message`` is safe to show.

    ``message_parts``, where set with :meth:`keyed`, say the same in the message catalogue's words (bot.i18n):
    the edge shows them in the member's language; in English they read exactly as ``user_message``."""

    user_message: str = "Something went wrong."
    retryable: bool = False
    message_parts: tuple[tuple[str, dict[str, Any]], ...] = ()

    def keyed(self, key: str, **params: Any) -> Self:
        """Add a part of ``user_message`` in catalogue words (the key and its values); returns the error."""
        self.message_parts = (*self.message_parts, (key, params))
        return self

    def __init__(self, user_message: str | None = None, *, detail: str = "", retryable: bool | None = None):
        if user_message is not None:
            self.user_message = user_message
        if retryable is not None:
            self.retryable = retryable
        self.detail = detail
        super().__init__(self.user_message if not detail else f"{self.user_message} [{detail}]")


class ConfigError(VideobotError):
    """A setting is missing or has a wrong value."""

    user_message = "The bot is misconfigured."


class InvalidRequest(VideobotError):
    """The user asked for something the bot will not do."""

    user_message = "That request is not valid."


class InvalidPrompt(InvalidRequest):
    """The prompt text is unusable."""


class InvalidOption(InvalidRequest):
    """An option value is outside what the model or the bot accepts."""


class InvalidMedia(InvalidRequest):
    """An attached file is not acceptable."""


class StaleConfirmation(InvalidRequest):
    """A quoted price confirmed after the quote expired: nothing was charged; the caller shows a fresh quote."""

    user_message = "That quote has expired; here is a fresh one."


class QuotaExceeded(VideobotError):
    """Not enough quota seconds are left for this request."""

    def __init__(self, user_message: str, *, remaining: float, resets_at: float | None, detail: str = ""):
        super().__init__(user_message, detail=detail)
        self.remaining = remaining
        self.resets_at = resets_at


class JobError(VideobotError):
    """A job-level problem."""


class JobNotFound(JobError):
    """No such job."""

    user_message = "I can't find that job."


class NotJobOwner(JobError):
    """The job belongs to someone else."""

    user_message = "That job belongs to someone else."


class JobStateError(JobError):
    """The job is not in a state that allows the operation."""


class ProviderError(VideobotError):
    """A video provider failed."""

    user_message = "The video provider failed."
    provider_fault: bool = False  # the provider's side failed: another model may make the same request

    def __init__(
        self,
        user_message: str | None = None,
        *,
        detail: str = "",
        retryable: bool | None = None,
        provider: str = "",
        provider_fault: bool | None = None,
    ):
        super().__init__(user_message, detail=detail, retryable=retryable)
        self.provider = provider
        if provider_fault is not None:
            self.provider_fault = provider_fault


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or answered with a server error."""

    user_message = "The video provider is not answering right now. Please try again later."
    retryable = True
    provider_fault = True


class RateLimited(ProviderUnavailable):
    """The provider asked us to slow down."""

    user_message = "The video provider is busy right now. Please try again in a little while."

    def __init__(self, user_message: str | None = None, *, retry_after: float | None = None, **kw: object):
        super().__init__(user_message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ProviderAuthError(ProviderError):
    """The configured key was refused."""

    user_message = "The bot's key for this video provider was refused. Please tell the server owner."
    provider_fault = True


class ProviderModelGone(ProviderError):
    """The provider answered the create that it does not know the model (any more)."""

    user_message = "The video provider no longer offers this model. Please tell the server owner."
    provider_fault = True


class ProviderRejected(ProviderError):
    """The provider refused the request (content moderation, invalid input)."""

    user_message = "The video provider refused this request."


class ProviderTaskFailed(ProviderError):
    """The provider accepted the task, which then failed."""

    user_message = "The video provider could not make this video."


class ProviderTimeout(ProviderError):
    """The task did not finish before its deadline."""

    user_message = "The video provider took too long; the job was stopped and your quota refunded."


class SubmitUncertain(ProviderError):
    """The create request's outcome is unknown; it is never sent again blindly."""

    user_message = (
        "The video provider did not confirm the job in time and it could not be found; "
        "it was not resubmitted, so you are not charged twice. Please try again."
    )


class MediaError(VideobotError):
    """ffmpeg failed or a media file is unusable."""

    user_message = "The video could not be processed."


class OutputTooLarge(MediaError):
    """A file is larger than its cap."""

    user_message = "The video is larger than this bot accepts."


class DeliveryError(VideobotError):
    """The result could not be delivered."""

    user_message = "The video was made but could not be delivered."
    retryable = True
