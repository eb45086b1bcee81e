"""The ``videobot`` command: ``run`` (the Discord bot), ``generate``, ``jobs``, ``quota``, ``models``,
``cleanup``, ``db`` (copy to PostgreSQL, check), ``comfyui check`` (your own GPU's workflows against ComfyUI),
``cast`` (a server's characters).

``generate`` goes through the same service, job table, quota check and media pipeline as the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.app import App
from bot.castcli import add_cast_parser, run_cast
from bot.dbcli import add_db_parser, run_db
from bot.errors import VideobotError
from bot.prompt import ASPECTS, CAMERA_MOVES, STYLES, PromptSpec
from bot.providers.catalogue import RETIRED
from bot.providers.prices import price_label, price_of
from bot.services.delivery.port import FILM_PARTS, FileDelivery, FileRecord
from bot.services.fallback.policy import fallback_note
from bot.services.money.quota import format_seconds, format_wait
from bot.services.money.spend import report_lines
from bot.services.requests.generation import Requester, Submitted
from bot.services.requests.lineage import with_cast
from bot.services.requests.sequence import TRANSITIONS, FilmOptions
from bot.settings import Settings, load_settings
from storage import Job

CLI_USER = 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="videobot", description="AI video generation for Discord.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    run.add_argument("--shards", help="gateway shard ids this process runs, e.g. 0,1 or 0-3 (needs --shard-count)")
    run.add_argument("--shard-count", type=int, help="total gateway shards over all processes (default: Discord's)")
    run.add_argument("--no-worker", action="store_true", help="gateway only: jobs run in `videobot worker`")

    gen = sub.add_parser("generate", help="make a video from a prompt (and optionally an image)")
    gen.add_argument("prompt", nargs="?", default="", help="subject and action (may be left out with --image)")
    gen.add_argument("--image", type=Path, help="image to animate")
    gen.add_argument("--end-image", type=Path, help="last frame: interpolate from --image to it")
    gen.add_argument("--video", type=Path, help="a clip to restyle (video to video; the prompt is the new look)")
    gen.add_argument("--strength", type=float, help="with --video: 0 keeps the original, 1 restyles fully")
    gen.add_argument("--loop", action="store_true", help="make a seamless loop (models that can)")
    gen.add_argument(
        "--audio",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="sound with the picture on models that make it (default: VIDEOBOT_AUDIO_DEFAULT)",
    )
    gen.add_argument("--camera", choices=sorted(CAMERA_MOVES))
    gen.add_argument("--style", choices=sorted(STYLES))
    gen.add_argument("--setting")
    gen.add_argument("--lighting")
    gen.add_argument("--details")
    gen.add_argument("--negative", help="what to avoid")
    gen.add_argument("--duration", type=int, help="seconds")
    gen.add_argument("--aspect", choices=ASPECTS)
    gen.add_argument("--seed", type=int)
    gen.add_argument("--model", help="provider:model (see `videobot models`)")
    gen.add_argument("--user", type=int, default=CLI_USER, help="whose quota to charge (default 0)")
    gen.add_argument("--cast", help="up to 3 of a server's cast, comma-separated (needs --guild); @Name works too")
    gen.add_argument("--guild", type=int, help="the server whose cast --cast and @Name use")
    gen.add_argument("-o", "--output", type=Path, default=Path("video.mp4"))
    gen.add_argument("--timeout", type=float, default=3600.0, help="give up waiting after this many seconds")

    film = sub.add_parser("sequence", help="a short film: 2-8 shots from a file (a shot per line, `| 4s` for a length)")
    film.add_argument("file", type=Path, help="the shots, one per line")
    film.add_argument("--title", default="", help="the film's title (default: the file's name)")
    film.add_argument("--continuity", action="store_true", help="each shot starts from the last frame before it")
    film.add_argument("--transition", choices=TRANSITIONS, default="cut")
    film.add_argument("--image", type=Path, help="the first shot's start image")
    film.add_argument("--sound", default="", metavar="TEXT", help="one soundtrack over the whole film, described")
    for flag in ("--setting", "--lighting", "--details"):
        film.add_argument(flag)
    film.add_argument("--camera", choices=sorted(CAMERA_MOVES))
    film.add_argument("--style", choices=sorted(STYLES))
    film.add_argument("--negative", help="what to avoid")
    film.add_argument("--duration", type=int, help="seconds per shot (a line's `| 4s` wins)")
    film.add_argument("--aspect", choices=ASPECTS)
    film.add_argument("--model", help="provider:model (see `videobot models`)")
    film.add_argument("--user", type=int, default=CLI_USER, help="whose quota to charge (default 0)")
    film.add_argument("-o", "--output", type=Path, default=Path("film.mp4"))
    film.add_argument("--timeout", type=float, default=3600.0, help="give up waiting after this many seconds")

    for name, text in (
        ("stitch", "join 2-8 results in order"),
        ("loop", "repeat a result"),
        ("soundtrack", "lay an audio file under a result"),
    ):
        edit = sub.add_parser(name, help=text)
        if name == "stitch":
            edit.add_argument("jobs", nargs="+", help="job numbers in order")
            edit.add_argument("--crossfade", type=float, default=0.0, help="seconds of dissolve (0 = hard cut)")
        else:
            edit.add_argument("job", type=int)
        if name == "loop":
            edit.add_argument("--times", type=int, required=True, help="2-10")
        if name == "soundtrack":
            edit.add_argument("audio", type=Path, help="MP3, WAV, OGG, M4A/AAC or FLAC")
            edit.add_argument("--volume", type=float, default=1.0)
        edit.add_argument("--user", type=int, default=CLI_USER, help="whose results (default 0)")
        edit.add_argument("-o", "--output", type=Path, default=Path(f"{name}.mp4"))
        edit.add_argument("--timeout", type=float, default=3600.0)

    jobs = sub.add_parser("jobs", help="recent jobs and their states")
    jobs.add_argument("--limit", type=int, default=20)

    quota = sub.add_parser("quota", help="what a user has left, or set a limit")
    quota.add_argument("--user", type=int, required=True)
    quota.add_argument("--guild", type=int)
    quota.add_argument("--set", type=float, dest="set_seconds", help="set this user's seconds per 24 h")

    usage = sub.add_parser("usage", help="what the bot spent (by model and member, in provider units and dollars)")
    usage.add_argument("--days", type=int, default=30, help="how many days back (default 30)")
    usage.add_argument("--guild", type=int, help="one server's spend (default: the whole bot)")

    sub.add_parser("models", help="the enabled models and what each can do")

    work = sub.add_parser(
        "worker",
        help="run jobs without a gateway (with DISCORD_TOKEN: Discord jobs too, until "
        "stopped; without: the unfinished command-line jobs, then exit)",
    )
    work.add_argument("--once", action="store_true", help="finish the unfinished command-line jobs, then exit")
    work.add_argument("--timeout", type=float, default=3600.0)

    sub.add_parser("cleanup", help="delete media past VIDEOBOT_RETENTION_DAYS or over VIDEOBOT_MEDIA_DISK_CAP_MB")
    comfy = sub.add_parser("comfyui", help="your own GPU: check the ComfyUI workflows against the servers")
    comfy_sub = comfy.add_subparsers(dest="comfyui_command", required=True)
    comfy_sub.add_parser("check", help="what each server lacks to run each workflow (nodes, inputs, model files)")
    add_db_parser(sub)
    add_cast_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        # the bot logs at its level; one-shot commands stay quiet unless a level was asked for
        serving = args.command == "run" or (args.command == "worker" and bool(settings.discord_token))
        level = settings.log_level if serving or "VIDEOBOT_LOG_LEVEL" in os.environ else "WARNING"
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        if args.command == "run":
            from bot.edge.client import run_bot  # imports discord only for this command

            return run_bot(settings, _processes(args))
        if args.command == "worker" and settings.discord_token and not args.once:
            from bot.edge.rest_worker import run_worker

            return run_worker(settings)
        if args.command == "db":
            return run_db(args, settings)
        if args.command == "comfyui":
            return asyncio.run(_comfyui_check(settings))
        return asyncio.run(_dispatch(args, settings))
    except VideobotError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; queued and running jobs resume on the next start", file=sys.stderr)
        return 130


def _processes(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The shards and worker of ``videobot run`` (bad flags exit with status 2, like argparse)."""
    from bot.edge.shards import Processes, check_processes, parse_shards

    problem: str | None = None
    try:
        ids = parse_shards(args.shards) if args.shards is not None else None
    except ValueError as exc:
        ids, problem = None, f"--shards: {exc}"
    plan = Processes(shard_ids=ids, shard_count=args.shard_count, worker=not args.no_worker)
    problem = problem or check_processes(plan)
    if problem:
        print(f"videobot run: error: {problem}", file=sys.stderr)
        raise SystemExit(2)
    return plan


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    async with await App.create(settings) as app:
        app.router.register(FileDelivery())
        if args.command == "generate":
            return await _generate(app, args)
        if args.command in ("stitch", "loop", "soundtrack"):
            return await _edit(app, args)
        if args.command == "sequence":
            return await _sequence(app, args)
        if args.command == "jobs":
            return await _jobs(app, args.limit)
        if args.command == "quota":
            return await _quota(app, args)
        if args.command == "usage":
            return await _usage(app, args.days, args.guild)
        if args.command == "worker":
            return await _worker(app, args.timeout)
        if args.command == "cleanup":
            return await _cleanup(app)
        if args.command == "cast":
            return await run_cast(app, args)
        return await _models(app)


async def _comfyui_check(settings: Settings) -> int:
    """``videobot comfyui check``: 0 when every workflow can run on every server, 1 when something is missing."""
    from bot.providers._comfy_workflows import load_workflows
    from bot.providers.comfyui import check_servers

    if not settings.comfyui_url:
        print(
            "error: COMFYUI_URL is not set (the address of your ComfyUI, e.g. http://127.0.0.1:8188)", file=sys.stderr
        )
        return 2
    lines, ok = await check_servers(
        settings.comfyui_url, load_workflows(settings.comfyui_workflows), settings.comfyui_header_map()
    )
    print("\n".join(lines))
    print("everything is in place" if ok else "fix the above, then run `videobot comfyui check` again")
    return 0 if ok else 1


async def _cleanup(app: App) -> int:
    """One janitor pass (the bot also runs one at start and hourly)."""
    report = await app.janitor.run()
    freed, left = report.freed_bytes / 1_048_576, report.remaining_bytes / 1_048_576
    print(
        f"deleted {report.deleted_files} file(s), {freed:.1f} MiB; "
        f"{report.cache_rows_dropped} cache row(s) dropped; {left:.1f} MiB of media left"
    )
    return 1 if report.over_cap else 0


async def _generate(app: App, args: argparse.Namespace) -> int:
    spec = PromptSpec.create(
        args.prompt,
        setting=args.setting,
        camera=args.camera,
        style=args.style,
        lighting=args.lighting,
        details=args.details,
        negative=args.negative,
        duration=args.duration,
        aspect=args.aspect,
        seed=args.seed,
        model=args.model,
        allow_empty_subject=args.image is not None or args.video is not None,
        audio=args.audio,
    )
    for image in (args.image, args.end_image, args.video):
        if image is not None and not image.is_file():
            print(f"error: no such file: {image}", file=sys.stderr)
            return 2
    if args.cast and args.guild is None:
        print("error: --cast needs --guild (a cast belongs to a server)", file=sys.stderr)
        return 2
    cast = await app.cast.resolve(args.guild, args.cast, spec.text())
    who = Requester(user_id=args.user, guild_id=args.guild, delivery=FileRecord(args.output.resolve()).to_json())
    await app.fileserver.start()  # when configured: providers that fetch input images by URL need it
    if args.video is not None:
        request = app.remixer.check(
            video_bytes=args.video.stat().st_size,
            prompt=args.prompt,
            style=args.style,
            model=args.model,
            strength=args.strength,
        )
        submitted = await app.remixer.remix(who, request, args.video)
    else:
        submitted = await app.service.submit(
            who, spec, image=args.image, end_image=args.end_image, loop=args.loop, cast=cast
        )
    return await _finish(app, submitted, args.output, args.timeout)


