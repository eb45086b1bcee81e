"""Intake of user images: check what an upload really is, then rewrite it as a clean PNG.

The format is read from the bytes (PNG, JPEG, WEBP and GIF only; an SVG, a web page, a playlist or
an ffmpeg script named ``.png`` is refused by name).  The pixel count is checked from the header
before anything is decoded, so a decompression bomb never allocates its pixels, and a truncated file
is an error rather than a half-grey picture.  :func:`normalize_image` (:func:`accept_image`: the
check and the rewrite in one decode) writes fresh pixels (EXIF
rotation applied, colours converted to sRGB, transparency flattened, all metadata dropped): that
PNG is the only thing ffmpeg and the providers ever see.  Both functions are CPU-bound and
synchronous; call them through ``asyncio.to_thread`` from async code.
"""

from __future__ import annotations

import io
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PIL import Image, ImageCms, ImageOps

from bot.errors import InvalidMedia
from bot.i18n import said
from bot.media.ffmpeg import file_identity
from bot.media.sniff import Container, describe_text, sniff_bytes

_FORMATS = {Container.PNG: "PNG", Container.JPEG: "JPEG", Container.WEBP: "WEBP", Container.GIF: "GIF"}
_ORIENTATION_TAG = 0x0112
MIN_SIDE = 8


@dataclass(frozen=True)
class ImageInfo:
    """An accepted image.  ``width``/``height`` are as displayed (after EXIF rotation)."""

    format: str  # PNG, JPEG, WEBP or GIF (from the bytes, not the name)
    width: int
    height: int
    mode: str  # Pillow mode before normalising (RGB, RGBA, P, L, CMYK…)
    size_bytes: int
    animated: bool  # an animation: only its first frame is used
    orientation: int = 1  # the EXIF orientation tag (1: upright)


def _mb(value: int) -> str:
    if value < 1024 * 1024:
        return f"{max(1, round(value / 1024))} KB"
    return f"{value / (1024 * 1024):.1f} MB"


def _open_source(data: bytes | Path, max_bytes: int) -> tuple[IO[bytes], int]:
    """A binary stream over the upload, refusing oversize input before reading it."""
    if isinstance(data, bytes | bytearray | memoryview):
        size = len(data)
        stream: IO[bytes] = io.BytesIO(bytes(data)) if size <= max_bytes else io.BytesIO()
    else:
        try:
            size = os.stat(data).st_size
        except OSError as exc:
            raise said(InvalidMedia, "image.unreadable", detail=f"{data}: {exc}") from None
        stream = open(data, "rb") if size <= max_bytes else io.BytesIO()  # noqa: SIM115 - the caller closes it
    if size > max_bytes:
        stream.close()
        raise said(InvalidMedia, "image.too_big", size=_mb(size), limit=_mb(max_bytes), detail=f"{size} bytes")
    if size == 0:
        stream.close()
        raise said(InvalidMedia, "image.empty")
    return stream, size


def _check_kind(head: bytes) -> str:
    container = sniff_bytes(head)
    if container not in _FORMATS:
        what, leading = describe_text(head), f"leading bytes {head[:16]!r}"
        if what is not None:
            raise said(InvalidMedia, "image.is_text", what=what, detail=leading)
        if container is not None:
            raise said(InvalidMedia, "image.not_still", kind=container.kind, detail=leading)
        raise said(InvalidMedia, "image.not_image", detail=leading)
    return _FORMATS[container]


