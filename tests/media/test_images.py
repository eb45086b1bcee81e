"""Image intake: what is accepted, what is refused (and why), and what the clean PNG contains."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from bot.errors import InvalidMedia
from bot.media import accept_image, normalize_image, validate_image
from bot.media.images import recall_clean

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def photo(size=(64, 48)) -> Image.Image:
    image = Image.new("RGB", size)
    image.putdata([((x * 4) % 256, (y * 5) % 256, 128) for y in range(size[1]) for x in range(size[0])])
    return image


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_declared_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture (what a decompression bomb looks like)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_real_images_are_accepted(fmt, tmp_path):
    data = encode(photo(), fmt)
    info = validate_image(data, **LIMITS)
    assert (info.format, info.width, info.height, info.animated) == (fmt, 64, 48, False)
    assert info.size_bytes == len(data)
    path = tmp_path / "upload.bin"  # the name does not matter, the bytes do
    path.write_bytes(data)
    assert validate_image(path, **LIMITS) == info


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x01garbage bytes that are no picture at all" * 10, "not an image"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "SVG"),
        (b"<svg onload='alert(1)'></svg>", "SVG"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML"),
        (b"#EXTM3U\n#EXTINF:1,\n/etc/passwd\n", "playlist"),
        (b"ffconcat version 1.0\nfile '/etc/passwd'\n", "concat script"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "video file"),
    ],
    ids=["bytes", "svg-xml", "svg", "html", "hls", "concat", "mp4"],
)
def test_non_images_are_refused_by_content(data, reason, tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(data)
    with pytest.raises(InvalidMedia, match=reason) as caught:
        validate_image(path, **LIMITS)
    assert "PNG, JPEG, WEBP or GIF" in caught.value.user_message


def test_decompression_bomb_beyond_pillows_limit():
    data = png_with_declared_size(100_000, 100_000)
    assert len(data) < 200
    with pytest.raises(InvalidMedia, match="far too large"):
        validate_image(data, **LIMITS)


def test_declared_size_over_our_limit_is_refused_before_decoding():
    with pytest.raises(InvalidMedia, match="8000×8000 pixels; the limit is 40 megapixels"):
        validate_image(png_with_declared_size(8000, 8000), **LIMITS)


def test_oversize_input_is_refused_before_reading(tmp_path):
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as fh:  # sparse: 100 MB declared, nothing stored
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.truncate(100 * 1024 * 1024)
    with pytest.raises(InvalidMedia, match=r"100\.0 MB; the limit is 20\.0 MB"):
        validate_image(huge, **LIMITS)
    with pytest.raises(InvalidMedia, match="KB; the limit is 1 KB"):
        validate_image(b"\x89PNG\r\n\x1a\n" + bytes(5000), max_bytes=1024, max_pixels=1_000_000)


def test_truncated_jpeg_is_refused():
    data = encode(photo((400, 300)), "JPEG", quality=95)
    with pytest.raises(InvalidMedia, match="damaged or incomplete"):
        validate_image(data[: len(data) // 2], **LIMITS)


def test_tiny_and_empty_files():
    with pytest.raises(InvalidMedia, match="at least 8"):
        validate_image(encode(Image.new("RGB", (4, 4)), "PNG"), **LIMITS)
    with pytest.raises(InvalidMedia, match="empty"):
        validate_image(b"", **LIMITS)


def test_animated_gif_uses_the_first_frame(tmp_path):
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "lime", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    info = validate_image(data, **LIMITS)
    assert info.format == "GIF" and info.animated
    out = normalize_image(data, tmp_path / "first.png", **LIMITS)
    with Image.open(out) as image:
        assert getattr(image, "n_frames", 1) == 1
        r, g, b = image.getpixel((20, 15))
    assert r > 200 and g < 40 and b < 40


def test_exif_orientation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown rotated 90° clockwise
    data = encode(photo((60, 20)), "JPEG", exif=exif.tobytes())
    info = validate_image(data, **LIMITS)
    assert (info.width, info.height, info.orientation) == (20, 60, 6)
    with Image.open(normalize_image(data, tmp_path / "up.png", **LIMITS)) as image:
        assert image.size == (20, 60)


def test_normalized_png_is_clean(tmp_path):
    source = photo()
    meta = PngImagePlugin.PngInfo()
    meta.add_text("Comment", "gps 48.85,2.35")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    data = encode(source, "PNG", pnginfo=meta, icc_profile=icc, exif=exif.tobytes())
    out = normalize_image(data, tmp_path / "clean.png", **LIMITS, max_side=32)
    raw = out.read_bytes()
    assert b"gps" not in raw and b"SecretCam" not in raw and b"iCCP" not in raw and b"eXIf" not in raw
    with Image.open(out) as image:
        assert image.format == "PNG" and image.mode == "RGB" and image.size == (32, 24)
        assert not image.info.get("exif") and "icc_profile" not in image.info
    assert [p.name for p in tmp_path.iterdir()] == ["clean.png"]  # no temporary left behind


def test_accept_image_is_the_check_and_the_clean_png_in_one(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(photo((60, 20)), "JPEG", exif=exif.tobytes())
    info = accept_image(data, tmp_path / "one.png", **LIMITS)
    assert info == validate_image(data, **LIMITS)
    two = normalize_image(data, tmp_path / "two.png", **LIMITS)
    assert (tmp_path / "one.png").read_bytes() == two.read_bytes()  # the same file: the same cache key
    with pytest.raises(InvalidMedia, match="damaged"):
        accept_image(data[: len(data) // 2], tmp_path / "half.png", **LIMITS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.png", "two.png"]


def test_the_clean_picture_is_handed_over_once_while_its_file_is_unchanged(tmp_path):
    data = encode(photo((64, 48)), "JPEG")
    accept_image(data, tmp_path / "a.png", **LIMITS)
    moved = (tmp_path / "a.png").rename(tmp_path / "b.png")  # intake renames it into place
    picture = recall_clean(moved)
    with Image.open(moved) as stored:
        assert picture is not None and picture.tobytes() == stored.convert("RGB").tobytes()
    assert recall_clean(moved) is None  # once
    accept_image(data, tmp_path / "c.png", **LIMITS)
    (tmp_path / "c.png").write_bytes((tmp_path / "c.png").read_bytes() + b"\0")
    assert recall_clean(tmp_path / "c.png") is None  # changed since: decoded again


def test_transparency_and_16_bit_are_flattened(tmp_path):
    rgba = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    with Image.open(normalize_image(encode(rgba, "PNG"), tmp_path / "a.png", **LIMITS)) as image:
        assert image.getpixel((5, 5)) == (255, 255, 255)  # transparent becomes the white background
    grey16 = Image.new("I;16", (20, 20), 32768)
    with Image.open(normalize_image(encode(grey16, "PNG"), tmp_path / "g.png", **LIMITS)) as image:
        r, g, b = image.getpixel((5, 5))
    assert 120 <= r <= 135 and r == g == b


def test_path_that_does_not_exist():
    with pytest.raises(InvalidMedia, match="could not be read"):
        validate_image(Path("/nonexistent/upload.png"), **LIMITS)
