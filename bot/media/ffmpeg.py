"""Running ffmpeg safely: which binary, how an input is opened, how a run is bounded.

Every run is an argument list handed to ``asyncio.create_subprocess_exec`` (never a shell), has a
timeout, and is killed when it times out or its caller is cancelled.  Inputs are opened by
:func:`open_input`, which forces the demuxer that matches the file's magic bytes and restricts
ffmpeg to the ``file`` protocol, so a crafted ``.mp4`` that is really an HLS playlist or a concat
script is refused before ffmpeg could follow it to another file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_lib

from bot.errors import ConfigError, MediaError
from bot.media.sniff import Container, sniff_container

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float], None]

_STDERR_HEAD = 64 * 1024
_STDERR_TAIL_LINES = 40
_PIPE_SIZE = 1024 * 1024


def find_ffmpeg(preferred: str | None = None) -> str:
    """The ffmpeg to use: an explicit path, else ``ffmpeg`` on PATH, else imageio-ffmpeg's bundled one."""
    if preferred:
        found = shutil.which(preferred)
        if found is None:
            raise ConfigError(f"VIDEOBOT_FFMPEG: no executable ffmpeg at {preferred!r}.")
        return found
    system = shutil.which("ffmpeg")
    if system:
        return system
    bundled = _bundled_ffmpeg()
    if bundled:
        return bundled
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as exc:  # the wheel may lack a binary for this platform
        raise ConfigError("No ffmpeg found: install ffmpeg or the imageio-ffmpeg wheel.", detail=str(exc)) from None


def _bundled_ffmpeg() -> str | None:
    """imageio-ffmpeg's own binary, found without running it (its ``get_ffmpeg_exe`` checks the binary by running
    ``ffmpeg -version``: one more process start for every CLI command); None when the wheel has none, or when
    ``IMAGEIO_FFMPEG_EXE`` names another, which ``get_ffmpeg_exe`` returns."""
    if os.environ.get("IMAGEIO_FFMPEG_EXE"):
        return None
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    folder = Path(imageio_ffmpeg.__file__).parent / "binaries"
    found = [path for path in folder.glob("ffmpeg-*") if path.is_file() and os.access(path, os.X_OK)]
    return str(found[0]) if len(found) == 1 else None


@dataclass(frozen=True)
class RunResult:
    """What a finished ffmpeg run left behind."""

    returncode: int
    stderr: str  # the start of stderr (probe output lives there) plus its tail
    progress: dict[str, str]  # the last value of each ``-progress`` key (frame, out_time_us, ...)


def _input_options(container: Container) -> dict[str, str]:
    # the forced demuxer decides; the whitelists are a second lock should anything nest an open
    return {"f": container.demuxer, "protocol_whitelist": "file", "format_whitelist": container.demuxer}


def open_input(path: Path, *, kind: Container | None = None, **options: Any) -> Any:
    """An ffmpeg-python input for a plain local file, its demuxer forced from its magic bytes."""
    path = Path(path).resolve()
    container = kind or sniff_container(path)
    return ffmpeg_lib.input(str(path), **_input_options(container), **options)


def input_args(path: Path, container: Container, **options: Any) -> list[str]:
    """The same input as :func:`open_input` (``options`` too), as plain arguments: for runs without an output,
    and for runs whose graph is built by hand (no ffmpeg-python nodes, which cost ~1 ms each to build)."""
    return [*option_args({**_input_options(container), **options}), "-i", str(Path(path).resolve())]


def option_args(options: dict[str, Any]) -> list[str]:
    """``{"f": "image2", "q": 4}`` as ``["-f", "image2", "-q", "4"]``."""
    return [arg for key, value in options.items() for arg in (f"-{key}", str(value))]


def compile_args(stream: Any) -> list[str]:
    """ffmpeg-python's argument list for ``stream`` (without the binary)."""
    return list(ffmpeg_lib.get_args(stream))


def prepare_dest(dest: Path) -> Path:
    """``dest`` made absolute, its directory created (local metadata calls: cheap enough for async code)."""
    dest = Path(os.path.abspath(dest))
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest


def size_of(path: Path) -> int:
    """A file's size in bytes."""
    return os.stat(path).st_size


def file_identity(path: Path) -> tuple[int, int, int, int]:
    """What tells a file written here from any other, renamed or not: device, inode, size, modification time
    (what the per-process notes of written files are keyed by: ``Media.note``, ``images.recall_clean``)."""
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


@contextlib.contextmanager
def atomic_output(dest: Path) -> Iterator[Path]:
    """A temporary path next to ``dest`` that replaces ``dest`` only if the block succeeds."""
    dest = prepare_dest(dest)
    tmp = dest.with_name(f".{dest.stem}.{secrets.token_hex(4)}.tmp{dest.suffix}")
    try:
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise MediaError(detail=f"ffmpeg wrote no output for {dest.name}")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