async def _edit(app: App, args: argparse.Namespace) -> int:
    """stitch | loop | soundtrack: through the same service as Discord's commands."""
    who = Requester(user_id=args.user, delivery=FileRecord(args.output.resolve()).to_json())
    if args.command == "stitch":
        submitted = await app.edits.stitch(who, " ".join(args.jobs), args.crossfade)
    elif args.command == "loop":
        submitted = await app.edits.loop(who, args.job, args.times)
    else:
        if not args.audio.is_file():
            print(f"error: no such file: {args.audio}", file=sys.stderr)
            return 2
        submitted = await app.edits.soundtrack(who, args.job, args.audio.read_bytes(), args.volume)
    return await _finish(app, submitted, args.output, args.timeout)


async def _sequence(app: App, args: argparse.Namespace) -> int:
    """A film from a file of shots, through the same service as Discord's /sequence."""
    for path in (args.file, args.image):
        if path is not None and not path.is_file():
            print(f"error: no such file: {path}", file=sys.stderr)
            return 2
    spec = PromptSpec.create(
        None,
        setting=args.setting,
        camera=args.camera,
        style=args.style,
        lighting=args.lighting,
        details=args.details,
        negative=args.negative,
        duration=args.duration,
        aspect=args.aspect,
        model=args.model,
        allow_empty_subject=True,
    )
    options = FilmOptions(
        title=args.title or args.file.stem, continuity=args.continuity, transition=args.transition, sound=args.sound
    )
    who = Requester(user_id=args.user, delivery=FileRecord(args.output.resolve()).to_json())
    await app.fileserver.start()  # when configured: providers that fetch input images by URL need it
    text = args.file.read_text(encoding="utf-8", errors="replace")
    submitted = await app.sequences.submit(who, spec, text, options, image=args.image)
    return await _finish(app, submitted, args.output, args.timeout)


