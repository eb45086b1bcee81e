"""Which container a file really is, from its first bytes, never from its name.

ffmpeg guesses formats from content too, and its guesses include HLS playlists, concat scripts and
other formats that open further files.  We look at the magic bytes ourselves, accept only plain
single-file containers, and tell ffmpeg exactly which demuxer to use.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from bot.errors import MediaError
from bot.i18n import Phrase, phrase

_MP4_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}


class Container(Enum):
    """A container we let ffmpeg open; the value is (demuxer, kind)."""

    MP4 = ("mov", "video")  # also MOV, M4A
    MATROSKA = ("matroska", "video")  # also WebM
    PNG = ("png_pipe", "image")
    JPEG = ("jpeg_pipe", "image")
    GIF = ("gif", "image")
    WEBP = ("webp_pipe", "image")
    WAV = ("wav", "audio")
    MP3 = ("mp3", "audio")
    OGG = ("ogg", "audio")
    FLAC = ("flac", "audio")
    AAC = ("aac", "audio")  # raw ADTS

    @property
    def demuxer(self) -> str:
        """The ffmpeg demuxer to force."""
        return self.value[0]

    @property
    def kind(self) -> str:
        """video, image or audio."""
        return self.value[1]


def sniff_bytes(head: bytes) -> Container | None:
    """The container these leading bytes (at least 16) start, or None when it is not one we accept."""
    if len(head) >= 8 and head[4:8] in _MP4_BOXES:
        return Container.MP4
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Container.MATROSKA
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Container.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return Container.JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Container.GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return Container.WEBP
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return Container.WAV
    if head.startswith(b"OggS"):
        return Container.OGG
    if head.startswith(b"fLaC"):
        return Container.FLAC
    if head.startswith(b"ID3"):
        return Container.MP3
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # ADTS sync word, layer 0
            return Container.AAC
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06:  # MPEG audio frame sync, layer I-III
            return Container.MP3
    return None


def describe_text(head: bytes) -> Phrase | None:
    """A short name for well-known text formats that must never reach ffmpeg (for error messages; a phrase, so a
    refusal naming it says it in the member's language)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"#extm3u"):
        return phrase("media.kind.hls")
    if text.startswith((b"ffconcat", b"file ", b"file\t")):
        return phrase("media.kind.concat")
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return phrase("media.kind.svg")
    if text.startswith((b"<!doctype html", b"<html")):
        return phrase("media.kind.html")
    if text.startswith((b"<?xml", b"<")):
        return phrase("media.kind.xml")
    if text.startswith((b"[playlist]", b"#extinf")):
        return phrase("media.kind.playlist")
    return None


def sniff_container(path: Path, *, kinds: tuple[str, ...] = ("video", "image", "audio")) -> Container:
    """The container of ``path``; raise MediaError for anything else (playlists, scripts, text…)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise MediaError("The media file could not be read.", detail=f"{path}: {exc}") from None
    container = sniff_bytes(head)
    if container is None or container.kind not in kinds:
        what = describe_text(head) or "not a supported media file"
        raise MediaError(
            f"That file is {what}; only plain video, image or audio files are accepted.",
            detail=f"{path}: refused, leading bytes {head[:16]!r}",
        )
    return container
