"""The cloud models as data: what each one is called on its provider, what it takes, what it costs.

Our side speaks aspects ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9") and whole seconds; each entry
maps them to the fields its provider expects (Runway ``ratio: "1280:720"``, Luma ``duration: "5s"``,
Replicate ``num_frames``…).  ``fields`` names the provider's input for each of our roles (``prompt``,
``negative_prompt``, ``image``, ``end_image``, ``video``, ``seed``): Replicate models all spell them
differently.  Adding a model is one entry in ``_MODELS``; no provider code changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.errors import InvalidOption
from bot.prompt import MAX_SEED
from bot.providers.base import CHARACTERS, UTF16, Capability, GenerationRequest, ModelInfo, MultiShot
from bot.providers.references import ReferenceSpec

T2V, I2V, V2V = Capability.TEXT_TO_VIDEO, Capability.IMAGE_TO_VIDEO, Capability.VIDEO_TO_VIDEO
EXTEND, INTERP, LOOP = Capability.EXTEND, Capability.INTERPOLATE, Capability.LOOP
REFS = Capability.REFERENCES
SOUND, V2A, T2A = Capability.SOUND, Capability.VIDEO_TO_AUDIO, Capability.TEXT_TO_AUDIO

ALL_ASPECTS: tuple[str, ...] = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9")


@dataclass(frozen=True)
class CatalogueModel:
    """One model: its names, limits and the provider fields each of our options becomes."""

    name: str  # "provider:model"
    model_id: str  # the provider's own id (Runway model, Replicate "owner/name", Luma model)
    capabilities: frozenset[Capability]
    durations: Mapping[int, Mapping[str, Any]]  # our seconds -> provider fields
    aspects: Mapping[str, Mapping[str, Any]]  # our aspect -> provider fields
    fields: Mapping[str, str] = field(default_factory=dict)  # our role -> provider input name
    fixed: Mapping[str, Any] = field(default_factory=dict)  # sent with every request
    text_aspects: tuple[str, ...] | None = None  # aspects allowed without an input image (default: all)
    official: bool = True  # Replicate: official model (model path) or community model (needs a version)
    version: str | None = None  # Replicate: pinned version id; None = the model's latest version
    deadline_seconds: float = 1800.0
    description: str = ""
    max_prompt_chars: int = 1000
    max_input_seconds: float | None = None  # video-to-video: the longest source clip
    min_prompt_chars: int = 1  # Luma: 3 (docs.lumalabs.ai/docs/errors, read 2026-12-06)
    prompt_unit: str = CHARACTERS  # what max_prompt_chars counts on the provider (Runway: UTF-16 code units)
    image_prompt_required: bool = False  # the provider refuses an image-started request without a prompt
    max_seed: int = MAX_SEED  # the largest seed the ``seed`` field takes (only with a ``seed`` field)
    multi_shot: MultiShot | None = None  # the provider makes a /sequence film in one task (Runway's recipe)
    references: ReferenceSpec | None = None  # REFERENCES models: where the cast's photos go, how prompts name them

    @property
    def provider(self) -> str:
        """The provider part of the name."""
        return self.name.split(":", 1)[0]

    def field(self, role: str) -> str | None:
        """The provider's input name for one of our roles, or None when the model has no such input."""
        return self.fields.get(role)

    def info(self) -> ModelInfo:
        """The :class:`ModelInfo` the rest of the bot sees: every rule about what the model can do lives
        there, so the service's up-front check and the provider's check at submit are one and the same."""
        return ModelInfo(
            name=self.name,
            capabilities=self.capabilities,
            durations=tuple(sorted(self.durations)),
            aspects=tuple(a for a in ALL_ASPECTS if a in self.aspects),
            description=self.description,
            max_prompt_chars=self.max_prompt_chars,
            min_prompt_chars=self.min_prompt_chars,
            deadline_seconds=self.deadline_seconds,
            text_aspects=self.text_aspects,
            takes_prompt=bool(self.field("prompt")),
            max_input_seconds=self.max_input_seconds,
            prompt_unit=self.prompt_unit,
            image_prompt_required=self.image_prompt_required,
            seed_max=self.max_seed if self.field("seed") else None,
            multi_shot=self.multi_shot,
            references=self.references,
        )

    def validate(self, request: GenerationRequest) -> None:
        """Raise InvalidOption/InvalidPrompt unless this model can make ``request`` as asked."""
        self.info().validate(request)

    def inputs(self, request: GenerationRequest, *, seed: int | None = None) -> dict[str, Any]:
        """The provider fields for everything but media: fixed values, duration, aspect, prompt, seed."""
        out: dict[str, Any] = dict(self.fixed)
        out.update(self.durations[request.duration])
        out.update(self.aspects[request.aspect])
        prompt = self.info().sent_prompt(request.prompt, request.references)  # a cast in the model's syntax
        for role, value in (
            ("prompt", prompt or None),
            ("negative_prompt", request.negative_prompt),
            ("seed", request.seed if request.seed is not None else seed),
        ):
            name = self.field(role)
            if name and value is not None:
                out[name] = value
        if name := self.field("audio"):  # only a model whose API has the field ever hears about sound
            out[name] = request.audio is True
        return out


