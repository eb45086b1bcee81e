"""Acknowledgements before job work (bot.edge.start.AckFirst), as pure logic: a command that has acknowledged waits
while another is still acknowledging, and never longer than its limit."""

from __future__ import annotations

import asyncio

import pytest

from bot.edge.start import AckFirst

pytestmark = pytest.mark.timeout(30)


async def test_job_work_waits_while_another_command_is_still_acknowledging():
    gate = AckFirst(limit=60)
    async with gate.acking():  # the first command acknowledges…
        pass
    second = gate.acking()
    await second.__aenter__()  # …while a second one is still at it
    waiter = asyncio.create_task(gate.settled())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiter.done() and gate.open == 1
    await second.__aexit__(None, None, None)
    await asyncio.wait_for(waiter, 10)
    assert gate.open == 0


async def test_with_nothing_open_job_work_goes_at_once_and_a_failed_acknowledgement_is_closed():
    gate = AckFirst(limit=60)
    await asyncio.wait_for(gate.settled(), 10)
    with pytest.raises(RuntimeError):
        async with gate.acking():
            raise RuntimeError("defer failed")
    assert gate.open == 0
    await asyncio.wait_for(gate.settled(), 10)


async def test_a_steady_stream_of_acknowledgements_never_starves_job_work():
    gate = AckFirst(limit=0.01)
    async with gate.acking():  # never closed while we wait: the limit ends the wait
        await asyncio.wait_for(gate.settled(), 10)
        assert gate.open == 1