async def _finish(app: App, submitted: Submitted, output: Path, timeout: float) -> int:
    """Wait for the job, then print the file's path, duration, resolution and size."""
    job = submitted.job
    note = " (from cache, no charge)" if submitted.cached else f", {format_seconds(job.cost_seconds)} of quota"
    print(f"job #{job.id}: {job.model}{note}", file=sys.stderr)
    for extra in submitted.notes:
        print(f"note: {extra}", file=sys.stderr)
    final = await app.worker.wait_for(job.id, timeout=timeout, on_update=_progress_printer())
    if fallback_note(final):
        print(f"note: {fallback_note(final)}", file=sys.stderr)
    if final.error or final.state.value != "done":
        print(f"error: job #{final.id} {final.state.value}: {final.error or ''}", file=sys.stderr)
        return 1
    size_mb = output.stat().st_size / 1_048_576
    # the size and length postprocessing noted (it makes every result H.264): no probe of the file
    if final.result_width and final.result_height and final.result_seconds:
        seconds, width, height, codec = final.result_seconds, final.result_width, final.result_height, "h264"
    else:  # (an older row)
        info = await app.media.probe(output)
        seconds, width, height, codec = info.duration, info.width, info.height, info.codec
    print(f"{output}  {seconds:.2f} s  {width}x{height}  {size_mb:.2f} MiB  ({codec})")
    return 0


def _progress_printer():  # type: ignore[no-untyped-def]
    """A callback that shows a progress bar on a terminal, state lines otherwise."""
    last: dict[str, object] = {"state": None, "bar": None}
    tty = sys.stderr.isatty()

    def update(job: Job) -> None:
        if tty:
            from tqdm import tqdm

            bar = last["bar"]
            if bar is None:
                bar = last["bar"] = tqdm(total=100, unit="%", file=sys.stderr, leave=True)
            assert isinstance(bar, tqdm)
            if job.state != last["state"]:
                bar.set_description(job.state.value, refresh=False)
            bar.update(int(job.progress * 100) - bar.n)
            if job.state.finished:
                bar.close()
        elif job.state != last["state"]:
            print(f"  {job.state.value} {job.progress:.0%}", file=sys.stderr)
        last["state"] = job.state

    return update


