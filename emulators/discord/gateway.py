"""The gateway: HELLO/heartbeats, IDENTIFY → READY + GUILD_CREATE, RESUME with replay, intent filtering."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from ._util import (
    INTENT_DIRECT_MESSAGE_REACTIONS,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGE_REACTIONS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILD_PRESENCES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
)
from .shards import ShardPolicy, shard_of

if TYPE_CHECKING:
    from .world import World

REPLAY_BUFFER = 5000  # events kept per session for RESUME


class Connection:
    """One websocket; a writer task keeps frames in order while dispatch stays synchronous."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.writer = asyncio.create_task(self._write())

    def send(self, frame: dict[str, Any] | str) -> None:
        """Queue a frame (a dict is JSON-encoded)."""
        self.queue.put_nowait(frame if isinstance(frame, str) else json.dumps(frame))

    async def _write(self) -> None:
        while (frame := await self.queue.get()) is not None:
            if self.ws.closed:
                return
            try:
                await self.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                return

    async def close(self, code: int, message: str = "") -> None:
        """Flush queued frames, then close the socket with ``code``."""
        self.queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self.writer), 2.0)
        await self.ws.close(code=code, message=message.encode())


@dataclass(eq=False)
class Session:
    """A gateway session: survives disconnects so RESUME can replay what was missed."""

    id: str
    intents: int
    shard: tuple[int, int] | None
    seq: int = 0
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=REPLAY_BUFFER))
    conn: Connection | None = None
    invalidated: bool = False
    resumes: int = 0


class GatewayHub:
    """All gateway sessions of one emulator."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.heartbeat_interval_ms = 41250
        self.identifies = 0
        self.shards = ShardPolicy()  # /gateway/bot numbers, shard checks, identify buckets and their log
        self.websockets_opened = 0  # every /gateway websocket ever accepted (a REST-only client opens none)
        self.resumes = 0
        self.last_replayed = 0  # events replayed by the most recent RESUME
        self.events: list[tuple[str, int, str]] = []  # (session id, seq, event name) of everything sent
        self._open = asyncio.Event()
        self._open.set()
        self._tasks: set[asyncio.Task[None]] = set()

    # ----- sending --------------------------------------------------------------------------------
    def dispatch(self, event: str, data: dict[str, Any], *, intent: int, guild_id: int | None) -> None:
        """Send an event to every live session whose intents (and shard) cover it."""
        if guild_id is None and intent == INTENT_GUILD_MESSAGES:
            intent = INTENT_DIRECT_MESSAGES
        elif guild_id is None and intent == INTENT_GUILD_MESSAGE_REACTIONS:
            intent = INTENT_DIRECT_MESSAGE_REACTIONS
        for session in self.sessions.values():
            if session.invalidated or (intent and not session.intents & intent):
                continue
            if session.shard and not self._routes_to(session.shard, guild_id):
                continue
            self._send_event(session, event, self._visible(session, event, data))

    @staticmethod
    def _routes_to(shard: tuple[int, int], guild_id: int | None) -> bool:
        """Whether a sharded session gets an event: its guild's shard, or shard 0 for guild-less events."""
        return shard[0] == (0 if guild_id is None else shard_of(guild_id, shard[1]))

    def _visible(self, session: Session, event: str, data: dict[str, Any]) -> dict[str, Any]:
        """Without MESSAGE_CONTENT, others' guild messages arrive without content (mentions/own exempt)."""
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or session.intents & INTENT_MESSAGE_CONTENT:
            return data
        bot_id = str(self.world.bot.id)
        exempt = data.get("guild_id") is None or data.get("author", {}).get("id") == bot_id
        if exempt or any(m.get("id") == bot_id for m in data.get("mentions", [])):
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}

    def _send_event(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": session.seq, "d": data})
        session.buffer.append((session.seq, frame))
        self.events.append((session.id, session.seq, event))
        if session.conn is not None:
            session.conn.send(frame)

    # ----- the websocket --------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """aiohttp handler for ``GET /gateway`` (the client adds ``?v=10&encoding=json&compress=…``)."""
        ws = web.WebSocketResponse(max_msg_size=0, timeout=2.0)  # close handshake wait
        await ws.prepare(request)
        self.websockets_opened += 1
        conn = Connection(ws)
        self.connections.add(conn)
        session: Session | None = None
        client_code: int | None = None
        try:
            await self._open.wait()  # a test can hold reconnecting clients here (see disconnect(hold=True))
            conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None})
            while True:
                msg = await ws.receive()
                if msg.type == WSMsgType.CLOSE:  # the client closed; CLOSING means we did
                    client_code = msg.data
                if msg.type != WSMsgType.TEXT:
                    if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                        break
                    continue
                try:
                    frame = json.loads(msg.data)
                except json.JSONDecodeError:
                    await conn.close(4002, "Error while decoding payload.")
                    break
                session = await self._on_frame(conn, session, frame) or session
        finally:
            self.connections.discard(conn)
            conn.queue.put_nowait(None)
            if session is not None and session.conn is conn:
                session.conn = None
                # A client that closes with 1000/1001 ends its session (Discord no longer lets it resume).
                session.invalidated = session.invalidated or client_code in (1000, 1001)
            self.world.notify()
        return ws

    async def _on_frame(self, conn: Connection, session: Session | None, frame: dict[str, Any]) -> Session | None:
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            conn.send({"op": 11})
        elif op == 2:
            return await self._identify(conn, data or {})
        elif op == 6:
            return self._resume(conn, data or {})
        elif op == 8:
            self._request_members(conn, session, data or {})
        return None

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> Session | None:
        world = self.world
        if data.get("token") != world.token:
            await conn.close(4004, "Authentication failed.")
            return None
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~world.privileged_intents:
            await conn.close(4014, "Disallowed intent(s).")
            return None
        guilds = [g for g in world.guilds.values() if world.bot.id in g.members]
        live = [s.shard for s in self.sessions.values() if s.conn is not None and not s.invalidated]
        shard, outcome = self.shards.judge(data.get("shard"), live, [g.id for g in guilds])
        world.notify()
        if outcome == "rate_limited":  # too early in its bucket: Discord answers op 9 (not resumable)
            conn.send({"op": 9, "d": False, "s": None, "t": None})
            return None
        if outcome != "ready":
            code, reason = (4010, "Invalid shard.") if outcome == "invalid_shard" else (4011, "Sharding required.")
            await conn.close(code, reason)
            return None
        session = Session(secrets.token_hex(16), intents, shard, conn=conn)
        self.sessions[session.id] = session
        self.identifies += 1
        if shard:
            guilds = [g for g in guilds if shard_of(g.id, shard[1]) == shard[0]]
        self._send_event(session, "READY", self._ready(session, [g.id for g in guilds]))
        if intents & INTENT_GUILDS:
            for guild in guilds:
                payload = world.guild_dict(guild, all_members=bool(intents & INTENT_GUILD_MEMBERS))
                self._send_event(session, "GUILD_CREATE", payload)
        world.notify()
        return session

    def _ready(self, session: Session, guild_ids: list[int]) -> dict[str, Any]:
        world = self.world
        flags = 0  # the "limited" app flags for enabled privileged intents
        for intent, flag in ((INTENT_GUILD_PRESENCES, 1 << 13), (INTENT_GUILD_MEMBERS, 1 << 15)):
            flags |= flag if world.privileged_intents & intent else 0
        flags |= (1 << 19) if world.privileged_intents & INTENT_MESSAGE_CONTENT else 0
        data: dict[str, Any] = {
            "v": 10,
            "user": {**world.bot.to_dict(), "verified": True, "mfa_enabled": False, "flags": 0, "email": None},
            "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": world.base_url.replace("http", "ws", 1) + "/gateway",
            "application": {"id": str(world.application_id), "flags": flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "_trace": ["discord-emu"],
        }
        if session.shard:
            data["shard"] = list(session.shard)
        return data

    def _resume(self, conn: Connection, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = int(data.get("seq") or 0)
        lost = session is not None and session.buffer and session.buffer[0][0] > seq + 1
        if session is None or session.invalidated or data.get("token") != self.world.token or lost:
            conn.send({"op": 9, "d": False, "s": None, "t": None})
            return None
        if session.conn is not None and session.conn is not conn:
            task = asyncio.create_task(session.conn.close(4000, "Session resumed elsewhere."))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        replay = [frame for number, frame in session.buffer if number > seq]
        for frame in replay:
            conn.send(frame)
        session.conn = conn
        session.resumes += 1
        self.resumes += 1
        self.last_replayed = len(replay)
        self._send_event(session, "RESUMED", {"_trace": ["discord-emu"]})
        self.world.notify()
        return session

    def _request_members(self, conn: Connection, session: Session | None, data: dict[str, Any]) -> None:
        if session is None:
            return
        ids = data.get("guild_id")
        for guild_id in ids if isinstance(ids, list) else [ids]:
            guild = self.world.guilds.get(int(guild_id or 0))
            if guild is None:
                continue
            members = [self.world.member_dict(m) for m in guild.members.values()]
            chunk: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": members,
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
            }
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            self._send_event(session, "GUILD_MEMBERS_CHUNK", chunk)

    # ----- knobs ------------------------------------------------------------------------------------
    async def disconnect(self, code: int = 4000, *, hold: bool = False) -> int:
        """Close every bot socket with ``code`` (4000 = resumable); ``hold`` keeps reconnects waiting."""
        if hold:
            self._open.clear()
        conns = [c for c in self.connections if not c.ws.closed]
        await asyncio.gather(*(c.close(code, "Emulator disconnect.") for c in conns))
        return len(conns)

    def release(self) -> None:
        """Let held reconnects proceed (see ``disconnect(hold=True)``)."""
        self._open.set()

    def invalidate_sessions(self) -> None:
        """Make every current session unresumable: the next RESUME gets op 9."""
        for session in self.sessions.values():
            session.invalidated = True

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every connected session (the client resumes)."""
        for session in self.sessions.values():
            if session.conn is not None:
                session.conn.send({"op": 7, "d": None, "s": None, "t": None})

    async def close_all(self) -> None:
        """Close every socket (emulator shutdown)."""
        self._open.set()
        await asyncio.gather(*(c.close(1001, "Emulator shutting down.") for c in list(self.connections)))
