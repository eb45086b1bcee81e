"""The offline video-to-video renderer: a visible restyle of a clip that keeps its motion.

Each of the prompt's six styles is a chain of ffmpeg filters applied to every frame (a colour grade,
a stylisation, grain…), so the output has the source's motion frame for frame and a look anyone can
tell apart.  ``strength`` (0..1) blends the styled picture over the original.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_lib

from bot.media.ffmpeg import ProgressCallback, open_input
from bot.media.ops import check_size, encode, require_video

# style -> filters (name, args, kwargs); each one a look a viewer recognises
_Filter = tuple[str, tuple[Any, ...], dict[str, Any]]
STYLE_FILTERS: dict[str, list[_Filter]] = {
    # teal-and-orange grade, crushed contrast, letterbox vignette and film grain
    "cinematic": [
        ("colorbalance", (), {"rs": -0.15, "bs": 0.2, "rh": 0.2, "bh": -0.2}),
        ("eq", (), {"contrast": 1.25, "saturation": 0.85}),
        ("vignette", (), {"angle": "PI/4"}),
        ("noise", (), {"alls": 14, "allf": "t+u"}),
    ],
    # muted, slightly desaturated and cool, with a hint of grain
    "documentary": [
        ("eq", (), {"saturation": 0.55, "contrast": 1.05, "gamma": 1.05}),
        ("colorbalance", (), {"bm": 0.08, "rm": -0.05}),
        ("noise", (), {"alls": 6, "allf": "t"}),
    ],
    # bright, punchy, sharpened
    "commercial": [
        ("eq", (), {"brightness": 0.06, "contrast": 1.15, "saturation": 1.45}),
        ("unsharp", (), {"luma_msize_x": 5, "luma_msize_y": 5, "luma_amount": 1.2}),
    ],
    # painterly: posterised colour, strong saturation, smoothed detail
    "artistic": [
        ("smartblur", (), {"luma_radius": 3, "luma_strength": 1.0}),
        ("eq", (), {"saturation": 2.0, "contrast": 1.2}),
        ("lutrgb", (), {"r": "trunc(val/48)*48", "g": "trunc(val/48)*48", "b": "trunc(val/48)*48"}),
    ],
    # cel-shaded: flat colour bands with dark outlines
    "anime": [
        ("smartblur", (), {"luma_radius": 2.5, "luma_strength": 1.0}),
        ("eq", (), {"saturation": 1.7, "contrast": 1.1}),
        ("lutrgb", (), {"r": "trunc(val/64)*64+32", "g": "trunc(val/64)*64+32", "b": "trunc(val/64)*64+32"}),
    ],
    # a true-to-life grade: warm daylight, richer contrast, denoised and sharpened
    "realistic": [
        ("hqdn3d", (), {"luma_spatial": 2}),
        ("curves", (), {"preset": "increase_contrast"}),
        ("colorbalance", (), {"rm": 0.12, "gm": 0.03, "bm": -0.12}),
        ("eq", (), {"saturation": 1.2}),
        ("unsharp", (), {"luma_msize_x": 3, "luma_msize_y": 3, "luma_amount": 0.6}),
    ],
}
DEFAULT_STYLE = "cinematic"
DEFAULT_STRENGTH = 0.8


async def restyle(
    media: Any,
    src: Path,
    dest: Path,
    *,
    style: str | None,
    seconds: float,
    size: tuple[int, int],
    strength: float = DEFAULT_STRENGTH,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """The first ``seconds`` of ``src`` scaled to ``size`` with ``style`` applied (no sound)."""
    check_size(*size)
    if not 0.0 <= strength <= 1.0:
        raise ValueError("strength must be within 0..1")
    require_video(await media.probe(src), "The clip")
    chain = STYLE_FILTERS[style or DEFAULT_STYLE]
    width, height = size
    base = open_input(src).video.trim(duration=seconds).setpts("PTS-STARTPTS")
    base = base.filter("scale", width, height, force_original_aspect_ratio="increase", flags="lanczos")
    base = base.filter("crop", width, height).filter("setsar", 1).filter("fps", 24).filter("format", "yuv420p")
    if strength < 1.0:
        split = base.split()
        styled, plain = split[0], split[1]
    else:
        styled, plain = base, None
    for name, args, kwargs in chain:
        styled = styled.filter(name, *args, **kwargs)
    if plain is not None:  # the styled picture laid over the original at ``strength``
        styled = ffmpeg_lib.filter(
            [styled.filter("format", "yuv420p"), plain], "blend", all_mode="normal", all_opacity=round(strength, 3)
        )
    return await encode(media, [styled], dest, audio=False, expected=seconds, on_progress=on_progress)


async def prepare_clip(media: Any, src: Path, dest: Path, *, seconds: float, max_side: int = 1280) -> Path:
    """The first ``seconds`` of ``src`` as the H.264 MP4 the bot sends on (no sound, at most ``max_side``
    pixels on the long side): the only copy of an upload that any provider sees."""
    info = await media.probe(src)
    require_video(info, "The clip")
    scale = min(1.0, max_side / max(info.width, info.height))
    width, height = max(2, round(info.width * scale / 2) * 2), max(2, round(info.height * scale / 2) * 2)
    picture = open_input(src).video.trim(duration=seconds).setpts("PTS-STARTPTS")
    picture = picture.filter("scale", width, height, flags="lanczos").filter("setsar", 1)
    return await encode(media, [picture], dest, audio=False, expected=seconds)