def _each(key: str, seconds: Iterable[int], fmt: str = "{}") -> dict[int, dict[str, Any]]:
    return {s: {key: fmt.format(s) if fmt != "{}" else s} for s in seconds}


def _same(aspects: Iterable[str] = ALL_ASPECTS) -> dict[str, dict[str, Any]]:
    """Aspects that send nothing: the output follows the input image or video."""
    return {a: {} for a in aspects}


_RUNWAY_RATIOS = {"16:9": "1280:720", "9:16": "720:1280", "1:1": "960:960", "4:3": "1104:832", "3:4": "832:1104"}
_RUNWAY_RATIOS["21:9"] = "1584:672"
_RUNWAY_GEN4 = {a: {"ratio": r} for a, r in _RUNWAY_RATIOS.items()}
_RUNWAY_VEO = {"16:9": {"ratio": "1280:720"}, "9:16": {"ratio": "720:1280"}}
_RUNWAY_FIELDS = {"prompt": "prompt_text", "image": "prompt_image", "seed": "seed"}
# /sequence in one task: runwayml types/recipe_multi_shot_video_params.py, custom mode (read 2026-12-06): "Shot
# list for custom mode (3-5 shots). Per-shot durations must sum to `duration`", duration Literal[5, 10, 15].
# Its ratios (720p): "1280:720", "720:1280", "960:960".
_RUNWAY_RECIPE = MultiShot(shots=(3, 5), totals=(5, 10, 15), aspects=("16:9", "9:16", "1:1"))
# Kling 3.0 on Runway makes a shot list in one text/image-to-video task: runwayml 5.24
# types/{text,image}_to_video_create_params.py, ``Kling3_0ProProviderSettings`` (read 2026-12-06): ``multiPrompt``,
# "An array of prompt segments … Each segment has its own prompt and duration.  Total duration across all segments
# must be between 3 and 15 seconds", ``shotType`` "customize" (the default with multiPrompt).  No segment count is
# stated: 2 (a film's fewest) to 15 (each segment a second or more, 15 s in all); the totals are the lengths the
# model is offered in here anyway (5 or 10 s), which lie within the 3-15 s.
_RUNWAY_KLING3_MULTI = MultiShot(shots=(2, 15), totals=(5, 10), aspects=("16:9", "9:16", "1:1"), via="multi_prompt")
# The native-audio models (runwayml 5.24 types/{text,image}_to_video_create_params.py, read 2026-12-06): each has
# ``audio: bool`` ("Whether to generate audio for the video"); Kling 3.0 Pro and Wan 3 have no seed.  Wan 3's
# image to video needs ``ratio: auto_*`` (its ratio docstring), so only its text to video is offered here.
_RUNWAY_SOUND_FIELDS = {"prompt": "prompt_text", "image": "prompt_image", "end_image": "prompt_image", "audio": "audio"}
_SOUND_ASPECT = _same(("16:9",))  # sound has no shape: one nominal aspect (a sound job's spec carries it)
_RUNWAY_KLING3 = {"16:9": {"ratio": "1920:1080"}, "9:16": {"ratio": "1080:1920"}, "1:1": {"ratio": "1440:1440"}}
_RUNWAY_WAN3 = {a: {"ratio": r} for a, r in _RUNWAY_RATIOS.items() if a != "21:9"} | {
    "4:3": {"ratio": "1104:832"},
    "3:4": {"ratio": "832:1104"},
}
# What each provider refuses, from its own description (read 2026-12-06):
# - Runway: runwayml SDK types/image_to_video_create_params.py (and text_to_video, video_to_video): promptText is
#   "up to 1000 characters (measured in UTF-16 code units)"; Gen4_5 marks prompt_text Required for image to video,
#   Gen4Turbo and Veo3_1 leave it optional.  The SDK states no seed range for the video models (``seed: int``);
#   Runway's API reference and the SDK's own text_to_speech docstring give 0-4294967295, which we keep.
# - fal: each endpoint's llms.txt (fal.ai/models/<endpoint>/llms.txt): kling-video/v2.1/master/image-to-video,
#   pika/v2.2/image-to-video and minimax/hailuo-02/standard/image-to-video mark ``prompt`` required; Kling 2.1
#   Master and Hailuo 02 have no ``seed`` input; Pika's seed is an integer with no stated range.
# - Replicate: the version /api pages (replicate.com/<owner>/<name>/versions/<id>/api): lucataco/animate-diff
#   ``seed`` "maximum 2147483647"; kwaivgi/kling-v2.1 requires ``prompt`` and ``start_image``, no seed;
#   minimax/video-01 has no seed.  Wan 2.2 i2v, MiniMax video-01 and Veo 3 are marked as needing a prompt for
#   image to video from mirrors of their schemas (their cogs declare ``prompt`` without a default); sending the
#   neutral motion prompt to a model that would also take none costs nothing, leaving it out where it is
#   required fails the job.
_RUNWAY_LIMITS: dict[str, Any] = {"prompt_unit": UTF16, "max_seed": 4_294_967_295}
_LUMA_ASPECTS = {a: {"aspect_ratio": a} for a in ALL_ASPECTS}
_LUMA_DURATIONS = _each("duration", (5, 9), "{}s")
_LUMA_CAPS = frozenset({T2V, I2V, EXTEND, INTERP, LOOP})
# fal endpoints come in pairs (.../text-to-video, .../image-to-video): "{mode}" in a model_id is filled in by
# the fal provider for the request.  Aspects are sent for text only; image-started clips follow the image.
_FAL_THREE = {a: {"aspect_ratio": a} for a in ("16:9", "9:16", "1:1")}
_FAL_FIELDS = {"prompt": "prompt", "negative_prompt": "negative_prompt", "image": "image_url", "seed": "seed"}

