"""``videobot db copy`` (SQLite → PostgreSQL) and ``videobot db check`` (schema version, row counts)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.settings import Settings
from storage import StorageError


def add_db_parser(sub: Any) -> None:
    """The ``db`` command and its two subcommands."""
    db = sub.add_parser("db", help="move a bot's data to PostgreSQL, or look at a database")
    actions = db.add_subparsers(dest="db_command", required=True)
    copy = actions.add_parser("copy", help="copy every table of a SQLite database into an empty PostgreSQL one")
    copy.add_argument("--from", dest="source", required=True, help="sqlite:///data/videobot.sqlite3")
    copy.add_argument("--to", dest="target", required=True, help="postgresql://user@host/db")
    check = actions.add_parser("check", help="schema version and row counts")
    check.add_argument("--url", help="default: VIDEOBOT_DATABASE_URL, else the SQLite file in VIDEOBOT_DATA_DIR")


def run_db(args: argparse.Namespace, settings: Settings) -> int:
    """Run a ``db`` subcommand; storage errors are printed, not raised."""
    from storage.transfer import check_database, copy_database  # asyncpg only for this command

    try:
        if args.db_command == "copy":
            copied = asyncio.run(copy_database(args.source, args.target))
            print(f"copied {sum(copied.values())} rows: " + ", ".join(f"{t} {n}" for t, n in copied.items()))
            return 0
        url = args.url or (settings.database_url.get_secret_value() if settings.database_url else None)
        report = asyncio.run(check_database(url or f"sqlite:///{settings.db_path}"))
    except StorageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"backend: {report.backend}")
    print(f"schema version: {report.version} (this videobot: {report.latest})")
    for table, count in report.counts.items():
        print(f"{table}: {count} rows")
    return 0 if report.version == report.latest else 1
