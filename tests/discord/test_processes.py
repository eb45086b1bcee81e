"""Past one process (SQLite on one data dir): gateway shards split over ``videobot run`` processes, a
REST-only ``videobot worker``, and cancels that reach the process running the job.

The PostgreSQL variant of these tests comes with the PostgreSQL backend (same processes, a database URL).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from emulators.discord import DiscordEmulator, Message
from emulators.discord.models import Channel, Guild, User
from emulators.discord.shards import shard_of
from tests.support.discord import is_mp4, is_result, mp4_of
from tests.support.harness import BotProcess, JobDb, bot_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]  # several `videobot run` processes
COUNT = 4
RESULT = 90.0  # generous: four processes share two busy cores


def guilds_on_every_shard(emu: DiscordEmulator) -> dict[int, Guild]:
    """A guild per shard of COUNT (snowflakes follow the clock: make guilds until every shard has one)."""
    found: dict[int, Guild] = {shard_of(emu.guild.id, COUNT): emu.guild}
    for n in range(10_000):
        if len(found) == COUNT:
            return found
        guild = emu.add_guild(f"Guild {n}")
        found.setdefault(shard_of(guild.id, COUNT), guild)
    raise AssertionError("could not make a guild for every shard")


def place(emu: DiscordEmulator, guild: Guild) -> tuple[User, Channel]:
    """Someone who may use commands there (its owner), and its first channel."""
    return emu.users[guild.owner_id], next(iter(guild.channels.values()))


async def result_in(emu: DiscordEmulator, channel: Channel, after: int = 0) -> Message:
    return await emu.wait_for_message(lambda m: m.id > after and is_result(m), timeout=RESULT, channel=channel)


def live_shards(emu: DiscordEmulator) -> list[tuple[int, int] | None]:
    return sorted((s.shard for s in emu.gateway.sessions.values() if s.conn and not s.invalidated), key=str)


@pytest.fixture
async def procs():
    started: list[BotProcess] = []
    yield started
    await asyncio.gather(*(p.stop() for p in started))


async def test_two_gateway_processes_split_four_shards_with_one_sync_and_spaced_logins(emu, tmp_path, procs):
    emu.configure_sharding(recommended_shards=COUNT, enforce_identify_limit=True)  # max_concurrency 1
    guilds = guilds_on_every_shard(emu)
    env = bot_env(tmp_path / "data", emu, VIDEOBOT_GUILD_IDS=",".join(str(g.id) for g in guilds.values()))
    for name, shards in (("gw-a", "0,1"), ("gw-b", "2,3")):
        proc = BotProcess(env, tmp_path, name, ["run", "--shards", shards, "--shard-count", str(COUNT)])
        procs.append(proc)
        await proc.start(emu, timeout=60)
    await emu.wait_until(lambda: len(live_shards(emu)) == COUNT, 120, "four shards to connect")
    assert live_shards(emu) == [(n, COUNT) for n in range(COUNT)]
    policy = emu.gateway.shards
    # one bucket (max_concurrency 1): four logins from two processes, every one ≥ 5 s after the one before
    assert not policy.refused(), policy.refused()
    assert len(policy.accepted(0)) == COUNT and policy.min_spacing(0) >= policy.identify_interval
    syncs = [r for r in emu.rest.log if r.method == "PUT" and r.path.endswith("/commands")]
    assert len(syncs) == len(guilds)  # one process synced each guild once; the other left it alone
    for shard, guild in guilds.items():
        user, channel = place(emu, guild)
        since = len(emu.gateway.events)
        handle = await emu.slash(user, "video", prompt=f"a lighthouse, shard {shard}", duration=1, in_channel=channel)
        events = emu.gateway.events[since:]
        assert {emu.gateway.sessions[sid].shard for sid, _, ev in events if ev == "INTERACTION_CREATE"} == {
            (shard, COUNT)
        }
        assert await handle.wait_ack(timeout=30) == 5
        assert is_mp4(mp4_of(await result_in(emu, channel)))


async def test_a_rest_only_worker_delivers_what_a_gateway_only_process_accepted(emu, tmp_path, procs):
    env = bot_env(tmp_path / "data", emu)
    gateway = BotProcess(env, tmp_path, "gateway", ["run", "--no-worker"])
    procs.append(gateway)
    await gateway.start(emu, timeout=60)
    await emu.wait_until(lambda: emu.synced_commands(emu.guild), 60, "the commands to be synced")
    first = await emu.slash(emu.alice, "video", prompt="a paper boat on a pond", duration=1)
    assert await first.wait_ack(timeout=30) == 5
    second = await emu.slash(emu.alice, "video", prompt="a kite over a hill", duration=1)
    assert await second.wait_ack(timeout=30) == 5
    emu.expire_token(second)  # this one must go out as a channel message (REST, no cache to find the channel)
    db = JobDb(tmp_path / "data" / "videobot.sqlite3")
    async with asyncio.timeout(30):
        while len(db.rows("SELECT id FROM jobs")) < 2:
            await asyncio.sleep(0.1)
    sockets = emu.gateway.websockets_opened
    worker = BotProcess(env, tmp_path, "worker", ["worker"])
    procs.append(worker)
    await worker.start(emu, timeout=60, gateway=False)
    results = await emu.wait_until(
        lambda: r if len(r := [m for m in emu.messages() if is_result(m)]) >= 2 else None, RESULT, "both results"
    )
    assert all(is_mp4(mp4_of(m)) for m in results)
    via_webhook = [m for m in results if m.webhook_id is not None]
    assert len(via_webhook) == 1 and via_webhook[0].interaction_id == first.id  # the live token: its webhook
    channel_sent = [m for m in results if m.webhook_id is None]
    assert len(channel_sent) == 1 and channel_sent[0].reference is not None  # the expired one: a channel reply
    assert emu.gateway.websockets_opened == sockets  # the worker never opened a gateway socket
    assert emu.gateway.identifies == 1
    await until_states(db, {"done"})
    # the buttons and reactions on what the worker posted are answered by the gateway process
    click = await emu.click_button(emu.alice, via_webhook[0], label="Re-roll")
    assert await click.wait_ack(timeout=30) in (4, 5)
    third = await emu.wait_for_message(lambda m: is_result(m) and m.id not in {r.id for r in results}, timeout=RESULT)
    assert is_mp4(mp4_of(third))
    await emu.add_reaction(emu.alice, None, channel_sent[0], "❌")
    await emu.wait_until(lambda: channel_sent[0].deleted, 30, "the ❌ to delete the result")
    assert emu.gateway.websockets_opened == sockets


async def until_states(db: JobDb, states: set[str], timeout: float = RESULT) -> None:
    """Until every job is in one of ``states`` (the database is not an emulator event: poll it)."""
    async with asyncio.timeout(timeout):
        while {r["state"] for r in db.rows("SELECT state FROM jobs")} - states:
            await asyncio.sleep(0.1)


async def test_videobot_run_refuses_shards_without_a_count(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--shards",
        "0,1",
        cwd=tmp_path,
        env={
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            "DISCORD_TOKEN": "x",
            "VIDEOBOT_DATA_DIR": str(tmp_path / "data"),
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2 and "--shards needs --shard-count" in stderr.decode()


async def test_a_cancel_taken_by_the_gateway_stops_a_job_napping_in_the_worker_process(emu, tmp_path, procs):
    from emulators.providers import EmulatorServer, VideoFactory
    from emulators.providers._core import Script

    providers = await EmulatorServer(VideoFactory(tmp_path / "clips")).start()
    try:
        providers.runway.script_next(Script(outcome="hang"))  # runs until cancelled
        # polls 10 minutes apart: only the row re-read during the wait can notice the cancel in time
        env = bot_env(
            tmp_path / "data",
            emu,
            providers,
            VIDEOBOT_POLL_INTERVAL_SECONDS="600",
            VIDEOBOT_POLL_MAX_INTERVAL_SECONDS="600",
        )
        gateway = BotProcess(env, tmp_path, "gateway", ["run", "--no-worker"])
        worker = BotProcess(env, tmp_path, "worker", ["worker"])
        procs.extend([gateway, worker])
        await gateway.start(emu, timeout=60)
        await worker.start(emu, timeout=60, gateway=False)
        await emu.wait_until(lambda: emu.synced_commands(emu.guild), 60, "the commands to be synced")
        handle = await emu.slash(emu.alice, "video", prompt="a slow glacier", model="runway:gen4.5", duration=2)
        assert await handle.wait_ack(timeout=30) == 5
        db = JobDb(tmp_path / "data" / "videobot.sqlite3")
        async with asyncio.timeout(RESULT):
            while not (rows := db.rows("SELECT id FROM jobs WHERE state = 'running'")):
                await asyncio.sleep(0.1)
        job_id = rows[0]["id"]
        async with asyncio.timeout(RESULT):  # the task exists: the worker is in its wait (first poll 600 s on)
            while not providers.runway.tasks:
                await asyncio.sleep(0.05)
        cancel = await emu.slash(emu.alice, "cancel", job=job_id)
        reply = await cancel.wait_response(timeout=30)
        assert "being stopped" in reply.content  # the gateway recorded it; the worker must act on it
        await until_states(db, {"cancelled"})
        [task] = providers.runway.tasks.values()
        assert task.cancelled  # the worker process cancelled the provider task
        [ledger] = db.rows("SELECT state FROM quota_ledger WHERE job_id = ?", (job_id,))
        assert ledger["state"] == "refunded"
    finally:
        await providers.stop()
