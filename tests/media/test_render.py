"""The offline renders, measured on decoded frames: moves go the right way, smoothly, no jitter.

Renders here are small (320x180) and short; the provider tests check full-size output.  The source
is a plaid of smooth random stripes, so shifts can be measured to a fraction of a pixel (see
tests/support/video.py).  A smooth move changes its per-frame shift gently; the whole-pixel
stepping of crop/zoompan-style renders shows as jumps of about one pixel, which the two control
clips below demonstrate with the very same measurement.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bot.media import Media
from bot.media.card import card, fit_title, fold_ascii, printable_title
from bot.media.render import render_motion, render_storyboard
from tests.support.video import ffmpeg, frames_gray, mean_abs_diff, motion_signals, plaid, roughness

pytestmark = pytest.mark.slow  # slow: full-length renders measured frame by frame

W, H, SECONDS = 320, 180, 3
FRAMES = SECONDS * 24
SMOOTH = 0.75  # px: the largest allowed change of a per-frame shift between neighbouring frames


@pytest.fixture(scope="module")
def plaid_png(tmp_path_factory) -> Path:
    return plaid(tmp_path_factory.mktemp("plaid") / "plaid.png", (480, 270))


def totals(signals: dict[str, list[float]]) -> dict[str, float]:
    return {name: sum(values) for name, values in signals.items()}


# expected overall movement of the picture content, in output pixels (+x right, +y down)
EXPECTED = {
    "pan_left": lambda t: t["left"] > 40 and t["right"] > 40,
    "pan_right": lambda t: t["left"] < -40 and t["right"] < -40,
    "tracking": lambda t: t["left"] < -40 and t["right"] < -40,
    "dolly_in": lambda t: t["left"] < -10 < 10 < t["right"] and t["top"] < -6 < 6 < t["bottom"],
    "dolly_out": lambda t: t["left"] > 10 > -10 > t["right"] and t["top"] > 6 > -6 > t["bottom"],
    "crane": lambda t: t["top"] > 20 and t["bottom"] > 20 and abs(t["left"]) < 2,
    "drone": lambda t: t["left"] > 8 > -8 > t["right"] and t["top"] > 20,
    "orbit": lambda t: t["rows_left"] * t["rows_right"] < 0 and abs(t["rows_left"] - t["rows_right"]) > 8,
    "handheld": lambda t: all(abs(v) < 8 for v in t.values()),
}


@pytest.mark.parametrize("camera", list(EXPECTED))
async def test_camera_moves_are_right_and_smooth(camera, media, plaid_png, tmp_path):
    out = await render_motion(
        media, plaid_png, tmp_path / "m.mp4", aspect="16:9", duration=SECONDS, camera=camera, seed=5, size=(W, H)
    )
    frames = frames_gray(out, W, H)
    assert len(frames) == FRAMES
    signals = motion_signals(frames, W, H)
    assert EXPECTED[camera](totals(signals)), {k: round(v, 1) for k, v in totals(signals).items()}
    for name, values in signals.items():
        assert roughness(values) < SMOOTH, (name, [round(v, 2) for v in values])
    # every stretch of half a second shows movement (no frozen stretches, then jumps)
    for start in range(0, FRAMES - 12, 12):
        assert mean_abs_diff(frames[start], frames[start + 12]) > 0.3


async def test_static_does_not_move(media, plaid_png, tmp_path):
    out = await render_motion(
        media, plaid_png, tmp_path / "s.mp4", aspect="16:9", duration=1, camera="static", seed=5, size=(W, H)
    )
    frames = frames_gray(out, W, H)
    assert mean_abs_diff(frames[0], frames[-1]) < 0.5


@pytest.mark.parametrize("colour", [(200, 100, 50), (40, 160, 220), (250, 240, 20)])
async def test_colours_survive_the_render(media, colour, tmp_path):
    # the frames are BT.709 and tagged so: decoded by ffmpeg (as for a /sequence shot's last frame, a poster, a
    # still) or by a player, a flat colour comes back as it went in.  Untagged raw input would be taken for BT.601
    # and converted (200, 100, 50 came back as 188, 89, 48, and a /sequence with continuity drifted shot by shot).
    source = tmp_path / "flat.png"
    Image.new("RGB", (480, 270), colour).save(source)
    out = await render_motion(
        media, source, tmp_path / "flat.mp4", aspect="16:9", duration=1, camera="dolly_in", seed=1, size=(W, H)
    )
    last = await media.last_frame(out, tmp_path / "last.png")
    with Image.open(last) as picture:
        got = picture.convert("RGB").getpixel((W // 2, H // 2))
    assert all(abs(a - b) <= 3 for a, b in zip(got, colour, strict=True)), (got, colour)


@pytest.mark.parametrize(
    "jittery",
    [
        f"crop=400:225:x='trunc(80*n/{FRAMES - 1})':y=22,scale={W}:{H}",
        f"zoompan=z='1+0.3*on/{FRAMES - 1}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s={W}x{H}:fps=24",
    ],
    ids=["integer-crop-pan", "zoompan-dolly"],
)
def test_the_measure_catches_whole_pixel_stepping(jittery, plaid_png, tmp_path):
    out = tmp_path / "jitter.mp4"
    ffmpeg(
        "-loop",
        "1",
        "-i",
        str(plaid_png),
        "-vf",
        jittery,
        "-frames:v",
        str(FRAMES),
        "-r",
        "24",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "20",
        "-pix_fmt",
        "yuv420p",
        str(out),
    )
    signals = motion_signals(frames_gray(out, W, H), W, H)
    assert max(roughness(values) for values in signals.values()) > SMOOTH * 1.5


async def test_motion_is_deterministic_and_crops_to_the_aspect(media, plaid_png, tmp_path):
    a = await render_motion(
        media, plaid_png, tmp_path / "a.mp4", aspect="9:16", duration=1, camera="handheld", seed=9, size=(90, 160)
    )
    b = await render_motion(
        media, plaid_png, tmp_path / "b.mp4", aspect="9:16", duration=1, camera="handheld", seed=9, size=(90, 160)
    )
    assert a.read_bytes() == b.read_bytes()
    info = await Media(timeout=60).probe(a, exact=True)  # read from the file (``media`` knows what it wrote)
    assert (info.width, info.height, info.frame_count) == (90, 160, 24)


@pytest.mark.parametrize(("kind", "size"), [("motion", (W, H)), ("motion", (90, 160)), ("storyboard", (140, 140))])
async def test_a_render_knows_what_it_made(media, plaid_png, kind, size, tmp_path):
    # the job's checks ask ``media`` (the renderer's) to probe the result: it answers from what the render noted,
    # which must be what ffmpeg reads from the file
    if kind == "motion":
        out = await render_motion(
            media, plaid_png, tmp_path / "m.mp4", aspect="16:9", duration=2, camera="orbit", seed=1, size=size
        )
    else:
        out = await render_storyboard(
            media,
            tmp_path / "s.mp4",
            title="A lighthouse",
            caption="1 s",
            aspect="1:1",
            duration=1,
            camera=None,
            seed=1,
            size=size,
        )
    noted = media.known(out)
    assert noted is not None and await media.probe(out, exact=True) == noted
    assert noted == await Media(timeout=60).probe(out, exact=True)
    out.write_bytes(out.read_bytes() + b"\0")  # changed: read again
    assert media.known(out) is None and (await media.probe(out)).size_bytes == noted.size_bytes + 1


async def test_storyboard_depends_on_seed_and_moves(media, tmp_path):
    def render(name: str, seed: int):
        return render_storyboard(
            media,
            tmp_path / name,
            title="A lighthouse in a storm",
            caption="cinematic",
            aspect="16:9",
            duration=2,
            camera="pan_right",
            seed=seed,
            size=(W, H),
        )

    first, again, other = await render("1.mp4", 1), await render("2.mp4", 1), await render("3.mp4", 2)
    frames_first, frames_other = frames_gray(first, W, H), frames_gray(other, W, H)
    assert frames_first == frames_gray(again, W, H)
    assert mean_abs_diff(frames_first[0], frames_other[0]) > 2  # other colours
    assert mean_abs_diff(frames_first[0], frames_first[-1]) > 1  # the background moves

    # the card's lettering stays put while the background behind it drifts
    def letters(frame: bytes) -> list[bool]:
        return [value > 200 for value in frame[(H // 3) * W : (2 * H // 3) * W]]

    start, end = letters(frames_first[0]), letters(frames_first[-1])
    assert sum(start) > 100
    assert sum(a != b for a, b in zip(start, end, strict=True)) < 0.25 * sum(start)  # moved text: ~2x


def test_card_text_fits_and_is_honest():
    layer = card((640, 360), "word " * 400, "cinematic · orbit · 5 s")
    assert layer.mode == "RGBA" and layer.size == (640, 360)
    alpha = layer.getchannel("A")
    assert alpha.getpixel((320, 180)) > 0 and alpha.getpixel((2, 2)) == 0  # a panel, not a full cover
    face, lines, _ = fit_title("word " * 400, (480, 150), 54, 20)
    assert lines[-1].endswith("…") and all(face.getlength(line) <= 480 for line in lines)
    face, lines, _ = fit_title("Short", (480, 150), 54, 20)
    assert lines == ["Short"] and face.size == 54


def test_text_is_folded_to_what_the_font_can_draw():
    assert fold_ascii("Crème brûlée — at dawn") == "Creme brulee - at dawn"
    assert printable_title("Crème brûlée") == "Creme brulee"
    assert "cannot draw" in printable_title("東京の夜景、雨の中")