class _StderrBuffer:
    """Keeps the head of stderr (for probing) and its last lines (for error reports), bounded."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail: deque[bytes] = deque(maxlen=_STDERR_TAIL_LINES)
        self.overflow = False

    def feed(self, line: bytes) -> None:
        """Keep ``line`` in the head while it has room, else in the rolling tail."""
        if len(self.head) + len(line) <= _STDERR_HEAD:
            self.head += line
        else:
            self.overflow = True
            self.tail.append(line)

    def text(self) -> str:
        """The kept stderr as text."""
        head = self.head.decode("utf-8", "replace")
        if not self.overflow:
            return head
        return head + "\n[…]\n" + b"".join(self.tail).decode("utf-8", "replace")


def stderr_tail(text: str, lines: int = 15) -> str:
    """The last lines of an ffmpeg stderr, for an error's ``detail``."""
    return "\n".join(text.strip().splitlines()[-lines:])


async def _read_stderr(stream: asyncio.StreamReader, buf: _StderrBuffer) -> None:
    while True:
        line = await stream.readline()
        if not line:
            return
        buf.feed(line)


async def _read_progress(
    stream: asyncio.StreamReader, on_progress: ProgressCallback | None, expected: float | None, last: dict[str, str]
) -> None:
    while True:
        line = await stream.readline()
        if not line:
            return
        key, _, value = line.decode("ascii", "replace").strip().partition("=")
        if key and (key in last or len(last) < 64):
            last[key] = value
        if on_progress is None or not expected or expected <= 0:
            continue
        fraction: float | None = None
        if key == "out_time_us" and value.lstrip("-").isdigit():
            fraction = max(0.0, min(1.0, int(value) / 1e6 / expected))
        elif key == "progress" and value == "end":
            fraction = 1.0
        if fraction is not None:
            try:
                on_progress(fraction)
            except Exception:  # a broken progress callback must not break the render
                log.exception("progress callback failed")


async def _fed(writer: asyncio.Future[None], returncode: int) -> None:
    """Wait for the writer; its own failure is the error (a broken pipe only when ffmpeg already failed)."""
    try:
        await writer
    except BrokenPipeError:
        if returncode == 0:
            raise MediaError(detail="ffmpeg closed its input before every frame was written") from None


def _write_all(fd: int, chunks: Iterable[bytes]) -> None:
    """Write every chunk to ``fd`` (blocking; run in a thread), then close it: ffmpeg's stdin reaches its end."""
    try:
        with contextlib.suppress(OSError, AttributeError):  # a larger pipe: fewer wake-ups per frame (Linux only)
            import fcntl

            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
        with open(fd, "wb", buffering=0, closefd=False) as pipe:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[pipe.write(view) or 0 :]
    finally:
        os.close(fd)


async def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    # shield: if we are being cancelled, still reap the child so no zombie is left behind
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.shield(proc.wait())


async def run_ffmpeg(
    binary: str,
    args: Sequence[str],
    *,
    timeout: float,
    on_progress: ProgressCallback | None = None,
    expected_duration: float | None = None,
    loglevel: str = "error",
    check: bool = True,
    feed: Iterable[bytes] | None = None,
) -> RunResult:
    """Run ``binary`` with ``args``; raise MediaError on failure (stderr tail in ``detail``) or timeout.

    ``feed``: chunks written to ffmpeg's standard input (``-i pipe:0``) from a worker thread, which produces
    them as ffmpeg reads (frames rendered by Pillow, whose C code releases the GIL while ffmpeg encodes).
    """
    argv = [binary, "-hide_banner", "-nostdin", "-nostats", "-loglevel", loglevel, "-progress", "pipe:1", *args]
    buf = _StderrBuffer()
    last: dict[str, str] = {}
    read_end, write_end = os.pipe() if feed is not None else (None, None)
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL if read_end is None else read_end,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except BaseException:
        if write_end is not None:
            os.close(write_end)
        raise
    finally:
        if read_end is not None:
            os.close(read_end)  # the child has its own copy
    assert proc.stdout is not None and proc.stderr is not None
    writer = None
    if feed is not None and write_end is not None:
        writer = asyncio.ensure_future(asyncio.to_thread(_write_all, write_end, feed))
    try:
        async with asyncio.timeout(timeout):
            await asyncio.gather(
                _read_stderr(proc.stderr, buf), _read_progress(proc.stdout, on_progress, expected_duration, last)
            )
            returncode = await proc.wait()
            if writer is not None:
                await _fed(writer, returncode)
    except TimeoutError:
        await _kill(proc)
        raise MediaError(
            "Processing the video took too long and was stopped.",
            detail=f"ffmpeg timed out after {timeout:.0f}s\n{stderr_tail(buf.text())}",
            retryable=True,
        ) from None
    except BaseException:
        await _kill(proc)
        if writer is not None:  # ffmpeg is gone: the writer's next write fails and it stops
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.shield(writer)
        raise
    text = buf.text()
    if check and returncode != 0:
        raise MediaError(detail=f"ffmpeg exited with {returncode}\n{stderr_tail(text)}")
    return RunResult(returncode, text, last)