async def _worker(app: App, timeout: float) -> int:
    """Resume every unfinished file-delivery job (after a crash or Ctrl-C) and wait for all of them."""
    await app.fileserver.start()
    # a /sequence film's shots are waited for by their film, which retries or leaves out a failed one
    pending = [j for j in await app.service.unfinished(kinds=app.router.kinds()) if j.kind not in FILM_PARTS]
    print(f"{len(pending)} unfinished job(s)", file=sys.stderr)
    failed = 0
    for job in pending:
        final = await app.worker.wait_for(job.id, timeout=timeout)
        print(f"job #{final.id}: {final.state.value} {final.error or ''}".rstrip(), file=sys.stderr)
        failed += final.state.value != "done"
    return 1 if failed else 0


async def _jobs(app: App, limit: int) -> int:
    rows = await app.service.recent(limit)
    if not rows:
        print("no jobs yet")
        return 0
    print(f"{'id':>5}  {'state':<14} {'model':<24} {'user':>10}  {'created (UTC)':<19}  prompt")
    for job in rows:
        created = datetime.fromtimestamp(job.created_at, UTC).strftime("%Y-%m-%d %H:%M:%S")
        prompt = str(job.spec.get("subject", ""))[:40]
        extra = f"  [{job.progress:.0%}]" if not job.state.finished else ""
        extra += f"  ({with_cast(job)})" if job.inputs.cast else ""
        print(f"{job.id:>5}  {job.state.value:<14} {job.model:<24} {job.owner_id:>10}  {created}  {prompt}{extra}")
    return 0


async def _quota(app: App, args: argparse.Namespace) -> int:
    if args.set_seconds is not None:
        await app.quota.set_user_limit(args.guild, args.user, args.set_seconds)
    status = await app.quota.status(args.user, args.guild)
    print(
        f"user {args.user}: used {format_seconds(status.used)} of {format_seconds(status.limit)} per 24 h, "
        f"{format_seconds(status.remaining)} left"
    )
    if status.next_free_at is not None:
        print(f"the oldest charge frees up in {format_wait(status.next_free_at - app.quota.clock())}")
    return 0


async def _usage(app: App, days: int, guild_id: int | None) -> int:
    summary = await app.spend.usage(guild_id, days)
    print("\n".join(report_lines(summary, scope=f"server {guild_id}" if guild_id is not None else "the bot")))
    return 0


async def _models(app: App) -> int:
    for info in app.registry.models():
        caps = ", ".join(c.value for c in sorted(info.capabilities))
        durations = (
            f"{info.durations[0]}-{info.durations[-1]} s"
            if len(info.durations) > 2
            else " or ".join(f"{d} s" for d in info.durations)
        )
        print(f"{info.name:<32} {caps:<40} {durations:<10} {' '.join(info.aspects)}")
        if info.description:
            print(f"{'':<32} {info.description}")
        price = price_of(info.name)
        if price is not None and info.provider != "local":
            label = price_label(info.name, app.settings.runway_credit_usd)
            print(f"{'':<32} price: {label} (read {price.read}{'; ' + price.note if price.note else ''})")
    for name, note in RETIRED.items():
        print(f"{name:<32} retired: {note}")
    print()
    chosen = app.registry.defaults()
    origin = "VIDEOBOT_DEFAULT_MODEL, else the preference order" if app.settings.default_model else "preference order"
    print(f"Default models when none is given ({origin}):")
    for kind, default in chosen.items():
        print(f"  {kind:<6} {default.name if default else 'none enabled'}")
    print()
    print("\n".join((await app.health.report()).lines()))  # breakers are stored: every process sees them
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