# One entry per model, kept compact by hand so the catalogue reads as a table.
# Reference models (a server's cast, docs/cast.md), read 2026-12-06:
# - Runway: the installed runwayml SDK (5.24.0) types/image_to_video_create_params.py.  ``klingO3_pro`` /
#   ``klingO3_standard`` take ``references`` (up to 7 images, no position) beside a required first-frame
#   ``promptImage``; ``kling_4`` takes ``references`` (up to 10 images, frames included) beside ``promptImage``;
#   ``seedance2`` / ``seedance2_fast`` take reference images as ``promptImage`` entries without ``position`` ("the
#   two modes cannot be mixed") and ``referenceAudio`` ({"type": "audio", "uri"}; 15 s in total).  Runway's API
#   docs state no prompt syntax for references; ``@Image1`` is the syntax Kling's O3 reference-to-video and
#   ByteDance's Seedance 2.0 reference mode are documented with (Kling O3 on fal/eachlabs "Reference in prompt as
#   @Image1, @Image2"; Seedance 2.0 docs.oxen.ai and seedance2api.app "@Image1 … @Audio1").
# - Replicate bytedance/seedance-2.0, version d456b64a (replicate.com/bytedance/seedance-2.0/versions/…/api):
#   ``reference_images`` (up to 9) "reference them in your prompt as [Image1], [Image2]", ``reference_audios`` (up
#   to 3, 15 s in total, "[Audio1]", needs a reference image), cannot be combined with ``image`` (first frame).
#   The vendored schema is emulators/providers/law/schemas/replicate/bytedance__seedance-2.0.json.
_RUNWAY_SEEDANCE = ReferenceSpec(
    "prompt_image", 9, "@Image{n}", audio_field="reference_audio", audio_tag="@Audio{n}", max_audio=3
)
# Wan 3 and Hailuo 3 (same SDK file: reference images as ``promptImage`` entries without ``position``, and
# ``referenceAudio``) document no prompt syntax for their references, so the prompt names them in words.
_RUNWAY_WORDS = ReferenceSpec(
    "prompt_image", 9, "image {n}", audio_field="reference_audio", audio_tag="audio {n}", max_audio=3
)
_RUNWAY_KLING_O3 = ReferenceSpec("references", 7, "@Image{n}", need_image=True)
_RUNWAY_KLING_4 = ReferenceSpec("references", 9, "@Image{n}", need_image=True)  # 10 images, the first frame one
_SEEDANCE_RATIOS = {"16:9": "1280:720", "9:16": "720:1280", "1:1": "960:960", "4:3": "1112:834", "3:4": "834:1112"}
_SEEDANCE_RATIOS["21:9"] = "1470:630"

