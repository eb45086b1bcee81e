"""Run the emulator standalone: ``python -m emulators.discord --port N`` (prints its URLs, then serves)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from ._util import PRIVILEGED_INTENTS
from .emulator import DiscordEmulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m emulators.discord", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--token", default="emu-bot-token", help="the bot token the emulator accepts")
    parser.add_argument("--bot-name", default="videobot")
    parser.add_argument("--deadline", type=float, default=3.0, help="interaction first-response window (s)")
    parser.add_argument("--token-ttl", type=float, default=900.0, help="interaction token lifetime (s)")
    parser.add_argument(
        "--privileged-intents", type=int, default=0, help=f"allowed privileged intents bits (all: {PRIVILEGED_INTENTS})"
    )
    parser.add_argument("--shards", type=int, default=1, help="/gateway/bot recommended shard count")
    parser.add_argument("--max-concurrency", type=int, default=1, help="identify buckets (session_start_limit)")
    parser.add_argument(
        "--identify-limit", action="store_true", help="answer an IDENTIFY within 5 s of its bucket's last with op 9"
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Start, print the URLs (one KEY=value per line), serve until SIGTERM/SIGINT."""
    emu = DiscordEmulator(
        token=args.token,
        bot_name=args.bot_name,
        privileged_intents=args.privileged_intents,
        interaction_deadline=args.deadline,
        token_ttl=args.token_ttl,
        port=args.port,
    )
    emu.configure_sharding(
        recommended_shards=args.shards,
        max_concurrency=args.max_concurrency,
        enforce_identify_limit=args.identify_limit,
    )
    await emu.start()
    print(f"API_BASE={emu.api_base}", flush=True)
    print(f"GATEWAY_URL={emu.gateway_url}", flush=True)
    print(f"TOKEN={emu.token}", flush=True)
    print(f"CONTROL_URL={emu.control_url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await emu.close()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
