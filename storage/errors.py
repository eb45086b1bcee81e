"""Storage's errors: the base, a refused reservation, and a conditional update that found another state."""

from __future__ import annotations

from storage.models import Usage


class StorageError(Exception):
    """Base of storage errors."""


class QuotaRefused(StorageError):
    """A reservation would exceed a limit.  ``scope`` is 'user', 'guild', 'queue', or for the monthly dollar
    caps 'spend_guild' / 'spend_bot' (``usage.used`` then holds the dollars reserved or spent this month)."""

    def __init__(self, scope: str, usage: Usage, limit: float):
        super().__init__(f"{scope} quota refused: used {usage.used} of {limit}")
        self.scope = scope
        self.usage = usage
        self.limit = limit


class StaleJob(StorageError):
    """A conditional update found the job in another state (someone else moved it)."""


class CastNameTaken(StorageError):
    """A server's cast already has a member of that name (names are compared without case)."""


class CastFull(StorageError):
    """A server's cast has reached its limit of members."""
