"""A cast member's files: each photo checked and rewritten as a clean PNG, each voice sample sniffed and measured,
then stored once under its content hash in ``VIDEOBOT_DATA_DIR/cast`` (``<sha256>.png``, ``<sha256>.wav`` …).

A file is written to a temporary name and renamed into place, so a crash never leaves half a file under a hash;
the same photo uploaded twice is one file.  Files are never deleted with their member: jobs that used the member
(its page, lineage, re-roll) keep pointing at them.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InvalidMedia, MediaError
from bot.i18n import said
from bot.media import Media, normalize_image, validate_image
from bot.media.ffmpeg import input_args
from bot.media.sniff import Container, sniff_container
from bot.settings import Settings

MAX_VOICE_SECONDS = 15.0  # the reference models take 15 s of reference audio in total (their docs; docs/cast.md)
_EXTENSIONS = {Container.MP3: "mp3", Container.WAV: "wav", Container.OGG: "ogg", Container.FLAC: "flac"}
_EXTENSIONS[Container.MP4] = "m4a"


@dataclass(frozen=True)
class StoredVoice:
    """A stored voice sample: its file name (content hash and extension) and length."""

    name: str
    seconds: float


def _mib(size: int) -> str:
    return f"{size / 1_048_576:.1f} MiB"


def _place(tmp: Path, folder: Path, suffix: str) -> str:
    """Rename ``tmp`` to its content hash in ``folder``; return the file name."""
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    name = f"{digest}.{suffix}"
    os.replace(tmp, folder / name)
    return name


async def check_photo(settings: Settings, data: bytes) -> None:
    """Refuse (:class:`~bot.errors.InvalidMedia`) a photo that is not an image by its bytes, too big or too many
    pixels; nothing is decoded past the header, nothing is stored."""
    s = settings
    if len(data) > s.max_image_bytes:
        raise said(InvalidMedia, "cast.photo_too_big", size=_mib(len(data)), cap=_mib(s.max_image_bytes))
    await asyncio.to_thread(validate_image, data, max_bytes=s.max_image_bytes, max_pixels=s.max_image_pixels)


async def store_photo(settings: Settings, data: bytes) -> str:
    """Check an uploaded photo (:func:`check_photo`), store it as a clean PNG named by the hash of that PNG, and
    return the hash.  Refused input raises :class:`~bot.errors.InvalidMedia` and stores nothing."""
    s = settings
    if len(data) > s.max_image_bytes:  # (the rest of check_photo's checks: normalize_image's, in its one decode)
        raise said(InvalidMedia, "cast.photo_too_big", size=_mib(len(data)), cap=_mib(s.max_image_bytes))
    folder = s.cast_dir
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".photo-{secrets.token_hex(6)}.png.tmp"
    try:
        await asyncio.to_thread(normalize_image, data, tmp, max_bytes=s.max_image_bytes, max_pixels=s.max_image_pixels)
        name = await asyncio.to_thread(_place, tmp, folder, "png")
    finally:
        tmp.unlink(missing_ok=True)
    return name.removesuffix(".png")


async def store_voice(settings: Settings, media: Media, data: bytes) -> StoredVoice:
    """Check a voice sample (audio by its bytes, at most ``MAX_VOICE_SECONDS`` long, size-capped) and store it."""
    s = settings
    if len(data) > s.max_audio_bytes:
        raise said(InvalidMedia, "cast.voice_too_big", size=_mib(len(data)), cap=_mib(s.max_audio_bytes))
    folder = s.cast_dir
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".voice-{secrets.token_hex(6)}.tmp"
    try:
        await asyncio.to_thread(tmp.write_bytes, data)
        try:
            container = await asyncio.to_thread(sniff_container, tmp, kinds=("audio", "video"))
            if container not in _EXTENSIONS:
                raise said(InvalidMedia, "cast.not_audio")  # Matroska/WebM: a video container
            seconds = await _decoded_seconds(media, tmp, container)
        except MediaError:
            raise said(InvalidMedia, "cast.not_audio") from None
        if not seconds or seconds > MAX_VOICE_SECONDS + 0.05:
            raise said(InvalidMedia, "cast.voice_too_long", seconds=f"{seconds:.1f}", limit=f"{MAX_VOICE_SECONDS:.0f}")
        name = await asyncio.to_thread(_place, tmp, folder, _EXTENSIONS[container])
        return StoredVoice(name, round(seconds, 3))
    finally:
        tmp.unlink(missing_ok=True)


async def _decoded_seconds(media: Media, path: Path, container: Container) -> float:
    """How long the file's first audio stream really is: decoded to the end (a header can claim anything), with
    any picture (an MP4's video, cover art) ignored; MediaError when there is no audio to decode."""
    args = [*input_args(path, container), "-map", "0:a:0", "-vn", "-f", "null", "-"]
    result = await media.run(args, timeout=60, loglevel="info")  # info: the stream list, to spot a picture
    micros = result.progress.get("out_time_us", "")
    if not micros.lstrip("-").isdigit():
        raise MediaError(detail=f"{path.name}: no decoded audio time")
    if container is Container.MP4 and _has_picture(result.stderr):
        raise MediaError(detail=f"{path.name}: a video, not a voice sample")
    return max(0.0, int(micros) / 1_000_000)


def _has_picture(stderr: str) -> bool:
    return any("Video:" in line and "attached pic" not in line for line in stderr.splitlines())


def photo_path(settings: Settings, digest: str) -> Path:
    """Where a stored photo lives."""
    return settings.cast_dir / f"{digest}.png"


def voice_path(settings: Settings, name: str) -> Path:
    """Where a stored voice sample lives."""
    return settings.cast_dir / name
