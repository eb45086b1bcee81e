"""Fault-test harness: the real bot as a process (``python -m bot.cli run``) against loopback emulators.

* :class:`BotProcess` starts ``videobot run`` on a data dir, SIGKILLs it (synchronously, so it can be done
  from inside an emulator callback) and stops it; its output goes to a log file shown when a test fails.
* :class:`JobDb` reads the bot's SQLite file read-only while the bot runs (WAL allows a concurrent reader).
* :func:`kill_on_result` SIGKILLs the bot from inside the Discord emulator the instant it stores a job's
  result message: Discord has accepted it, the bot never hears back (the DELIVERING crash window).
* :class:`LiveRig` ties one bot process to the emulators and the database: ``/video`` through Discord,
  kill in a given state, restart, and the exactly-once checks.
* :func:`slow_ffmpeg` writes an ffmpeg wrapper that holds probes of downloaded raw files (a slow
  POSTPROCESSING step) and, through a :class:`RenderGate`, offline renders until the test lets each go;
  :func:`tasks_for` and :func:`results_for` count what the providers and Discord saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import imageio_ffmpeg

from emulators.discord import DiscordEmulator, Message, User
from emulators.providers import EmulatorServer
from emulators.providers._core import ApiState
from tests.support.cli import LOCAL_SCALE
from tests.support.discord import is_result

ROOT = Path(__file__).resolve().parents[2]
FINISHED = {"done", "failed", "cancelled"}
RAW_PROBE_DELAY = 0.5  # seconds the ffmpeg wrapper holds the probe of a downloaded file (POSTPROCESSING)
Row = dict[str, Any]
# provider -> (model, duration): a cheap, fast model of each provider
MODELS = {
    "local": ("local:storyboard", 1),
    "runway": ("runway:gen4.5", 2),
    "replicate": ("replicate:zeroscope", 1),
    "luma": ("luma:ray-flash-2", 5),
}


def bot_env(data_dir: Path, emu: DiscordEmulator, providers: EmulatorServer | None = None, **extra: str) -> dict:
    """The environment of ``videobot run``: Discord and the providers on loopback, fast polling, no real keys."""
    strip = ("VIDEOBOT_", "DISCORD_", "RUNWAYML_", "REPLICATE_", "LUMAAI_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(strip)}
    env.update(
        PYTHONPATH=str(ROOT),
        DISCORD_TOKEN=emu.token,
        DISCORD_API_BASE=emu.base_url,
        DISCORD_GATEWAY_URL=emu.gateway_url,
        VIDEOBOT_GUILD_IDS=str(emu.guild.id),
        VIDEOBOT_DATA_DIR=str(data_dir),
        VIDEOBOT_POLL_INTERVAL_SECONDS="0.05",
        VIDEOBOT_POLL_MAX_INTERVAL_SECONDS="0.2",
        VIDEOBOT_PROGRESS_EDIT_INTERVAL="0.5",
        VIDEOBOT_DAILY_SECONDS="86400",
        VIDEOBOT_LOG_LEVEL="INFO",
        VIDEOBOT_LOCAL_SCALE=LOCAL_SCALE,  # previews at 320x180: the size is not what these tests are about
    )
    if providers is not None:
        env.update(providers.env())
    env.update(extra)
    return env


class BotProcess:
    """``python -m bot.cli run`` (or ``args``) on one data dir, restartable; every start appends to ``log_path``."""

    def __init__(self, env: dict[str, str], workdir: Path, name: str = "bot", args: Iterable[str] = ("run",)):
        self.env = env
        self.args = tuple(args)
        self.workdir = workdir
        self.log_path = workdir / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.kills = 0

    @property
    def running(self) -> bool:
        """Whether the process exists and has not been reaped."""
        return self.proc is not None and self.proc.returncode is None

    async def start(self, emu: DiscordEmulator, timeout: float = 40.0, *, gateway: bool = True) -> None:
        """Spawn the bot and return once it identified on the emulator's gateway (commands synced, worker on).

        ``gateway=False`` (``videobot worker``): return once it logged in over REST (``GET /users/@me``)."""
        assert not self.running, "already running"
        before = emu.gateway.identifies if gateway else sum(r.path == "/users/@me" for r in emu.rest.log)
        connected = (
            (lambda: emu.gateway.identifies) if gateway else (lambda: sum(r.path == "/users/@me" for r in emu.rest.log))
        )
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n----- start #{self.starts + 1} -----\n".encode())
            log.flush()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                *self.args,
                cwd=self.workdir,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while connected() <= before:
            if self.proc.returncode is not None:
                raise RuntimeError(f"the bot exited with {self.proc.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the bot did not connect within {timeout:.0f}s:\n{self.log_tail()}")
            await asyncio.sleep(0.02)

    def kill(self) -> bool:
        """SIGKILL now (no await: usable from a synchronous callback); False if it was not running."""
        if not self.running or self.proc is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.kills += 1
        return True

    async def reap(self) -> None:
        """Wait for a killed process to be gone."""
        if self.proc is not None:
            await asyncio.wait_for(self.proc.wait(), 10)

    async def crash_and_restart(self, emu: DiscordEmulator) -> None:
        """kill -9, then start again on the same data dir."""
        self.kill()
        await self.reap()
        await self.start(emu)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; always leaves no process behind."""
        if self.proc is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.kill()
            await self.reap()

    def log_tail(self, lines: int = 80) -> str:
        """The end of the bot's output (for failure messages)."""
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class JobDb:
    """Read-only views of the bot's database (a fresh connection per query: always the latest commit)."""

    def __init__(self, path: Path):
        self.path = path

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """Run a SELECT; [] while the database or its tables do not exist yet."""
        if not self.path.exists():
            return []
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, tuple(params))]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        finally:
            conn.close()

    def job(self, job_id: int) -> Row | None:
        """One job row."""
        found = self.rows("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return found[0] if found else None

    def tagged(self, tag: str) -> list[Row]:
        """Jobs whose prompt contains ``tag``."""
        return self.rows("SELECT * FROM jobs WHERE spec_json LIKE ? ORDER BY id", (f"%{tag}%",))

    def ledger(self, job_id: int) -> list[str]:
        """The states of the job's quota ledger rows."""
        return [r["state"] for r in self.rows("SELECT state FROM quota_ledger WHERE job_id = ?", (job_id,))]

    async def wait_tagged(self, tag: str, timeout: float = 20.0) -> Row:
        """The job whose prompt carries ``tag``, once it exists."""
        found: list[Row] = await self.wait(lambda: self.tagged(tag), timeout, f"a job tagged {tag!r}")
        return found[0]

    async def wait_state(self, job_id: int, states: Iterable[str], timeout: float = 30.0) -> Row:
        """The job's row once its state is one of ``states``."""
        wanted = set(states)

        def check() -> Row | None:
            row = self.job(job_id)
            return row if row is not None and row["state"] in wanted else None

        def what() -> str:
            return f"job {job_id} to be {sorted(wanted)} (now {self._state(job_id)})"

        return await self.wait(check, timeout, what)

    def _state(self, job_id: int) -> str:
        row = self.job(job_id)
        return "missing" if row is None else str(row["state"])

    async def wait(
        self, check: Callable[[], Any], timeout: float, what: str | Callable[[], str], every: float = 0.005
    ) -> Any:
        """Poll ``check`` until it returns something truthy (``what`` describes it in the timeout's message; a
        callable is read at the timeout, so the message tells the state then, not at the start)."""
        deadline = time.monotonic() + timeout
        while not (found := check()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what() if callable(what) else what}")
            await asyncio.sleep(every)
        return found


@contextlib.contextmanager
def kill_on_result(emu: DiscordEmulator, bot: BotProcess, job_id: int) -> Iterator[list[int]]:
    """SIGKILL ``bot`` inside the emulator's change hook, right after it stored the job's result message and
    before the HTTP answer is written.  Yields a list that receives the message id when it fired."""
    fired: list[int] = []
    original = emu.notify

    def notify() -> None:
        if not fired and emu.message_store:
            newest = emu.message_store[next(reversed(emu.message_store))]
            if is_result(newest, job_id) and bot.kill():
                fired.append(newest.id)
        original()

    setattr(emu, "notify", notify)  # noqa: B010 - instance override of a method
    try:
        yield fired
    finally:
        delattr(emu, "notify")


class RenderGate:
    """Holds the bot's offline renders (its ffmpeg runs fed on a pipe) in the wrapper :func:`slow_ffmpeg` writes:
    open (as made), every render runs; closed, each waits for a pass (:meth:`allow`), one render per pass.  A
    render waiting is listed (:attr:`waiting`); a waiting wrapper whose bot was killed gives up."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.open()

    def open(self) -> None:
        (self.folder / "open").touch()

    def close(self) -> None:
        (self.folder / "open").unlink(missing_ok=True)

    def allow(self, count: int = 1) -> None:
        for _ in range(count):
            tmp = self.folder / f".pass-{os.urandom(4).hex()}"
            tmp.touch()
            tmp.rename(self.folder / tmp.name[1:])  # a pass appears whole

    @property
    def waiting(self) -> int:
        """Renders waiting for a pass now."""
        return len(list(self.folder.glob("waiting-*")))

    @property
    def used(self) -> int:
        """Passes taken so far."""
        return len(list(self.folder.glob("used-*")))


def slow_ffmpeg(folder: Path, raw_probe_delay: float, gate: RenderGate | None = None) -> Path:
    """An executable that runs the real ffmpeg, first sleeping ``raw_probe_delay`` s when it is given a
    downloaded raw file (``…/media/raw/…``): the bot's POSTPROCESSING step then lasts that long; and with a
    ``gate``, holding an offline render while the gate is closed until it takes a pass."""
    real = imageio_ffmpeg.get_ffmpeg_exe()
    script = folder / "ffmpeg-slow-raw"
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["#!/bin/sh", f'case "$*" in *"/media/raw/"*) sleep {raw_probe_delay:.3f} ;; esac']
    if gate is not None:
        # The parent (the bot) is checked first, so a killed bot's render never takes a later pass: it has died
        # when this process's parent is no longer the one it started with (or it started orphaned, under pid 1).
        g = gate.folder
        lines += [
            f'case "$*" in *"pipe:0"*) if [ ! -e "{g}/open" ]; then',
            f'  touch "{g}/waiting-$$"',
            f'  until [ -e "{g}/open" ]; do',
            "    read -r _ _ _ parent _ < /proc/$$/stat",
            f'    [ "$parent" = "$PPID" ] && [ "$PPID" != 1 ] || {{ rm -f "{g}/waiting-$$"; exit 1; }}',
            f'    for p in "{g}"/pass-*; do [ -e "$p" ] && mv "$p" "{g}/used-$$" 2>/dev/null && break 2; done',
            "    sleep 0.02",
            "  done",
            f'  rm -f "{g}/waiting-$$"',
            "fi ;; esac",
        ]
    lines.append(f'exec "{real}" "$@"')
    script.write_text("\n".join(lines) + "\n")
    script.chmod(0o755)
    return script


def tasks_for(api: ApiState, tag: str) -> list[str]:
    """Ids of the tasks a provider emulator created for requests whose body contains ``tag``."""
    return [t.id for t in api.tasks.values() if tag in json.dumps(t.body)]


def results_for(emu: DiscordEmulator, job_id: int) -> list[Message]:
    """The job's live result messages in Discord (the result embed, footer ``job #N · …``)."""
    return [m for m in emu.messages(ephemeral=False) if is_result(m, job_id)]


def mp4_attached(message: Message) -> bool:
    """Whether the result carries the MP4 itself (not only a link)."""
    return any(a.filename.endswith(".mp4") and a.data[4:8] == b"ftyp" for a in message.attachments)


@dataclass
class LiveRig:
    """One ``videobot run`` process, the emulators it talks to, and the database it writes."""

    emu: DiscordEmulator
    providers: EmulatorServer
    bot: BotProcess
    db: JobDb
    kills: list[str] = field(default_factory=list)
    renders: RenderGate | None = None  # holds the bot's offline renders when closed (live_rig's is open)

    def api(self, provider: str) -> ApiState | None:
        """The provider emulator (None for the local renderer)."""
        return self.providers.apis.get(provider)

    async def video(self, user: User, provider: str, prompt: str, tag: str) -> Row:
        """/video through Discord; returns the job row once it exists."""
        model, duration = MODELS[provider]
        handle = await self.emu.slash(user, "video", prompt=f"{prompt} {tag}", model=model, duration=duration)
        assert await handle.wait_ack(timeout=30) == 5
        return await self.db.wait_tagged(tag)

    async def crash(self, job_id: int, state: str, *, ready: object = None, settle: float = 0.0) -> None:
        """Wait for ``state`` (and ``ready()``), SIGKILL, check the job died in that state."""
        await self.db.wait_state(job_id, [state], timeout=40)
        if callable(ready):
            await self.db.wait(ready, 20, f"job {job_id} ready to be killed in {state}", every=0.01)
        if settle:
            await asyncio.sleep(settle)
        assert self.bot.kill()
        await self.bot.reap()
        row = self.db.job(job_id)
        assert row is not None and row["state"] == state, f"wanted a kill in {state}, the job was {row}"
        self.kills.append(state)

    async def restart(self) -> None:
        """Start the bot again on the same data dir."""
        await self.bot.start(self.emu)

    async def finished(self, job_id: int, timeout: float = 40.0) -> Row:
        """The job's final row."""
        return await self.db.wait_state(job_id, FINISHED, timeout=timeout)

    def assert_done_once(self, job_id: int, provider: str, tag: str) -> None:
        """DONE, one result with the MP4, one provider task, the charge committed once."""
        row = self.db.job(job_id)
        assert row is not None and row["state"] == "done", row
        posted = results_for(self.emu, job_id)
        assert len(posted) == 1, f"{len(posted)} results for job {job_id}"
        assert mp4_attached(posted[0]) and row["message_id"] == posted[0].id
        api = self.api(provider)
        if api is not None:
            assert len(tasks_for(api, tag)) == 1, f"{provider} made {len(tasks_for(api, tag))} tasks for {tag}"
        assert self.db.ledger(job_id) == ["committed"]


MakeBot = Callable[..., Awaitable[BotProcess]]  # the ``bot_process`` fixture (tests/faults/conftest.py)


async def walk_the_steps(rig: LiveRig, provider: str, job_id: int, tag: str) -> None:
    """QUEUED (behind the blocker), then every later step (:func:`walk_from_running`)."""
    api = rig.api(provider)
    await rig.crash(job_id, "queued")
    await rig.restart()
    polled = None
    if api is not None:
        polled = lambda: sum(t.polls for t in api.tasks.values() if t.id in tasks_for(api, tag)) >= 3  # noqa: E731
    await walk_from_running(rig, job_id, polled)


async def walk_from_running(rig: LiveRig, job_id: int, polled: Callable[[], bool] | None) -> None:
    """RUNNING, DOWNLOADING, POSTPROCESSING, DELIVERING (refused, then posted), each killed and restarted.

    ``polled``: a cloud job's task has been polled enough to kill it RUNNING (then it is also killed DOWNLOADING);
    None: a local job (no task to poll, nothing to download)."""
    emu = rig.emu
    if polled is not None:
        await rig.crash(job_id, "running", ready=polled)
    else:
        await rig.crash(job_id, "running", settle=0.2)
    await rig.restart()
    if polled is not None:
        await rig.crash(job_id, "downloading", settle=0.2)
        await rig.restart()
    await rig.crash(job_id, "postprocessing", settle=0.1)
    outage = emu.server_error_next("POST /webhooks/*", count=10_000)
    await rig.restart()
    await rig.crash(job_id, "delivering", ready=lambda: outage.hits >= 1)
    outage.remaining = 0
    with kill_on_result(emu, rig.bot, job_id) as fired:
        await rig.restart()
        await rig.db.wait(lambda: fired, 40, "the result upload (and the kill inside it)", every=0.01)
    await rig.bot.reap()
    assert len(results_for(emu, job_id)) == 1
    await rig.restart()
    await rig.finished(job_id)
