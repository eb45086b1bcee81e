"""The finishing models as data: what each one can make of a finished draft (a larger picture, a higher frame
rate, or both), how it is asked in its own terms, and the longest clip it takes.

We speak resolutions by their short side (``1080p``, ``2k`` = 1440 lines, ``4k`` = 2160 lines) and whole frame
rates (``30``, ``60``); each entry maps them to the values its provider expects (Runway's upscaler says ``1k``
for 1080p, its frame-rate model takes the rate as a string).  A model that cannot make something asked says
what it makes instead (:meth:`FinishModel.makes`), and the quote tells the member before anything is charged.

Where each entry comes from (read 2026-12-06):

- Runway: the installed runwayml SDK, ``types/video_upscale_create_params.py``: ``magnific_video_upscaler_creative``
  takes ``resolution`` one of ``720p``, ``1k``, ``2k``, ``4k`` and ``fpsBoost`` (a flag with no stated rate, so
  it is not sent: the quote could not say what it makes); ``enhance_frame_rate`` takes ``targetFramerate`` as a
  string (``"24"`` … ``"60"``, ``"120"``) and keeps the size.  The SDK states no longest input; 10 s (the longest
  clip Runway's own video models make) is assumed, so nothing longer than what Runway itself makes is sent.
- Luma: the installed lumaai SDK, ``generations.upscale(id, generation_type="upscale_video", resolution=...)``
  (``types/generation_upscale_params.py``: ``540p``, ``720p``, ``1080p``, ``4k``; no 2k, so 2k is made as 4k and
  the quote says so): it upscales a generation by its id, so only results Luma made.
- Replicate: ``topazlabs/video-upscale`` (official), its version page's input schema (vendored with its source in
  ``emulators/providers/law/schemas/replicate/topazlabs__video-upscale.json``): ``target_resolution`` ``720p``,
  ``1080p``, ``4k`` (2k is made as 4k), ``target_fps`` an integer from 15 to 120.  Replicate states no longest
  input; 10 s is assumed, as for Runway.
- fal: ``fal-ai/topaz/upscale/video``, its llms.txt input schema (vendored with its source in
  ``emulators/providers/law/schemas/fal/fal-ai__topaz__upscale__video.json``): asked by ``upscale_factor`` (1 to 4,
  the target's short side over the source's), ``target_fps`` (16 to 60), ``H264_output`` (else H.265).
- fal: ``fal-ai/rife/video`` (RIFE frame interpolation), its llms.txt input schema (vendored with its source in
  ``emulators/providers/law/schemas/fal/fal-ai__rife__video.json``): it keeps the size and puts ``num_frames``
  (1 to 4) new frames between each pair of the source's, played at ``fps`` (1 to 60) with
  ``use_calculated_fps`` false.  So it makes whole multiples of the source's rate (:class:`Interpolation`): a
  24 fps clip becomes 48 fps, never 60 (72 frames a second played at 60 would run 20% slow), and the quote says
  so.  fal states no longest input; 10 s is assumed, as for the others.
- The offline ``local:finish``: ffmpeg's lanczos scaler and minterpolate (:mod:`bot.media.finish`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.errors import InvalidOption
from bot.i18n import phrase
from bot.providers.base import Capability, ModelInfo
from bot.providers.catalogue import ALL_ASPECTS, CatalogueModel

RESOLUTIONS = ("1080p", "2k", "4k")  # what /finish offers, smallest first
FRAME_RATES = (30, 60)
SHORT_SIDE = {"720p": 720, "1080p": 1080, "2k": 1440, "4k": 2160}
_SAME_RATE = 0.5  # frame rates this close are the same (a probed 29.97 is 30)


@dataclass(frozen=True)
class Interpolation:
    """How a model that puts new frames between the source's is asked (fal's RIFE): not a rate, but how many
    frames go between each pair (``frames_field``, 1 to ``most``) and the rate the result plays at
    (``rate_field``, at most ``max_rate``), with ``fields`` (RIFE: ``use_calculated_fps`` false, so the rate is
    the one stated).  Its clip keeps its length only when played at a whole multiple of the source's rate
    ((frames + 1) x the source's), so that is all it makes."""

    frames_field: str
    rate_field: str
    most: int
    max_rate: int
    fields: Mapping[str, Any] = field(default_factory=dict)

    def rates(self, source_fps: float) -> list[int]:
        """The rates it makes of a ``source_fps`` clip, lowest first."""
        made = [round((k + 1) * source_fps) for k in range(1, self.most + 1)]
        return [r for r in made if r <= self.max_rate]

    def rate_for(self, fps: int, source_fps: float) -> int | None:
        """The rate it makes when asked ``fps``: the lowest multiple that reaches it, else the highest below it
        (None: even the least it inserts is faster than it plays)."""
        rates = self.rates(source_fps)
        return next((r for r in rates if r >= fps - _SAME_RATE), rates[-1] if rates else None)

    def ask(self, fps: int, source_fps: float) -> dict[str, Any]:
        """The fields for ``fps`` (one of :meth:`rates`): the fewest frames whose multiple reaches it."""
        frames = next((k for k in range(1, self.most + 1) if (k + 1) * source_fps >= fps - _SAME_RATE), self.most)
        return {**self.fields, self.frames_field: frames, self.rate_field: min(fps, self.max_rate)}


@dataclass(frozen=True)
class FinishModel:
    """One finishing model: what it makes and how it is asked."""

    name: str  # "provider:model"
    model_id: str  # the provider's own model id
    resolutions: Mapping[str, Any] = field(default_factory=dict)  # ours -> the provider's; empty: keeps the size
    frame_rates: Mapping[int, Any] = field(default_factory=dict)  # ours -> the provider's; empty: keeps the rate
    max_input_seconds: float = 10.0
    own_results_only: bool = False  # Luma upscales only its own generations
    video_field: str = "video"  # the provider's input for the clip (Replicate: the uploaded file's URL)
    fixed: Mapping[str, Any] = field(default_factory=dict)  # sent with every request
    scale_field: str | None = None  # the model is asked a factor (target / source short side), not a size
    max_scale: float | None = None  # the largest factor it takes
    seconds_per_second: float = 30.0  # a rough estimate of how long it takes per second of video (the quote)
    description: str = ""
    interpolation: Interpolation | None = None  # asked frames between the source's, not a rate (fal's RIFE)

    @property
    def provider(self) -> str:
        """The provider part of the name."""
        return self.name.split(":", 1)[0]

    def info(self) -> ModelInfo:
        """The :class:`ModelInfo` the registry and the worker see."""
        return ModelInfo(
            name=self.name,
            capabilities=frozenset({Capability.FINISH}),
            durations=tuple(range(1, math.ceil(self.max_input_seconds) + 1)),
            aspects=ALL_ASPECTS,
            description=self.description,
            deadline_seconds=3600,
            takes_prompt=False,
            max_input_seconds=self.max_input_seconds,
            seed_max=None,
        )

    def catalogue_entry(self) -> CatalogueModel:
        """The model as a catalogue entry, for a provider whose create path reads one (Replicate): the clip is
        its only media input, nothing else is sent from the entry (the size and rate come from :meth:`ask`)."""
        return CatalogueModel(
            self.name,
            self.model_id,
            frozenset({Capability.FINISH}),
            {s: {} for s in range(1, math.ceil(self.max_input_seconds) + 1)},
            {a: {} for a in ALL_ASPECTS},
            fields={"video": self.video_field},
            deadline_seconds=3600,
            description=self.description,
            max_input_seconds=self.max_input_seconds,
        )

    def makes(self, resolution: str | None, fps: int | None) -> tuple[str | None, int | None, list[str]]:
        """What this model makes when asked ``resolution`` and ``fps`` (None: keep the source's), with a note for
        each thing it makes differently from what was asked."""
        notes: list[str] = []
        if resolution is not None and resolution not in self.resolutions:
            larger = [r for r in RESOLUTIONS if r in self.resolutions and SHORT_SIDE[r] > SHORT_SIDE[resolution]]
            if larger:
                notes.append(phrase("finish.note.next_size", model=self.name, asked=resolution, made=larger[0]))
                resolution = larger[0]
            else:
                notes.append(phrase("finish.note.keeps_size", model=self.name))
                resolution = None
        if fps is not None and fps not in self.frame_rates:
            notes.append(phrase("finish.note.keeps_rate", model=self.name))
            fps = None
        return resolution, fps, notes

    def rate_for(self, fps: int, source_fps: float) -> tuple[int | None, str | None]:
        """The frame rate it makes when asked ``fps`` (one it makes, see :meth:`makes`) of a ``source_fps``
        clip, and a note when that is not ``fps``; None: no higher rate than the source's."""
        if self.interpolation is None:
            return fps, None
        made = self.interpolation.rate_for(fps, source_fps)
        if made is None:
            return None, phrase(
                "finish.note.max_rate", model=self.name, max=self.interpolation.max_rate, source=f"{source_fps:g}"
            )
        if abs(made - fps) <= _SAME_RATE:
            return made, None
        return made, phrase("finish.note.multiple", model=self.name, source=f"{source_fps:g}", made=made, asked=fps)

    def ask(
        self, resolution: str | None, fps: int | None, scale: float | None = None, source_fps: float | None = None
    ) -> dict[str, Any]:
        """The provider's own fields for a finish at ``resolution`` and ``fps`` (only what it can make); a model
        asked by factor gets ``scale``, the target's short side over the source's; one that puts frames between
        the source's (:class:`Interpolation`) is asked from ``source_fps``, the source clip's probed rate."""
        out: dict[str, Any] = dict(self.fixed)
        if resolution is not None and resolution in self.resolutions:
            out.update(self.resolutions[resolution])
            if self.scale_field and scale is not None:
                out[self.scale_field] = round(scale, 4)
        if self.interpolation is not None:
            if fps is None or source_fps is None or fps <= source_fps + _SAME_RATE:
                raise InvalidOption(
                    f"{self.name} makes a higher frame rate: it needs the clip's rate and a higher one."
                )
            out.update(self.interpolation.ask(fps, source_fps))
        elif fps is not None and fps in self.frame_rates:
            out.update(self.frame_rates[fps])
        return out


# fmt: off
_MODELS: tuple[FinishModel, ...] = (
    FinishModel(
        "runway:magnific-upscale", "magnific_video_upscaler_creative",
        {"1080p": {"resolution": "1k"}, "2k": {"resolution": "2k"}, "4k": {"resolution": "4k"}},
        max_input_seconds=10, seconds_per_second=30,
        description="Runway's Magnific creative video upscaler: 1080p (Runway's 1k), 2k or 4k; keeps the frame rate.",
    ),
    FinishModel(
        "runway:frame-rate", "enhance_frame_rate", {}, {f: {"target_framerate": str(f)} for f in FRAME_RATES},
        max_input_seconds=10, seconds_per_second=15,
        description="Runway's frame-rate enhancer: 30 or 60 fps; keeps the size.",
    ),
    FinishModel(
        "luma:upscale", "upscale_video", {"1080p": {"resolution": "1080p"}, "4k": {"resolution": "4k"}},
        max_input_seconds=10, own_results_only=True, seconds_per_second=20,
        description="Luma's upscale of its own generations: 1080p or 4k; keeps the frame rate.",
    ),
    FinishModel(
        "replicate:topaz-video", "topazlabs/video-upscale",
        {"1080p": {"target_resolution": "1080p"}, "4k": {"target_resolution": "4k"}},
        {f: {"target_fps": f} for f in FRAME_RATES},
        max_input_seconds=10, seconds_per_second=30,
        description="Topaz Video Upscale via Replicate: 1080p or 4k, and 30 or 60 fps, in one pass.",
    ),
    FinishModel(
        "fal:topaz", "fal-ai/topaz/upscale/video",
        {r: {} for r in RESOLUTIONS}, {f: {"target_fps": f} for f in FRAME_RATES},
        max_input_seconds=10, seconds_per_second=30, video_field="video_url", fixed={"H264_output": True},
        scale_field="upscale_factor", max_scale=4.0,
        description="Topaz Video Upscale via fal: up to 4x the size (1080p, 2k, 4k) and 30 or 60 fps, in one pass.",
    ),
    FinishModel(
        # keeps the size; makes a higher rate, asked by its interpolation (see rate_for), never by a rate's own field
        "fal:rife", "fal-ai/rife/video", {}, {f: {} for f in FRAME_RATES},
        max_input_seconds=10, seconds_per_second=5, video_field="video_url",
        interpolation=Interpolation("num_frames", "fps", most=4, max_rate=60, fields={"use_calculated_fps": False}),
        description="RIFE frame interpolation via fal: 2x to 5x the clip's frame rate, up to 60 fps; keeps the size.",
    ),
    FinishModel(
        "local:finish", "finish",
        {r: {"resolution": r} for r in RESOLUTIONS}, {f: {"fps": f} for f in FRAME_RATES},
        max_input_seconds=20, seconds_per_second=20,
        description="Offline: lanczos upscaling and motion-interpolated frames (ffmpeg); free of quota.",
    ),
)
# fmt: on

FINISH_MODELS: dict[str, FinishModel] = {m.name: m for m in _MODELS}
# the default when VIDEOBOT_FINISH_MODEL is unset or unavailable: cloud first, as for generation; local:finish last
FINISH_ORDER: tuple[str, ...] = (
    "luma:upscale",
    "replicate:topaz-video",
    "fal:topaz",
    "runway:magnific-upscale",
    "runway:frame-rate",
    "fal:rife",  # after the models that make the asked rate itself: RIFE makes multiples of the source's
    "local:finish",
)


def finish_models_for(provider: str) -> list[FinishModel]:
    """The finishing models of one provider, in table order."""
    return [m for m in _MODELS if m.provider == provider]


def resolution_for(width: int, height: int) -> str | None:
    """Our name of a size (its short side), or None for a size we have no name for."""
    return next((name for name, short in SHORT_SIDE.items() if short == min(width, height)), None)


def finish_model(name: str) -> FinishModel:
    """The entry for a finishing model's name, or InvalidOption."""
    entry = FINISH_MODELS.get(name.strip().lower())
    if entry is None:
        raise InvalidOption(f"{name[:60]!r} is not a finishing model; pick one of {', '.join(FINISH_MODELS)}.")
    return entry