def _open_checked(stream: IO[bytes], fmt: str, max_pixels: int) -> Image.Image:
    """Open (header only) with the one Pillow plugin the bytes call for, checking the pixel count."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream, formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise said(InvalidMedia, "image.bomb") from None
    except Exception as exc:  # Pillow raises many types for malformed headers
        raise said(InvalidMedia, "image.damaged", format=fmt, detail=repr(exc)) from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise said(
            InvalidMedia,
            "image.too_many_pixels",
            width=width,
            height=height,
            limit=f"{max_pixels / 1e6:.0f}",
            detail=f"{width * height} pixels",
        )
    if min(width, height) < MIN_SIDE:
        image.close()
        raise said(InvalidMedia, "image.too_small", width=width, height=height, min=MIN_SIDE)
    return image


def _decode(image: Image.Image) -> None:
    """Decode the first frame fully; a truncated or corrupt file raises InvalidMedia."""
    try:
        image.seek(0)
        image.load()
    except Exception as exc:  # OSError("image file is truncated"), SyntaxError, zlib errors…
        raise said(InvalidMedia, "image.incomplete", detail=repr(exc)) from None


def _inspect(data: bytes | Path, max_bytes: int, max_pixels: int) -> tuple[Image.Image, ImageInfo]:
    """Open, check and fully decode the first frame; the returned image no longer needs the file."""
    stream, size = _open_source(data, max_bytes)
    with stream:
        head = stream.read(64)
        stream.seek(0)
        fmt = _check_kind(head)
        image = _open_checked(stream, fmt, max_pixels)
        try:
            animated = bool(getattr(image, "is_animated", False))
            _decode(image)
            orientation = int(image.getexif().get(_ORIENTATION_TAG, 1) or 1)
        except BaseException:
            image.close()
            raise
    width, height = image.size
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return image, ImageInfo(fmt, width, height, image.mode, size, animated, orientation)


def validate_image(data: bytes | Path, *, max_bytes: int, max_pixels: int) -> ImageInfo:
    """Check an upload (bytes or a file) and describe it; raise InvalidMedia with a clear reason."""
    image, info = _inspect(data, max_bytes, max_pixels)
    image.close()
    return info


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, target, outputMode=mode)
        return converted if converted is not None else image
    except (ImageCms.PyCMSError, OSError, ValueError):  # a broken profile: keep the pixels as they are
        return image


def _flatten(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit greyscale: scale down, do not clip
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        base = Image.new("RGB", rgba.size, background)
        base.paste(rgba, mask=rgba.getchannel("A"))
        return base
    return image.convert("RGB")


def load_rgb(
    data: bytes | Path, *, max_bytes: int, max_pixels: int, background: tuple[int, int, int] = (255, 255, 255)
) -> tuple[Image.Image, ImageInfo]:
    """Validate and decode to an upright sRGB RGB image (transparency flattened onto ``background``)."""
    image, info = _inspect(data, max_bytes, max_pixels)
    try:
        upright = ImageOps.exif_transpose(image) if info.orientation != 1 else image
        return _flatten(_to_srgb(upright), background), info
    finally:
        image.close()


def accept_image(
    data: bytes | Path,
    dest: Path,
    *,
    max_bytes: int,
    max_pixels: int,
    max_side: int | None = None,
    background: tuple[int, int, int] = (255, 255, 255),
) -> ImageInfo:
    """Validate, write a clean RGB PNG to ``dest`` (first frame, upright, sRGB, no metadata) and describe the
    upload: :func:`validate_image` and :func:`normalize_image` in one, decoding it once."""
    picture, info = load_rgb(data, max_bytes=max_bytes, max_pixels=max_pixels, background=background)
    if max_side and max(picture.size) > max_side:
        picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    clean = Image.new("RGB", picture.size)  # fresh image: no EXIF, ICC, text chunks or comments carried over
    clean.paste(picture)
    _remember(save_png(clean, Path(dest)), clean)
    return info


# The last clean picture accept_image wrote (small ones only), while its file is unchanged: an offline render of
# the upload in this process (bot.media.render.prepare_still) takes it instead of decoding the PNG again.
REMEMBERED_PIXELS = 4_000_000
_last: tuple[tuple[int, int, int, int], Image.Image] | None = None


def _remember(path: Path, picture: Image.Image) -> None:
    global _last
    _last = (file_identity(path), picture) if picture.width * picture.height <= REMEMBERED_PIXELS else None


def recall_clean(path: Path) -> Image.Image | None:
    """The picture of ``path`` if it is the clean PNG accept_image wrote last (renamed or not) and is unchanged;
    handed over once (then forgotten)."""
    global _last
    last, _last = _last, None
    if last is None:
        return None
    try:
        return last[1] if file_identity(path) == last[0] else None
    except OSError:
        return None


def normalize_image(
    data: bytes | Path,
    dest: Path,
    *,
    max_bytes: int,
    max_pixels: int,
    max_side: int | None = None,
    background: tuple[int, int, int] = (255, 255, 255),
) -> Path:
    """Validate, then write a clean RGB PNG to ``dest`` (first frame, upright, sRGB, no metadata)."""
    accept_image(data, dest, max_bytes=max_bytes, max_pixels=max_pixels, max_side=max_side, background=background)
    return Path(dest)


def save_png(image: Image.Image, dest: Path, *, compress_level: int = 3) -> Path:
    """Write ``image`` as a PNG atomically (temporary file in the same directory, then rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.stem}.{secrets.token_hex(4)}.tmp.png")
    try:
        image.save(tmp, format="PNG", compress_level=compress_level)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest
