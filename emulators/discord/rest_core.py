"""REST: login, application info, gateway URLs, application commands, guild/user fetches, the CDN."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._util import ApiError, json_response
from .naming import check_command

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

EMU_KEY: web.AppKey[DiscordEmulator] = web.AppKey("discord_emu")
# Fields GET /guilds/{guild_id} always has (GuildWithCountsResponse requires them) that the emulator's guilds do
# not model: the values of a plain new guild.
GUILD_REST_DEFAULTS: dict[str, Any] = {
    "description": None,
    "home_header": None,
    "splash": None,
    "discovery_splash": None,
    "banner": None,
    "application_id": None,
    "region": "deprecated",
    "afk_channel_id": None,
    "afk_timeout": 300,
    "system_channel_id": None,
    "system_channel_flags": 0,
    "widget_enabled": False,
    "widget_channel_id": None,
    "max_presences": None,
    "max_members": 500000,
    "max_stage_video_channel_users": 50,
    "max_video_channel_users": 25,
    "vanity_url_code": None,
    "rules_channel_id": None,
    "safety_alerts_channel_id": None,
    "public_updates_channel_id": None,
    "premium_progress_bar_enabled": False,
    "nsfw": False,
    "incidents_data": None,
}


def emu_of(request: web.Request) -> DiscordEmulator:
    """The emulator serving this request."""
    return request.app[EMU_KEY]


async def get_me(request: web.Request) -> web.Response:
    """GET /users/@me (login; 401 handled by the middleware)."""
    emu = emu_of(request)
    me = {**emu.bot.to_dict(), "verified": True, "mfa_enabled": False, "locale": "en-US", "email": None}
    return json_response(me)


async def get_user(request: web.Request) -> web.Response:
    """GET /users/{user_id}."""
    user = emu_of(request).users.get(int(request.match_info["user_id"]))
    if user is None:
        raise ApiError(404, 10013, "Unknown User")
    return json_response(user.to_dict())


async def get_application(request: web.Request) -> web.Response:
    """GET /oauth2/applications/@me (discord.py needs these fields, appinfo.py)."""
    emu = emu_of(request)
    return json_response(
        {
            "id": str(emu.application_id),
            "name": emu.bot.username,
            "description": "discord-emu application",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": emu.owner.to_dict(),
            "verify_key": "0" * 64,
            "type": None,
            "flags": 0,
            "flags_new": "0",
            "redirect_uris": [],
            "role_connections_verification_url": None,
            "approximate_guild_count": len(emu.guilds),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "eligible_oauth2_scopes": [],
            "team": None,
            "interactions_endpoint_url": None,
            "bot": emu.bot.to_dict(),
        }
    )


async def get_gateway(request: web.Request) -> web.Response:
    """GET /gateway and /gateway/bot."""
    emu = emu_of(request)
    if request.path.endswith("/bot"):  # shards and session_start_limit come from the gateway's ShardPolicy
        return json_response(emu.gateway.shards.gateway_bot(emu.gateway_url))
    return json_response({"url": emu.gateway_url})


def _command_store(request: web.Request) -> dict[int, dict[str, Any]]:
    emu = emu_of(request)
    if int(request.match_info["app_id"]) != emu.application_id:
        raise ApiError(403, 50001, "Missing Access")
    guild_id = request.match_info.get("guild_id")
    if guild_id is None:
        return emu.global_commands
    if int(guild_id) not in emu.guilds:
        raise ApiError(404, 10004, "Unknown Guild")
    return emu.guild_commands.setdefault(int(guild_id), {})


def _stored(emu: DiscordEmulator, request: web.Request, spec: dict[str, Any], old: dict[str, Any] | None) -> dict:
    if not spec.get("name"):
        raise ApiError(400, 50035, "Invalid Form Body", {"name": {"_errors": [{"code": "BASE_TYPE_REQUIRED"}]}})
    check_command(spec)  # Discord's naming and localization rules (emulators/discord/naming.py)
    permissions = spec.get("default_member_permissions")  # sent as an integer or a string; answered as a string
    cmd = {
        "type": 1,
        "description": "",
        "options": [],
        "dm_permission": True,
        "nsfw": False,
        **spec,
        "default_member_permissions": None if permissions is None else str(permissions),
        # null or missing: Discord answers the default, guild install only (ApplicationCommandResponse has a list)
        "integration_types": spec.get("integration_types") or [0],
        "id": old["id"] if old else str(emu.snowflakes.next()),
        "application_id": str(emu.application_id),
        "version": str(emu.snowflakes.next()),
    }
    if "guild_id" in request.match_info:
        cmd["guild_id"] = request.match_info["guild_id"]
    return cmd


async def put_commands(request: web.Request) -> web.Response:
    """PUT /applications/{app}/commands (and the guild variant): replace the whole set, keeping ids."""
    emu = emu_of(request)
    store = _command_store(request)
    specs = await request.json()
    by_key = {(c["name"], c.get("type", 1)): c for c in store.values()}
    new = [_stored(emu, request, s, by_key.get((s.get("name"), s.get("type", 1)))) for s in specs]
    store.clear()
    store.update({int(c["id"]): c for c in new})
    emu.notify()
    return json_response(new)


async def get_commands(request: web.Request) -> web.Response:
    """GET /applications/{app}/commands (and the guild variant)."""
    return json_response(list(_command_store(request).values()))


async def post_command(request: web.Request) -> web.Response:
    """POST /applications/{app}/commands: upsert one command by name/type."""
    emu = emu_of(request)
    store = _command_store(request)
    spec = await request.json()
    old = next((c for c in store.values() if (c["name"], c["type"]) == (spec.get("name"), spec.get("type", 1))), None)
    cmd = _stored(emu, request, spec, old)
    store[int(cmd["id"])] = cmd
    emu.notify()
    return json_response(cmd, 200 if old else 201)


async def command_by_id(request: web.Request) -> web.StreamResponse:
    """GET/PATCH/DELETE /applications/{app}/commands/{command_id}."""
    emu = emu_of(request)
    store = _command_store(request)
    cmd = store.get(int(request.match_info["command_id"]))
    if cmd is None:
        raise ApiError(404, 10063, "Unknown application command")
    if request.method == "DELETE":
        del store[int(cmd["id"])]
        emu.notify()
        return web.Response(status=204)
    if request.method == "PATCH":
        cmd.update(await request.json())
        emu.notify()
    return json_response(cmd)


async def get_guild(request: web.Request) -> web.Response:
    """GET /guilds/{guild_id}."""
    emu = emu_of(request)
    guild = emu.guilds.get(int(request.match_info["guild_id"]))
    if guild is None or emu.bot.id not in guild.members:
        raise ApiError(404, 10004, "Unknown Guild")
    data = emu.guild_dict(guild, all_members=False)
    for key in ("channels", "members", "threads", "voice_states", "presences"):
        data.pop(key)
    return json_response({**GUILD_REST_DEFAULTS, **data})


async def get_guild_channels(request: web.Request) -> web.Response:
    """GET /guilds/{guild_id}/channels."""
    emu = emu_of(request)
    guild = emu.guilds.get(int(request.match_info["guild_id"]))
    if guild is None:
        raise ApiError(404, 10004, "Unknown Guild")
    return json_response([emu.channel_dict(c) for c in guild.channels.values() if not c.deleted])


async def get_guild_member(request: web.Request) -> web.Response:
    """GET /guilds/{guild_id}/members/{user_id}."""
    emu = emu_of(request)
    member = emu.member(int(request.match_info["guild_id"]), int(request.match_info["user_id"]))
    if member is None:
        raise ApiError(404, 10007, "Unknown Member")
    return json_response(emu.member_dict(member))


async def get_attachment(request: web.Request) -> web.Response:
    """The CDN: GET /attachments/{channel_id}/{attachment_id}/{filename} serves the stored bytes."""
    emu = emu_of(request)
    att = emu.attachments.get(int(request.match_info["attachment_id"]))
    if att is None or str(att.channel_id) != request.match_info["channel_id"]:
        return web.Response(status=404, text="Not Found")
    emu.cdn_downloads.append(att.id)
    return web.Response(body=att.data, headers={"Content-Type": att.content_type or "application/octet-stream"})


def add_routes(app: web.Application) -> None:
    """Register this module's routes."""
    api = "/api/v10"
    cmds = api + "/applications/{app_id}/commands"
    guild_cmds = api + "/applications/{app_id}/guilds/{guild_id}/commands"
    app.router.add_get(api + "/users/@me", get_me)
    app.router.add_get(api + "/users/{user_id:\\d+}", get_user)
    app.router.add_get(api + "/oauth2/applications/@me", get_application)
    app.router.add_get(api + "/gateway", get_gateway)
    app.router.add_get(api + "/gateway/bot", get_gateway)
    for base in (cmds, guild_cmds):
        app.router.add_put(base, put_commands)
        app.router.add_get(base, get_commands)
        app.router.add_post(base, post_command)
        app.router.add_route("*", base + "/{command_id:\\d+}", command_by_id)
    app.router.add_get(api + "/guilds/{guild_id}", get_guild)
    app.router.add_get(api + "/guilds/{guild_id}/channels", get_guild_channels)
    app.router.add_get(api + "/guilds/{guild_id}/members/{user_id}", get_guild_member)
    app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", get_attachment)
