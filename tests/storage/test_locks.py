"""Named locks (``Storage.try_lock`` / ``advisory_lock``) on both backends: shared by processes, freed by a crash."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from storage import open_storage

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parents[2]

HOLDER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from storage import open_storage

    async def main():
        storage = await open_storage(sys.argv[1], Path(sys.argv[3]))
        lock = await storage.try_lock(sys.argv[2])
        print("held" if lock else "busy", flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


async def test_a_lock_excludes_a_second_holder_in_the_same_process_until_released(database_url, tmp_path):
    storage = await open_storage(database_url, tmp_path / "db.sqlite3")
    try:
        first = await storage.try_lock("command-sync")
        assert first is not None and first.name == "command-sync"
        assert await storage.try_lock("command-sync") is None
        assert await storage.try_lock("identify:0") is not None  # other names are independent
        await first.release()
        await first.release()  # twice is harmless
        again = await storage.try_lock("command-sync")
        assert again is not None
        await again.release()
    finally:
        await storage.close()


async def test_advisory_lock_waits_for_the_holder(database_url, tmp_path):
    storage = await open_storage(database_url, tmp_path / "db.sqlite3")
    order: list[str] = []
    try:
        holder = await storage.try_lock("bucket")
        assert holder is not None

        async def waiter() -> None:
            async with storage.advisory_lock("bucket"):
                order.append("waiter in")

        task = asyncio.create_task(waiter())
        await asyncio.sleep(0.3)
        assert not task.done()  # still waiting while the lock is held
        order.append("holder out")
        await holder.release()
        await asyncio.wait_for(task, 10)
        assert order == ["holder out", "waiter in"]
        assert await storage.try_lock("bucket") is not None  # the block released it
    finally:
        await storage.close()


async def test_another_process_holding_the_lock_refuses_it_until_it_is_killed(database_url, tmp_path):
    db = tmp_path / "db.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, database_url, "command-sync", str(db), env=env, stdout=asyncio.subprocess.PIPE
    )
    storage = await open_storage(database_url, db)
    try:
        assert proc.stdout is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"held"
        assert await storage.try_lock("command-sync") is None
        proc.send_signal(signal.SIGKILL)  # a crash frees the lock: no stale holder
        await asyncio.wait_for(proc.wait(), 10)
        lock = await storage.try_lock("command-sync")
        assert lock is not None
        await lock.release()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await storage.close()
