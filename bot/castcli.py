"""``videobot cast add|list|delete --guild ID``: a server's cast from the command line (the operator's own hand:
deleting needs no Manage Server), through the same service as /cast."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.app import App
from bot.services.requests.requester import Requester

CLI_USER = 0


def add_cast_parser(sub: Any) -> None:
    """The ``cast`` command and its subcommands."""
    cast = sub.add_parser("cast", help="a server's recurring characters (add, list, delete)")
    actions = cast.add_subparsers(dest="cast_command", required=True)
    add = actions.add_parser("add", help="add a character from 1-3 photos (and a voice sample of up to 15 s)")
    add.add_argument("name", help="one word, 2-32 characters (called with @Name in prompts)")
    add.add_argument("--image", type=Path, action="append", required=True, help="a photo; repeat for up to 3")
    add.add_argument("--voice", type=Path, help="a short voice sample (audio, up to 15 s)")
    add.add_argument("--description", help="added to prompts that use this character")
    add.add_argument("--user", type=int, default=CLI_USER, help="who adds it (default 0)")
    listing = actions.add_parser("list", help="a server's cast")
    delete = actions.add_parser("delete", help="delete a character (videos made with it keep it)")
    delete.add_argument("name")
    for parser in (add, listing, delete):
        parser.add_argument("--guild", type=int, required=True, help="the server's id")


async def run_cast(app: App, args: argparse.Namespace) -> int:
    """Run a ``cast`` subcommand."""
    who = Requester(user_id=getattr(args, "user", CLI_USER), guild_id=args.guild, display_name="command line")
    if args.cast_command == "add":
        files = [*args.image, *([args.voice] if args.voice else [])]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            print(f"error: no such file: {missing[0]}", file=sys.stderr)
            return 2
        voice = args.voice.read_bytes() if args.voice else None
        photos = [p.read_bytes() for p in args.image]
        member = await app.cast.add(who, args.name, photos, voice, args.description)
        print(f"added {member.name} (#{member.id}): {len(member.photos)} photo(s){', voice' if member.voice else ''}")
        return 0
    if args.cast_command == "list":
        for m in await app.cast.members(args.guild):
            voice = f", voice {m.voice_seconds or 0:.1f} s" if m.voice else ""
            print(
                f"{m.name}  {len(m.photos)} photo(s){voice}  added by {m.added_by_name or m.added_by}  {m.description}"
            )
        return 0
    member = await app.cast.delete(who, args.name, manager=True)
    print(f"deleted {member.name}")
    return 0
