"""Run the emulators as a process: ``python -m emulators.providers serve --port N``.

Prints one JSON line on stdout once listening (the port, fal's TLS port, the base URLs and the keys, as
the environment variables the bot reads) and serves until SIGINT/SIGTERM.  Always binds 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path

from emulators.providers._media import VideoFactory
from emulators.providers.server import EmulatorServer, default_cache_dir


async def _serve(port: int, fal_port: int, cache: Path, keys: dict[str, str]) -> None:
    server = await EmulatorServer(VideoFactory(cache), keys=keys, port=port, fal_port=fal_port).start()
    print(json.dumps({"port": server.port, "fal_port": server.fal_port, "env": server.env()}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m emulators.providers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve Runway, Replicate and Luma on one loopback port, fal over TLS")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on stdout)")
    serve.add_argument("--fal-port", type=int, default=0, help="fal's TLS port; 0 picks a free one")
    serve.add_argument("--cache-dir", type=Path, default=default_cache_dir(), help="where test clips are kept")
    for api in ("runway", "replicate", "luma", "fal"):
        serve.add_argument(f"--{api}-key", default=None, help=f"the key the {api} emulator accepts")
    args = parser.parse_args(argv)
    keys = {api: value for api in ("runway", "replicate", "luma", "fal") if (value := getattr(args, f"{api}_key"))}
    asyncio.run(_serve(args.port, args.fal_port, args.cache_dir, keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
