"""Run the emulated ComfyUI as a process: ``python -m emulators.comfyui serve --port N --root DIR``.

Prints one JSON line on stdout once listening (``{"port": …, "url": …}``) and serves until SIGINT/SIGTERM.
``--without-model FILE`` leaves a model file out of ``/object_info``; ``--step-seconds`` slows each sampler step;
``--answer-delay`` makes ``POST /prompt`` hold its answer after queuing.
Always binds 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import tempfile
from pathlib import Path

from emulators.comfyui.server import ComfyEmulator


async def _serve(args: argparse.Namespace) -> None:
    root = args.root or Path(tempfile.mkdtemp(prefix="comfyui-emulator-"))
    emu = ComfyEmulator(root, port=args.port)
    emu.step_seconds = args.step_seconds
    emu.answer_delay = args.answer_delay
    for folder, files in emu.models.items():
        emu.models[folder] = [f for f in files if f not in args.without_model]
    await emu.start()
    print(json.dumps({"port": emu.port, "url": emu.url}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await emu.stop()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m emulators.comfyui", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve an emulated ComfyUI on a loopback port")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on stdout)")
    serve.add_argument("--root", type=Path, default=None, help="its input/output folders (default: a temp dir)")
    serve.add_argument("--without-model", action="append", default=[], help="a model file it does not have")
    serve.add_argument("--step-seconds", type=float, default=0.0, help="sleep per sampler step")
    serve.add_argument("--answer-delay", type=float, default=0.0, help="POST /prompt queues, then holds its answer")
    asyncio.run(_serve(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
