"""``DiscordEmulator``: the aiohttp server plus the test API (user actions, waits and fault knobs)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiohttp import web

from . import openapi
from ._util import INTENT_GUILDS, MIB
from .faults import Fault, Handler, RestPolicy
from .gateway import GatewayHub
from .handle import InteractionHandle
from .interactions import (
    check_clickable,
    command_interaction,
    find_button,
    message_command_interaction,
    new_interaction,
    select_data,
    send_interaction,
)
from .messages import MessageBody, create_message, delete_message, store_attachment
from .modals import ModalAnswers, submit_data
from .models import Channel, User
from .openapi import Violation
from .perms import VIEW_CHANNEL, perm_value
from .reactions import add_reaction, remove_reaction
from .records import Message
from .serialize import normalize_emoji
from .world import ChannelLike, MessageLike, UserLike, World

HOST = "127.0.0.1"  # loopback only, by project rule
ADD_REACTIONS = perm_value("add_reactions")


class DiscordEmulator(World):
    """A loopback Discord (REST + gateway + CDN) for the real discord.py. See the package docstring."""

    def __init__(
        self,
        *,
        token: str = "emu-bot-token",
        bot_name: str = "videobot",
        privileged_intents: int = 0,
        interaction_deadline: float = 3.0,
        token_ttl: float = 15 * 60.0,
        port: int = 0,
    ) -> None:
        super().__init__(token=token, bot_name=bot_name, privileged_intents=privileged_intents)
        self.interaction_deadline = interaction_deadline  # first response later than this → 404 10062
        self.token_ttl = token_ttl  # webhook calls later than this → 401 50027
        self.port = port
        self.gateway = GatewayHub(self)
        self.rest = RestPolicy(self)
        self.cdn_downloads: list[int] = []  # attachment ids fetched from the CDN, in order
        self._runner: web.AppRunner | None = None

    # ----- lifecycle ---------------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        """The aiohttp application (REST under /api/v10, /gateway, /attachments, /_emu control)."""
        from . import control, rest_channels, rest_core, rest_interactions

        @web.middleware
        async def policy(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self.rest.middleware(request, handler)

        app = web.Application(client_max_size=300 * MIB, middlewares=[policy])
        app[rest_core.EMU_KEY] = self
        for module in (rest_core, rest_channels, rest_interactions, control):
            module.add_routes(app)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/", self.gateway.handle)
        return app

    async def start(self) -> DiscordEmulator:
        """Listen on 127.0.0.1 (port 0 picks a free one)."""
        openapi.prepare()  # the law is read before the first request, not in its answer's time
        self._runner = web.AppRunner(self.build_app(), shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, HOST, self.port).start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://{HOST}:{self.port}"
        return self

    async def close(self) -> None:
        """Close gateway sockets and stop the server."""
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE`` / ``DISCORD_API_BASE``."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` / ``DISCORD_GATEWAY_URL``."""
        return self.base_url.replace("http", "ws", 1) + "/gateway"

    @property
    def control_url(self) -> str:
        """Base URL of the JSON control API (for tests in another process)."""
        return f"{self.base_url}/_emu"

    def dispatch(self, event: str, data: dict[str, Any], *, intent: int = 0, guild_id: int | None = None) -> None:
        """Send a gateway event to connected bots (and buffer it for RESUME); nothing of a server the bot is not
        in (``add_guild(with_bot=False)``) but the interactions a user-installed app gets there."""
        guild = self.guilds.get(guild_id) if guild_id is not None else None
        if guild is not None and self.bot.id not in guild.members and event != "INTERACTION_CREATE":
            return
        gateway = getattr(self, "gateway", None)  # World.__init__ builds the defaults before the hub exists
        if gateway is not None:
            gateway.dispatch(event, data, intent=intent, guild_id=guild_id)

    # ----- user actions ------------------------------------------------------------------------------
    async def slash(
        self,
        user: UserLike | str,
        name: str,
        options: dict[str, Any] | None = None,
        /,
        *,
        attachments: dict[str, Any] | None = None,
        in_channel: ChannelLike | None = None,
        attachment_size_limit: int | None = None,
        locale: str = "en-US",
        **more_options: Any,
    ) -> InteractionHandle:
        """Invoke a synced slash command (``"name"``, ``"group sub"``) as ``user``; options by name."""
        values = {**(options or {}), **more_options, **(attachments or {})}
        return self._command(user, name, values, in_channel, attachment_size_limit, locale, focused=None)

    async def autocomplete(
        self,
        user: UserLike | str,
        name: str,
        focused: str,
        value: str = "",
        options: dict[str, Any] | None = None,
        /,
        *,
        in_channel: ChannelLike | None = None,
        **more_options: Any,
    ) -> InteractionHandle:
        """Send an autocomplete (type 4) for option ``focused`` holding ``value``; await ``wait_choices``."""
        values = {**(options or {}), **more_options, focused: value}
        return self._command(user, name, values, in_channel, None, "en-US", focused=focused)

    def _command(
        self,
        user: UserLike | str,
        name: str,
        values: dict[str, Any],
        in_channel: ChannelLike | None,
        size_limit: int | None,
        locale: str,
        focused: str | None,
    ) -> InteractionHandle:
        channel = self.channel_of(in_channel) if in_channel is not None else self.channel
        inter = command_interaction(self, self.user(user), name, values, channel, size_limit, locale, focused)
        send_interaction(self, inter)
        return InteractionHandle(self, inter)

    async def message_command(
        self,
        user: UserLike | str,
        name: str,
        message: MessageLike,
        *,
        attachment_size_limit: int | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Right-click ``message`` → Apps → ``name``: a synced message command (type 3) as ``user``."""
        inter = message_command_interaction(
            self, self.user(user), name, self.get_message(message), attachment_size_limit, locale
        )
        send_interaction(self, inter)
        return InteractionHandle(self, inter)

    async def submit_modal(
        self,
        handle: InteractionHandle,
        text: dict[str, str] | None = None,
        /,
        *,
        files: dict[str, list[Any]] | None = None,
        **more_text: str,
    ) -> InteractionHandle:
        """The member who got ``handle``'s modal fills it in (``text`` by field custom_id; a prefilled field left
        out is sent as prefilled) and attaches ``files`` (custom_id → Uploads), then submits: a type 5."""
        opened = handle.record
        answers = ModalAnswers(text={**(text or {}), **more_text}, files=dict(files or {}))
        data = submit_data(self, opened, answers)
        channel = self.channels[opened.channel_id]
        message = self.message_store.get(opened.message_id) if opened.type == 3 and opened.message_id else None
        inter = new_interaction(
            self,
            kind=5,
            user=opened.user,
            channel=channel,
            data=data,
            message=message,
            attachment_size_limit=opened.attachment_size_limit,
            locale=str(opened.payload.get("locale") or "en-US"),
        )
        inter.opened_by = opened.id
        inter.message_id = message.id if message is not None else None
        send_interaction(self, inter)
        return InteractionHandle(self, inter)

    async def click_button(
        self,
        user: UserLike | str,
        message: MessageLike,
        custom_id: str | None = None,
        *,
        label: str | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Click a button (by custom_id or label) on a message; the bot gets a type 3 interaction (carrying the
        clicking member's ``locale``, as every interaction but a ping does)."""
        msg, the_user = self._clickable(user, message)
        button = find_button(msg, custom_id, label)
        return self._component(the_user, msg, {"custom_id": button["custom_id"], "component_type": 2}, locale)

    async def select(
        self,
        user: UserLike | str,
        message: MessageLike,
        custom_id: str,
        values: Iterable[str],
        *,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Pick ``values`` in a select menu on a message."""
        msg, the_user = self._clickable(user, message)
        data = select_data(msg, custom_id, values)
        return self._component(the_user, msg, data, locale)

    def _clickable(self, user: UserLike | str, message: MessageLike) -> tuple[Message, User]:
        msg, the_user = self.get_message(message), self.user(user)
        check_clickable(self, msg, the_user)
        return msg, the_user

    def _component(self, user: User, msg: Message, data: dict[str, Any], locale: str = "en-US") -> InteractionHandle:
        channel = self.channels[msg.channel_id]
        inter = new_interaction(self, kind=3, user=user, channel=channel, data=data, message=msg, locale=locale)
        send_interaction(self, inter)
        return InteractionHandle(self, inter)

    def _message_in(self, channel: ChannelLike | None, message: MessageLike) -> Message:
        msg = self.get_message(message)
        if channel is not None and self.channel_of(channel).id != msg.channel_id:
            raise ValueError(f"message {msg.id} is not in channel {self.channel_of(channel).id}")
        if msg.deleted or msg.ephemeral:
            raise ValueError(f"message {msg.id} is deleted or ephemeral; nobody can react to it")
        return msg

    async def add_reaction(
        self, user: UserLike | str, channel: ChannelLike | None, message: MessageLike, emoji: str
    ) -> bool:
        """``user`` reacts (MESSAGE_REACTION_ADD with member); False if they already had."""
        msg, the_user, key = self._message_in(channel, message), self.user(user), normalize_emoji(emoji)
        perms = self.permissions_for(the_user, msg.channel_id) if msg.guild_id else VIEW_CHANNEL | ADD_REACTIONS
        if not perms & VIEW_CHANNEL or (not msg.reactions.get(key) and not perms & ADD_REACTIONS):
            raise PermissionError(f"{the_user.username} cannot add reactions there")
        return add_reaction(self, msg, the_user, key)

    async def remove_reaction(
        self, user: UserLike | str, channel: ChannelLike | None, message: MessageLike, emoji: str
    ) -> bool:
        """``user`` removes their reaction (MESSAGE_REACTION_REMOVE)."""
        msg = self._message_in(channel, message)
        return remove_reaction(self, msg, self.user(user), normalize_emoji(emoji))

    async def post_user_message(
        self,
        user: UserLike | str,
        channel: ChannelLike | None = None,
        content: str = "",
        *,
        files: dict[str, bytes] | None = None,
        reply_to: MessageLike | None = None,
        unfurl: dict[str, bytes] | None = None,
    ) -> Message:
        """A user posts an ordinary message (MESSAGE_CREATE; content hidden without MESSAGE_CONTENT).  ``unfurl``
        ({link: image bytes}): Discord unfurled the image links in ``content`` into image embeds whose
        ``proxy_url`` is served by this emulator's CDN, as Discord's media proxy serves them."""
        chan = self.channel_of(channel) if channel is not None else self.channel
        payload: dict[str, Any] = {"content": content}
        if reply_to is not None:
            payload["message_reference"] = {"message_id": str(self.get_message(reply_to).id)}
        body = MessageBody(payload, dict(enumerate((files or {}).items())))
        msg = create_message(self, chan, self.user(user), body)
        for link, data in (unfurl or {}).items():
            proxied = store_attachment(self, chan.id, link.rsplit("/", 1)[-1] or "image", data)
            image = {"url": link, "proxy_url": proxied.proxy_url, "width": proxied.width, "height": proxied.height}
            msg.embeds.append({"type": "image", "url": link, "thumbnail": image})
        return msg

    # ----- waits -------------------------------------------------------------------------------------
    async def wait_connected(self, timeout: float = 15.0) -> None:
        """Wait until a bot has IDENTIFYed and is connected."""
        live = lambda: any(s.conn and not s.invalidated for s in self.gateway.sessions.values())  # noqa: E731
        await self.wait_until(live, timeout, "a bot to connect to the gateway")

    async def wait_resumed(self, count: int = 1, timeout: float = 15.0) -> None:
        """Wait until the gateway has accepted ``count`` RESUMEs in total."""
        await self.wait_until(lambda: self.gateway.resumes >= count, timeout, f"{count} gateway RESUME(s)")

    # ----- Discord's OpenAPI description (openapi.py) ---------------------------------------------------
    @property
    def violations(self) -> list[Violation]:
        """Requests the bot sent and answers the emulator gave that Discord's description refuses, in order."""
        return list(self.rest.violations)

    def take_violations(self) -> list[Violation]:
        """Return the recorded violations and forget them: how a test that sends an invalid body on purpose
        opts out of :meth:`assert_lawful` (it then asserts the refusal itself)."""
        taken, self.rest.violations = self.rest.violations, []
        return taken

    def assert_lawful(self) -> None:
        """Fail (AssertionError listing them) if any violation was recorded; the fixtures call it at teardown."""
        if self.rest.violations:
            reports = "\n".join(v.report() for v in self.rest.violations)
            raise AssertionError(
                f"{len(self.rest.violations)} request(s)/answer(s) break Discord's OpenAPI description "
                f"(emulators/discord/openapi.py):\n{reports}"
            )

    # ----- knobs -------------------------------------------------------------------------------------
    def rate_limit_next(
        self, pattern: str, count: int = 1, *, retry_after: float = 0.05, is_global: bool = False
    ) -> Fault:
        """Answer the next ``count`` requests matching ``pattern`` (``"POST /webhooks/*"``) with a real 429."""
        body, headers = RestPolicy.rate_limited(
            retry_after, is_global=is_global, scope="global" if is_global else "user"
        )
        return self.rest.add_fault(Fault(pattern, 429, count, body, headers))

    def server_error_next(self, pattern: str, count: int = 1, *, status: int = 500) -> Fault:
        """Answer the next ``count`` matching requests with a 5xx (502 comes as Cloudflare-style HTML)."""
        body: dict[str, Any] | str = {"message": f"{status}: Internal Server Error", "code": 0}
        if status in (502, 504, 524):
            body = f"<html><body><h1>{status} Bad Gateway</h1></body></html>"
        return self.rest.add_fault(Fault(pattern, status, count, body))

    def fail_next(
        self, pattern: str, status: int, code: int = 0, message: str = "Injected failure", count: int = 1
    ) -> Fault:
        """Answer the next ``count`` matching requests with any Discord JSON error."""
        return self.rest.add_fault(Fault(pattern, status, count, {"message": message, "code": code}))

    def delete_channel(self, channel: ChannelLike, *, notify: bool = True) -> None:
        """Delete a channel: its routes answer 404 10003; ``notify=False`` skips CHANNEL_DELETE (a race)."""
        chan: Channel = self.channel_of(channel)
        chan.deleted = True
        if notify:
            self.dispatch("CHANNEL_DELETE", self.channel_dict(chan), intent=INTENT_GUILDS, guild_id=chan.guild_id)
        self.notify()

    def delete_message(self, message: MessageLike, *, notify: bool = True) -> None:
        """Delete a message: its routes answer 404 10008; ``notify=False`` skips MESSAGE_DELETE."""
        msg = self.get_message(message)
        if notify:
            delete_message(self, msg)
        else:
            msg.deleted = True
            self.notify()

    def expire_token(self, interaction: InteractionHandle | int) -> None:
        """Expire an interaction token now (webhook calls → 401 50027, callbacks → 404 10062)."""
        iid = interaction.id if isinstance(interaction, InteractionHandle) else int(interaction)
        self.interactions[iid].token_expired = True

    async def disconnect_gateway(self, code: int = 4000, *, hold: bool = False) -> int:
        """Close bot sockets with a (resumable) code; ``hold`` parks reconnects until ``release_gateway``."""
        return await self.gateway.disconnect(code, hold=hold)

    def release_gateway(self) -> None:
        """Let held reconnects proceed."""
        self.gateway.release()

    def configure_sharding(self, **fields: Any) -> None:
        """Set :class:`~emulators.discord.shards.ShardPolicy` knobs (``recommended_shards``, ``max_concurrency``,
        ``identify_interval``, ``enforce_identify_limit``, ``strict``, ``guilds_per_shard``)."""
        policy = self.gateway.shards
        for key, value in fields.items():
            if key not in (
                "recommended_shards",
                "max_concurrency",
                "identify_interval",
                "enforce_identify_limit",
                "strict",
                "guilds_per_shard",
                "session_start_total",
            ):
                raise ValueError(f"unknown sharding knob {key!r}")
            setattr(policy, key, type(getattr(policy, key))(value))

    def synced_commands(self, guild: Any = None) -> list[dict[str, Any]]:
        """Commands the bot synced (global, or for one guild)."""
        if guild is None:
            return list(self.global_commands.values())
        return list(self.guild_commands.get(getattr(guild, "id", guild), {}).values())
