"""``InteractionHandle``: what a test gets back from ``slash``/``click_button``/``autocomplete``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .records import CallbackAttempt, Interaction, Message

if TYPE_CHECKING:
    from .world import World


class InteractionHandle:
    """Follows one interaction: how and when the bot acknowledged it, and the messages it produced."""

    def __init__(self, world: World, record: Interaction) -> None:
        self._world = world
        self.record = record

    def __repr__(self) -> str:
        return f"<InteractionHandle id={self.id} name={self.record.name!r} ack_type={self.ack_type}>"

    @property
    def id(self) -> int:
        """The interaction id (a real snowflake)."""
        return self.record.id

    @property
    def token(self) -> str:
        """The interaction token."""
        return self.record.token

    @property
    def ack_type(self) -> int | None:
        """Callback type of the accepted first response (4, 5, 6, 7, 8, 9) or None."""
        return self.record.ack_type

    @property
    def ack_latency(self) -> float | None:
        """Seconds from dispatch to the accepted first response, as measured by the emulator."""
        return self.record.ack_latency

    @property
    def attempts(self) -> list[CallbackAttempt]:
        """Every callback POST, including rejected ones (40060 second ack, 10062 too late)."""
        return self.record.attempts

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        """Autocomplete choices the bot returned (callback type 8)."""
        return self.record.choices

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal the bot opened (callback type 9)."""
        return self.record.modal

    @property
    def original(self) -> Message | None:
        """The @original message (for components: the clicked message after type 6/7)."""
        oid = self.record.original_id
        return None if oid is None else self._world.message_store.get(oid)

    @property
    def followups(self) -> list[Message]:
        """Followup messages that were created as new messages."""
        return [self._world.message_store[i] for i in self.record.followup_ids]

    @property
    def responses(self) -> list[Message]:
        """Messages the user saw as replies, in order (a deferred placeholder counts once filled in)."""
        return [self._world.message_store[i] for i in dict.fromkeys(self.record.response_ids)]

    def expire_token(self) -> None:
        """Make the interaction token invalid now (webhook calls get 401 50027)."""
        self.record.token_expired = True

    async def wait_ack(self, timeout: float = 15.0) -> int:
        """Wait until the bot's first response is accepted; returns its callback type."""
        what = f"interaction {self.id} to be acknowledged (attempts: {self.attempts})"
        await self._world.wait_until(lambda: self.record.ack_type is not None, timeout, what)
        assert self.record.ack_type is not None
        return self.record.ack_type

    async def wait_responses(self, count: int = 1, timeout: float = 15.0) -> list[Message]:
        """Wait until ``count`` visible responses exist and return them."""
        what = f"{count} response(s) to interaction {self.id} (ack_type={self.ack_type})"
        await self._world.wait_until(lambda: len(self.responses) >= count, timeout, what)
        return self.responses

    async def wait_response(self, timeout: float = 15.0) -> Message:
        """Wait for the first visible response (type 4 message, filled-in defer, type 7 edit, followup)."""
        return (await self.wait_responses(1, timeout))[0]

    async def wait_choices(self, timeout: float = 15.0) -> list[dict[str, Any]]:
        """Wait for autocomplete choices."""
        await self._world.wait_until(lambda: self.record.choices is not None, timeout, "autocomplete choices")
        return self.record.choices or []