# fmt: off
_MODELS: tuple[CatalogueModel, ...] = (
    # --- Runway ---------------------------------------------------------------------------------------------------
    CatalogueModel(
        "runway:gen4.5", "gen4.5", frozenset({T2V, I2V}), _each("duration", range(2, 11)), _RUNWAY_GEN4,
        fields=_RUNWAY_FIELDS, text_aspects=("16:9", "9:16"), deadline_seconds=900, image_prompt_required=True,
        **_RUNWAY_LIMITS, description="Runway Gen-4.5: text or image to video, 2-10 s.", multi_shot=_RUNWAY_RECIPE,
    ),
    CatalogueModel(
        "runway:gen4_turbo", "gen4_turbo", frozenset({I2V}), _each("duration", (5, 10)), _RUNWAY_GEN4,
        fields=_RUNWAY_FIELDS, deadline_seconds=600, **_RUNWAY_LIMITS,
        description="Runway Gen-4 Turbo: fast image to video, 5 or 10 s.",
    ),
    CatalogueModel(
        "runway:veo3.1", "veo3.1", frozenset({T2V, I2V, INTERP, SOUND}), _each("duration", (4, 6, 8)), _RUNWAY_VEO,
        fields={**_RUNWAY_FIELDS, "end_image": "prompt_image", "negative_prompt": "negative_prompt", "audio": "audio"},
        deadline_seconds=1200, **_RUNWAY_LIMITS,
        description="Google Veo 3.1 via Runway: text, image, or first and last frame, 4-8 s; sound on request.",
    ),
    CatalogueModel(
        "runway:veo3.1_fast", "veo3.1_fast", frozenset({T2V, I2V, INTERP, SOUND}), _each("duration", (4, 6, 8)),
        _RUNWAY_VEO, fields={**_RUNWAY_FIELDS, "end_image": "prompt_image", "negative_prompt": "negative_prompt",
                             "audio": "audio"},
        deadline_seconds=900, **_RUNWAY_LIMITS,
        description="Google Veo 3.1 Fast via Runway: the faster, cheaper Veo 3.1, 4-8 s; sound on request.",
    ),
    CatalogueModel(
        "runway:kling3.0_pro", "kling3.0_pro", frozenset({T2V, I2V, INTERP, SOUND}), _each("duration", (5, 10)),
        _RUNWAY_KLING3, fields=_RUNWAY_SOUND_FIELDS, deadline_seconds=1200, **_RUNWAY_LIMITS,
        multi_shot=_RUNWAY_KLING3_MULTI,
        description="Kling 3.0 Pro via Runway: 1080p text or image to video, 5 or 10 s; sound on request.",
    ),
    CatalogueModel(
        "runway:seedance2", "seedance2", frozenset({T2V, I2V, INTERP, SOUND, REFS}), _each("duration", (5, 10)),
        {a: {"ratio": r} for a, r in _SEEDANCE_RATIOS.items()}, fields={**_RUNWAY_SOUND_FIELDS, "seed": "seed"},
        deadline_seconds=1800, references=_RUNWAY_SEEDANCE, **{**_RUNWAY_LIMITS, "max_prompt_chars": 3500},
        description="Seedance 2 via Runway: text, image or a cast (reference photos, voice) to video in six aspects,"
        " 5 or 10 s; sound on request.",
    ),
    CatalogueModel(
        "runway:wan3", "wan3", frozenset({T2V, SOUND, REFS}), _each("duration", (5, 10)), _RUNWAY_WAN3,
        fields={"prompt": "prompt_text", "audio": "audio"}, deadline_seconds=1800, references=_RUNWAY_WORDS,
        **_RUNWAY_LIMITS, description="Wan 3 via Runway: text or a cast (reference photos, voice) to video, 5 or 10 s;"
        " sound on request.",
    ),
    CatalogueModel(
        "runway:aleph2", "aleph2", frozenset({V2V}), {s: {} for s in range(1, 11)}, _same(),
        fields={"prompt": "prompt_text", "video": "video_uri", "seed": "seed"},
        deadline_seconds=1200, **_RUNWAY_LIMITS,
        description="Runway Aleph 2: restyle or edit a video; keeps its length and framing.",
    ),
    CatalogueModel(
        "runway:seedance2_fast", "seedance2_fast", frozenset({T2V, REFS}), _each("duration", range(5, 16)),
        {a: {"ratio": r} for a, r in _SEEDANCE_RATIOS.items()}, fields=_RUNWAY_FIELDS, fixed={"audio": False},
        deadline_seconds=1200, references=_RUNWAY_SEEDANCE, max_prompt_chars=3500, **_RUNWAY_LIMITS,
        description="Seedance 2.0 Fast via Runway: the quicker Seedance, text or a cast to video, 5-15 s.",
    ),
    CatalogueModel(
        "runway:hailuo3", "hailuo3", frozenset({T2V, REFS}), _each("duration", (6, 10)),
        {a: {"ratio": a} for a in ALL_ASPECTS}, fields={"prompt": "prompt_text"}, fixed={"resolution": "768p"},
        deadline_seconds=1800, references=_RUNWAY_WORDS, **_RUNWAY_LIMITS,
        description="MiniMax Hailuo 3 via Runway: text or a cast (reference photos, voice) to video, 6 or 10 s.",
    ),
    CatalogueModel(
        "runway:klingo3_pro", "klingO3_pro", frozenset({I2V, REFS}), _each("duration", (5, 10)), _same(),
        fields={"prompt": "prompt_text", "image": "prompt_image"}, fixed={"audio": False}, deadline_seconds=1800,
        references=_RUNWAY_KLING_O3, **_RUNWAY_LIMITS,
        description="Kling O3 Pro via Runway: animates an image with a cast (up to 7 reference photos), 5 or 10 s.",
    ),
    CatalogueModel(
        "runway:klingo3_standard", "klingO3_standard", frozenset({I2V, REFS}), _each("duration", (5, 10)), _same(),
        fields={"prompt": "prompt_text", "image": "prompt_image"}, fixed={"audio": False}, deadline_seconds=1500,
        references=_RUNWAY_KLING_O3, **_RUNWAY_LIMITS,
        description="Kling O3 Standard via Runway: animates an image with a cast (up to 7 photos), 5 or 10 s.",
    ),
    CatalogueModel(
        "runway:kling_4", "kling_4", frozenset({I2V, REFS}), _each("duration", (5, 10)), _same(),
        fields={"prompt": "prompt_text", "image": "prompt_image"}, deadline_seconds=1800,
        references=_RUNWAY_KLING_4, **_RUNWAY_LIMITS,
        description="Kling 4 via Runway: animates an image with a cast (up to 9 reference photos), 5 or 10 s.",
    ),
    # sound for a finished clip (video_to_audio) and sound from a description (sound_effect); the task's output is
    # the sound alone, laid under the clip by the bot.  ``duration`` is the clip's own length (sent by the provider).
    CatalogueModel(
        "runway:mirelo-sfx", "mirelo_sfx_2_0", frozenset({V2A}), {s: {} for s in range(1, 31)}, _SOUND_ASPECT,
        fields={"prompt": "prompt_text", "video": "video_uri", "seed": "seed"}, max_input_seconds=30.0,
        deadline_seconds=600, **_RUNWAY_LIMITS, description="Mirelo SFX 2 via Runway: sound for a silent clip.",
    ),
    CatalogueModel(
        "runway:eleven-sfx", "eleven_text_to_sound_v2", frozenset({T2A}), {s: {} for s in range(1, 31)}, _SOUND_ASPECT,
        fields={"prompt": "prompt_text"}, max_input_seconds=30.0, deadline_seconds=600, **_RUNWAY_LIMITS,
        description="ElevenLabs text to sound v2 via Runway: a sound from a description, 0.5-30 s.",
    ),
    # --- Replicate ------------------------------------------------------------------------------------------------
    CatalogueModel(
        "replicate:stable-video-diffusion", "stability-ai/stable-video-diffusion", frozenset({I2V}),
        {2: {"video_length": "14_frames_with_svd"}, 4: {"video_length": "25_frames_with_svd_xt"}}, _same(),
        fields={"image": "input_image", "seed": "seed"}, official=False,
        fixed={"sizing_strategy": "maintain_aspect_ratio", "frames_per_second": 6, "motion_bucket_id": 127,
               "cond_aug": 0.02, "decoding_t": 14},
        description="Stable Video Diffusion: animates an image (no prompt), 2 or 4 s.",
    ),
    CatalogueModel(
        "replicate:animate-diff", "lucataco/animate-diff", frozenset({T2V}), {2: {}}, _same(("1:1",)),
        fields={"prompt": "prompt", "negative_prompt": "n_prompt", "seed": "seed"}, official=False,
        fixed={"motion_module": "mm_sd_v14", "path": "toonyou_beta3.safetensors", "steps": 25, "guidance_scale": 7.5},
        max_seed=2_147_483_647,
        description="AnimateDiff: short stylised text-to-video loops, 2 s square.",
    ),
    CatalogueModel(
        "replicate:zeroscope", "anotherjesse/zeroscope-v2-xl", frozenset({T2V, V2V}),
        {s: {"num_frames": 8 * s} for s in (1, 2, 3)},
        {"16:9": {"width": 576, "height": 320}, "9:16": {"width": 320, "height": 576}},
        fields={"prompt": "prompt", "negative_prompt": "negative_prompt", "video": "init_video", "seed": "seed"},
        fixed={"fps": 8, "model": "xl", "num_inference_steps": 50, "guidance_scale": 7.5, "init_weight": 0.5},
        official=False, description="Zeroscope v2 XL: text to video or restyle a video, 1-3 s.",
    ),
    CatalogueModel(
        "replicate:kling-v2.1", "kwaivgi/kling-v2.1", frozenset({I2V}), _each("duration", (5, 10)), _same(),
        fields={"prompt": "prompt", "negative_prompt": "negative_prompt", "image": "start_image"},
        fixed={"mode": "standard"}, image_prompt_required=True,
        description="Kling 2.1: image to video at 720p, 5 or 10 s.",
    ),
    CatalogueModel(
        "replicate:wan-2.2-i2v", "wan-video/wan-2.2-i2v-a14b", frozenset({I2V}),
        {5: {"num_frames": 81, "frames_per_second": 16}}, _same(),
        fields={"prompt": "prompt", "image": "image", "seed": "seed"}, fixed={"resolution": "480p"},
        image_prompt_required=True,
        description="Wan 2.2: open image-to-video model, 5 s at 480p.",
    ),
    CatalogueModel(
        "replicate:minimax-video-01", "minimax/video-01", frozenset({T2V, I2V}), {6: {}}, _same(),
        fields={"prompt": "prompt", "image": "first_frame_image"}, fixed={"prompt_optimizer": True},
        text_aspects=("16:9",), image_prompt_required=True, description="MiniMax Video-01 (Hailuo): 6 s clips.",
    ),
    CatalogueModel(
        "replicate:veo-3", "google/veo-3", frozenset({T2V, I2V}), {8: {}},
        {"16:9": {"aspect_ratio": "16:9"}, "9:16": {"aspect_ratio": "9:16"}},
        fields={"prompt": "prompt", "negative_prompt": "negative_prompt", "image": "image", "seed": "seed"},
        fixed={"resolution": "720p"}, image_prompt_required=True,
        description="Google Veo 3 via Replicate: 8 s with sound.",
    ),
    CatalogueModel(
        "replicate:seedance-2.0", "bytedance/seedance-2.0", frozenset({T2V, REFS}), _each("duration", range(4, 16)),
        {a: {"aspect_ratio": a} for a in ALL_ASPECTS},
        fields={"prompt": "prompt", "seed": "seed"}, fixed={"resolution": "720p", "generate_audio": False},
        references=ReferenceSpec("reference_images", 9, "[Image{n}]", audio_field="reference_audios",
                                 audio_tag="[Audio{n}]", max_audio=3),
        max_seed=2_147_483_647, deadline_seconds=1800,
        description="ByteDance Seedance 2.0 via Replicate: text or a cast (reference photos, voice) to video, 4-15 s.",
    ),
    # --- Luma -----------------------------------------------------------------------------------------------------
    CatalogueModel(
        "luma:ray-2", "ray-2", _LUMA_CAPS, _LUMA_DURATIONS, _LUMA_ASPECTS, fields={"prompt": "prompt"},
        deadline_seconds=1200, min_prompt_chars=3,
        description="Luma Ray 2: text or image to video, loops, native extend and interpolation; 5 or 9 s.",
    ),
    CatalogueModel(
        "luma:ray-flash-2", "ray-flash-2", _LUMA_CAPS, _LUMA_DURATIONS, _LUMA_ASPECTS, fields={"prompt": "prompt"},
        deadline_seconds=900, min_prompt_chars=3, description="Luma Ray Flash 2: the faster, cheaper Ray 2.",
    ),
    # --- fal (model ids are fal endpoint ids) -------------------------------------------------------------------
    CatalogueModel(
        "fal:pika-2.2", "fal-ai/pika/v2.2/{mode}", frozenset({T2V, I2V}), _each("duration", (5, 10)), _FAL_THREE,
        fields=_FAL_FIELDS, fixed={"resolution": "720p"}, deadline_seconds=1200, image_prompt_required=True,
        description="Pika 2.2 via fal: text or image to video at 720p, 5 or 10 s.",
    ),
    CatalogueModel(
        "fal:pikaframes", "fal-ai/pika/v2.2/pikaframes", frozenset({INTERP}),
        {s: {"transitions": [{"duration": s}]} for s in range(5, 11)}, _same(),
        fields={"prompt": "prompt", "negative_prompt": "negative_prompt", "image": "image_urls", "seed": "seed"},
        fixed={"resolution": "720p"}, deadline_seconds=1200,
        description="Pikaframes (Pika 2.2 via fal): a clip from the first frame to the last, 5-10 s.",
    ),
    CatalogueModel(
        "fal:kling-2.1", "fal-ai/kling-video/v2.1/master/{mode}", frozenset({T2V, I2V}),
        {s: {"duration": str(s)} for s in (5, 10)}, _FAL_THREE, deadline_seconds=1800, image_prompt_required=True,
        fields={k: v for k, v in _FAL_FIELDS.items() if k != "seed"},  # Kling 2.1 Master on fal has no seed
        description="Kling 2.1 Master via fal: text or image to video, 5 or 10 s.",
    ),
    CatalogueModel(
        "fal:hailuo-02", "fal-ai/minimax/hailuo-02/standard/{mode}", frozenset({T2V, I2V}),
        {s: {"duration": str(s)} for s in (6, 10)}, _same(), fields={"prompt": "prompt", "image": "image_url"},
        fixed={"prompt_optimizer": True}, text_aspects=("16:9",), deadline_seconds=1200, image_prompt_required=True,
        description="MiniMax Hailuo 02 via fal: text or image to video at 768p, 6 or 10 s.",
    ),
    CatalogueModel(
        "fal:kling-3", "fal-ai/kling-video/v3/standard/{mode}", frozenset({T2V, I2V, SOUND}),
        {s: {"duration": str(s)} for s in (5, 10)}, _FAL_THREE, deadline_seconds=1800,
        fields={"prompt": "prompt", "negative_prompt": "negative_prompt", "image": "start_image_url",
                "audio": "generate_audio"},
        description="Kling 3.0 Standard via fal: text or image to video, 5 or 10 s; sound on request.",
    ),
)
# fmt: on

