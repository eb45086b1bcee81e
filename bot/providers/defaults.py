"""Which model a request gets when it names none and ``VIDEOBOT_DEFAULT_MODEL`` does not fit: the first enabled
model of its kind's preference order below (text, image or video to video), never the alphabet.

Each order puts the best quality per dollar first, by the prices in :mod:`bot.providers.prices` (read 2026-11)
and the models' own output (resolution, length): cheap models that still make a good 720p clip lead, the
premium ones follow, the small stylised or low-resolution ones come late, and the offline ``local:*`` renderer
(a preview, not a video model) is always last.  The bundled ComfyUI templates (``comfyui:*``, on when
``COMFYUI_URL`` is set) come first: they run on the owner's own GPU, free unless the owner prices its seconds.
A model that cannot do what the request needs (an end image, a loop, an image without a public file server for
Luma) is passed over.  Every catalogue model appears in the
order of each kind it can do (a test checks it), so a new entry must be placed here.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.providers.base import Capability

TEXT, IMAGE, VIDEO = "text", "image", "video"
KINDS = (TEXT, IMAGE, VIDEO)

# fmt: off
DEFAULT_ORDER: dict[str, tuple[str, ...]] = {
    TEXT: (
        "comfyui:wan2.2-ti2v",         # $0 (your own GPU; VIDEOBOT_COMFYUI_USD_PER_GPU_SECOND), 720p
        "comfyui:ltx-video",           # $0, 768x512, fast
        "luma:ray-flash-2",            # $0.048/s, 720p, 5-9 s
        "fal:hailuo-02",               # $0.045/s, 768p, 6-10 s
        "fal:pika-2.2",                # $0.04/s, 720p
        "runway:gen4.5",               # 12 credits/s (~$0.12/s)
        "replicate:minimax-video-01",  # $0.50 a 6 s clip
        "fal:kling-3",                 # $0.084/s silent, $0.126/s with sound (Kling 3.0 Standard)
        "runway:veo3.1_fast",          # 10 credits/s silent, 15 with sound
        "luma:ray-2",                  # $0.142/s
        "runway:kling3.0_pro",         # ~15 credits/s silent, ~20 with sound, 1080p
        "runway:veo3.1",               # 20 credits/s silent, 40 with sound
        "fal:kling-2.1",               # $0.28/s (Kling 2.1 Master)
        "replicate:veo-3",             # $0.75/s, with sound
        "replicate:zeroscope",         # cheap, 576x320, 1-3 s
        "replicate:animate-diff",      # 2 s square, stylised
        "replicate:seedance-2.0",      # ~$0.18/s: the reference models (a cast) come after the plain ones,
        "runway:seedance2_fast",       # so they are the default only for requests with a cast; Seedance first,
        "runway:seedance2",            # whose prompt syntax for the photos is documented (@Image1); 36 credits/s
        "runway:hailuo3",              # no documented syntax (the prompt names "image 1" in words)
        "runway:wan3",                 # the same; ~10 credits/s silent, ~12 with sound.  As plain or sound
                                       # models seedance2 and wan3 are never reached here: Runway's gen4.5 and
                                       # veo3.1_fast (sound) come first whenever Runway is on
        "local:storyboard",
    ),
    IMAGE: (
        "comfyui:wan2.2-ti2v",
        "comfyui:ltx-video",
        "runway:gen4_turbo",           # 5 credits/s (~$0.05/s)
        "replicate:kling-v2.1",        # $0.05/s, 720p
        "fal:hailuo-02",
        "luma:ray-flash-2",
        "fal:pika-2.2",
        "fal:pikaframes",              # first and last frame only
        "runway:gen4.5",
        "replicate:wan-2.2-i2v",       # $0.09/s, 480p
        "luma:ray-2",
        "replicate:minimax-video-01",
        "fal:kling-3",
        "runway:veo3.1_fast",
        "runway:kling3.0_pro",
        "runway:veo3.1",
        "fal:kling-2.1",
        "runway:seedance2",
        "replicate:veo-3",
        "replicate:stable-video-diffusion",  # no prompt, 2-4 s
        "runway:klingo3_standard",     # with a cast (reference photos) beside the image
        "runway:kling_4",
        "runway:klingo3_pro",
        "local:motion",
        "local:interpolate",
    ),
    VIDEO: (
        "runway:aleph2",               # 15 credits/s, keeps length and framing
        "replicate:zeroscope",         # 576x320
        "local:restyle",
    ),
}
# fmt: on


def kind_of(needs: Iterable[Capability]) -> str | None:
    """The kind of a request needing ``needs``: video, image (a start or end frame) or text; None for the rest
    (edits of finished results, a native extend alone)."""
    wanted = set(needs)
    if Capability.VIDEO_TO_VIDEO in wanted:
        return VIDEO
    if wanted & {Capability.IMAGE_TO_VIDEO, Capability.INTERPOLATE}:
        return IMAGE
    if wanted & {Capability.TEXT_TO_VIDEO, Capability.REFERENCES}:  # a cast without a start image: text's order
        return TEXT
    return None
