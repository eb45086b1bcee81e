"""A loopback Discord emulator that the real discord.py (2.7) talks to over HTTP + websocket on 127.0.0.1.

REST lives under ``/api/v10``, the gateway at ``/gateway`` (plain JSON text frames), uploaded files at
``/attachments/...`` (the "CDN"), and a JSON control API at ``/_emu/{op}``. Everything is in memory.

Quick start (in-process)::

    from emulators.discord import DiscordEmulator, Upload, point_discord_py_at, running_bot

    async with DiscordEmulator() as emu:              # or the ``discord_emulator`` fixture (emulators.pytest_plugin)
        restore = point_discord_py_at(emu)            # sets Route.BASE and DiscordWebSocket.DEFAULT_GATEWAY
        async with running_bot(bot, emu.token):       # bot.start(); waits for on_ready (use guild_ready_timeout=0.1)
            handle = await emu.slash(emu.alice, "animate", seconds=6, attachments={"image": Upload("cat.png", png)})
            assert await handle.wait_ack() == 5       # deferred
            assert handle.ack_latency < 1.0           # measured by the emulator
            msg = await handle.wait_response(timeout=10)
            assert msg.attachments[0].content_type == "video/mp4"   # .data holds the uploaded bytes
            await emu.add_reaction(emu.alice, None, msg, "⏩")
        restore()

A subprocess bot is pointed at it with ``DISCORD_API_BASE=emu.api_base`` / ``DISCORD_GATEWAY_URL=emu.gateway_url``.

Default world: ``emu.bot`` (the app; ``emu.application_id == emu.bot.id``), ``emu.guild`` "Test Guild" (tier 0,
10 MiB uploads) owned by ``emu.owner``, one text channel ``emu.channel`` (#general), ``emu.alice`` (plain member),
``emu.admin`` (role ``emu.admin_role`` with Manage Server). @everyone and the bot's managed role get typical
permissions (the bot has Mention Everyone but not Manage Messages). No privileged intent is "enabled in the
portal" (``emu.privileged_intents = 0``): IDENTIFY asking for one is closed with 4014.

Builders (announce changes over the gateway): ``add_user(name, *, bot=False) -> User``;
``add_guild(name, *, owner=None, premium_tier=0, channels=("general",), everyone_permissions=…, bot_permissions=…)``;
``add_channel(guild, name, *, type=0)``; ``add_role(guild, name, permissions=0, *, mentionable=False)``;
``add_member(guild, user, *, permissions=None, roles=(), nick=None)``; ``set_overwrite(channel, role_or_user, *,
allow=None, deny=None)``; ``deny_bot_permission(channel, "attach_files", "add_reactions", …)``;
``set_premium_tier(guild, tier)``. Permissions are ints, ``discord.Permissions`` or flag names.
User installs: ``add_private_channel(*users) -> Channel`` (a DM, or a group DM for three or more, the bot is not
part of), ``add_guild(name, with_bot=False)`` (a server that never invited the bot: no gateway events from it but
the interactions) and ``install_on_user(user)``; a command there needs ``integration_types`` with 1 and the user's
install, and every command only shows in its ``contexts`` (``CommandNotPermitted``).  Such an interaction has
``context`` 2 and ``authorizing_integration_owners`` ``{"1": user}``; channel messages there get 403 50001, a sixth
followup of an interaction authorised only by the user's install 400 40094.  Command registrations are held to Discord's
naming and localization rules (``naming.py``).

User actions (async; ``user`` = User, Member, id or username; return ``InteractionHandle`` unless noted):
    ``slash(user, "name" | "group sub", options=None, /, *, attachments=None, in_channel=None,
    attachment_size_limit=None, locale="en-US", **options)`` — only synced commands (else ``CommandNotSynced``);
    option types come from the synced schema; choices/min/max are checked; attachment values are ``Upload``,
    ``(filename, bytes)``, ``Path`` or bytes; ``default_member_permissions`` is enforced (``CommandNotPermitted``).
    ``autocomplete(user, "name", focused, value="", options=None, /, **options)`` → ``await h.wait_choices()``.
    ``click_button(user, message, custom_id=None, *, label=None)``; ``select(user, message, custom_id, values)``.
    ``message_command(user, "Name", message)`` — right-click → Apps: a type 2 with ``data.type`` 3, ``target_id``
    and ``resolved.messages``. ``submit_modal(handle, {custom_id: text}, *, files={custom_id: [Upload…]})`` — the
    member fills in the modal ``handle``'s interaction opened (type 9) and submits it: a type 5 whose uploads are in
    ``resolved.attachments`` on the CDN (required fields, lengths and file counts checked as Discord's client does).
    ``add_reaction(user, channel_or_None, message, emoji) -> bool`` / ``remove_reaction(...)``.
    ``post_user_message(user, channel=None, content="", *, files=None, reply_to=None) -> Message``.

``InteractionHandle``: ``id, token, record, ack_type, ack_latency, attempts`` (every callback POST incl. rejected
ones with their code), ``original, followups, responses, choices, modal``; ``await wait_ack()``,
``wait_response()`` (first visible reply: type 4 message, filled-in defer, type 7 edit, @original edit or
followup), ``wait_responses(n)``, ``wait_choices()``; ``expire_token()``.

Reading state: ``messages(channel=None, *, ephemeral=True, deleted=False)``, ``last_message()``,
``get_message(id)``, ``message_store``. A ``Message`` has ``content, embeds, components`` (raw dicts),
``attachments`` (``Attachment`` with ``filename, content_type, data, size, url``), ``reactions``
({emoji: [user ids]}), ``flags, ephemeral, loading, allowed_mentions`` (as sent), ``pings`` (``Pings``:
``everyone, users, roles, nobody`` — who was really notified after allowed_mentions and permissions),
``reference, interaction_id, webhook_id, deleted, edits, buttons(), find_component(id)``.
Also ``synced_commands(guild=None)``, ``interactions``, ``cdn_downloads``, ``rest.log`` (``RequestLog``: method,
path, status, fault, payload: a message create/edit's JSON, refused ones too, at: arrival, monotonic),
``rest.unhandled`` (routes the emulator lacks), ``gateway.events`` / ``identifies`` / ``resumes`` /
``last_replayed``.

Waiting: ``await wait_until(predicate, timeout=15.0)`` re-checks after every emulator change;
``wait_for_message(predicate=None, timeout=15.0, *, channel=None)`` (existing or future, edits re-checked);
``wait_connected()``; ``wait_resumed(count=1)``. Timeouts raise ``TimeoutError`` naming what was awaited.

Knobs:
    ``interaction_deadline`` (3.0 s: a later first callback gets 404 10062), ``token_ttl`` (900 s; webhook calls
    after it, or after ``expire_token(handle)``, get 401 50027); a second ack gets 400 40060.  Both windows run on
    ``emu.now()``; ``advance(seconds)`` moves that clock forward (past a token's 15 minutes, without waiting).
    ``rate_limit_next(pattern, count=1, *, retry_after=0.05, is_global=False)`` — real 429s (``Via`` header, JSON
    ``{message, retry_after, global}``); ``server_error_next(pattern, count=1, *, status=500)`` (502/504 come as
    HTML like Cloudflare); ``fail_next(pattern, status, code=0, message=…, count=1)``. ``pattern`` is a glob over
    ``"METHOD /path"`` relative to /api/v10, e.g. ``"POST /webhooks/*"``, ``"PUT /channels/*/reactions/*"``.
    ``rest.rate_limit`` / ``rest.rate_window`` (50 per 1 s per bucket; X-RateLimit-* headers on every API reply).
    ``delete_channel(ch, *, notify=True)`` → 404 10003; ``delete_message(msg, *, notify=True)`` → 404 10008;
    ``deny_bot_permission(ch, …)`` → 403 50013 (channel routes; files in interaction replies for attach_files).
    ``await disconnect_gateway(code=4000, *, hold=False)`` closes bot sockets (resumable code: the client resumes
    and missed events are replayed); ``hold=True`` parks reconnects until ``release_gateway()``.
    ``gateway.invalidate_sessions()`` (next RESUME gets op 9), ``gateway.request_reconnect()`` (op 7).

Sharding (``emu.configure_sharding(...)``, ``emu.gateway.shards`` = ``shards.ShardPolicy``): ``/gateway/bot``
answers ``shards`` (``recommended_shards``, 1) and ``session_start_limit`` (``total``/``remaining``/``reset_after``/
``max_concurrency``, 1). IDENTIFY ``shard: [id, count]`` is checked (4010 Invalid shard; 4011 when a session would
hold over ``guilds_per_shard`` guilds; ``strict=True`` also refuses a shard already live or a differing count,
which Discord itself allows); guild events go to ``(guild_id >> 22) % count``, guild-less ones to shard 0. Every
IDENTIFY is logged (``shards.log``: time, shard, bucket ``id % max_concurrency``, outcome; ``min_spacing(bucket)``,
``refused()``); with ``enforce_identify_limit=True`` one within ``identify_interval`` (5 s) of its bucket's last
gets op 9 as on Discord. ``gateway.websockets_opened`` counts every gateway socket (a REST-only client opens none).

Behaviour worth knowing (as real Discord): a type 5 defer creates a "thinking" placeholder (flag 128) and the
first followup fills it in (same message id); non-ephemeral interaction replies and followups produce
MESSAGE_CREATE/UPDATE (so discord.py caches them and ``on_reaction_add`` fires); ephemeral ones never reach the
gateway or channel history. Events are filtered by IDENTIFY intents; without MESSAGE_CONTENT other users' guild
messages arrive with empty content unless they mention the bot; without GUILD_MEMBERS, GUILD_CREATE lists only
the bot and owner. Uploads over the per-file limit (guild tier or the interaction's ``attachment_size_limit``,
10 MiB default) get 413 40005. Bodies are validated (2000-char content, embed limits, duplicate custom_ids,
``allowed_mentions`` parse/list conflicts, empty messages → 50006). Add Reactions is needed only to be the
first to use an emoji on a message. A channel send with ``nonce`` + ``enforce_nonce`` (discord.py sets both)
returns the bot's earlier message with that nonce from the last 5 minutes instead of posting again.
Modals: ``await emu.submit_modal(handle, {custom_id: value}, files={custom_id: [Upload…]})`` submits the modal the
bot opened in answer to ``handle`` (a type 5 interaction whose text inputs Discord's client rules checked).
Components V2 (flag 1 << 15) is accepted on replies, followups, edits and channel messages, never on a type 5
defer; such a message may carry no content or embeds, and V2 component types need the flag (``validation.py``).
Not emulated: content stripping on REST reads, threads, DMs opened via REST, voice,
stickers/polls content, webhooks other than interaction webhooks, zlib/zstd.

Standalone: ``python -m emulators.discord --port N [--token T] [--deadline S] [--token-ttl S]
[--privileged-intents BITS] [--shards N] [--max-concurrency N] [--identify-limit]``
prints ``API_BASE=…``, ``GATEWAY_URL=…``, ``TOKEN=…``, ``CONTROL_URL=…`` and
serves until SIGTERM. Control API: ``POST /_emu/{op}`` with JSON — ``info``, ``slash``, ``autocomplete``,
``click``, ``select``, ``reaction``, ``user_message``, ``interaction`` (``wait``: ack|response|choices),
``messages``, ``wait_message``, ``fault`` (rate_limit|server_error|fail), ``knob`` (disconnect, release,
expire_token, delete_channel, delete_message, deny_bot_permission, config, sharding). ``RemoteEmulator`` wraps it
(``slash, click_button, add_reaction, interaction, wait_response, messages, wait_message, fault, knob``) and
``async with standalone_emulator() as remote:`` spawns the subprocess for you.
"""

from .emulator import DiscordEmulator
from .handle import InteractionHandle
from .harness import point_discord_py_at, running_bot
from .interactions import CommandNotPermitted, CommandNotSynced, Upload
from .models import Channel, Guild, Member, Role, User
from .records import Attachment, Interaction, Message, Pings
from .remote import ControlError, RemoteEmulator, standalone_emulator

__all__ = [
    "Attachment",
    "Channel",
    "CommandNotPermitted",
    "CommandNotSynced",
    "ControlError",
    "DiscordEmulator",
    "Guild",
    "Interaction",
    "InteractionHandle",
    "Member",
    "Message",
    "Pings",
    "RemoteEmulator",
    "Role",
    "Upload",
    "User",
    "point_discord_py_at",
    "running_bot",
    "standalone_emulator",
]