CATALOGUE: dict[str, CatalogueModel] = {m.name: m for m in _MODELS}

# Models that are gone for good: asked for by name, they are refused with the note (and `videobot models` lists
# them as retired) instead of "unknown model".
SORA_NOTE = (
    "the Sora API was shut down on 2026-09-24 (the openai SDK marks every videos.* call deprecated with that "
    "date), so videobot does not offer it"
)
RETIRED: dict[str, str] = {"openai:sora-2": SORA_NOTE, "openai:sora-2-pro": SORA_NOTE}

# Names users know: every Replicate entry also answers to its Replicate ``owner/name``
# ("replicate:stability-ai/stable-video-diffusion" is "replicate:stable-video-diffusion").
ALIASES: dict[str, str] = {f"replicate:{m.model_id}".lower(): m.name for m in _MODELS if m.provider == "replicate"}
ALIASES |= {"fal:kling": "fal:kling-2.1", "fal:pika": "fal:pika-2.2"}  # the family names (issue 10's own example)


def canonical_name(name: str) -> str:
    """The catalogue name for a name as typed (trimmed, lower case, aliases resolved)."""
    key = name.strip().lower()
    return ALIASES.get(key, key)


def models_for(provider: str) -> list[CatalogueModel]:
    """The catalogue entries of one provider, in catalogue order."""
    return [m for m in _MODELS if m.provider == provider]


def lookup(name: str, models: Mapping[str, CatalogueModel] | None = None) -> CatalogueModel:
    """The entry for a ``provider:model`` name, or InvalidOption."""
    table = models if models is not None else CATALOGUE
    entry = table.get(name) or table.get(canonical_name(name))
    if entry is None:
        raise InvalidOption(f"Unknown model {name[:60]!r}.")
    return entry
