"""Prompt parts, their clean-up, and the text a provider receives.

A user gives the parts (subject and action, setting, camera move, style, lighting, details);
:func:`build_prompt` joins them into one prompt in a fixed order, expanding the camera and
style keys into the phrases video models respond to.  All user text is cleaned first: Unicode
normalised, zero-width and control characters removed, white space collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from bot.errors import InvalidOption, InvalidPrompt
from bot.i18n import said

CAMERA_MOVES: dict[str, str] = {
    "static": "static shot, locked-off camera",
    "pan_left": "camera pans left",
    "pan_right": "camera pans right",
    "dolly_in": "dolly in, camera moves slowly toward the subject",
    "dolly_out": "dolly out, camera pulls slowly back from the subject",
    "tracking": "tracking shot, following subject",
    "crane": "crane shot, camera rises smoothly",
    "handheld": "handheld camera, subtle natural shake",
    "drone": "aerial drone shot, rising over the scene",
    "orbit": "orbit shot, camera circles the subject",
}

STYLES: dict[str, str] = {
    "cinematic": "cinematic, film grain, shallow depth of field",
    "documentary": "documentary style, natural light, observational",
    "commercial": "commercial, polished, high-end product look",
    "artistic": "artistic, painterly, expressive colour",
    "anime": "anime style, cel shaded, vibrant",
    "realistic": "photorealistic, true-to-life detail",
}

ASPECTS: tuple[str, ...] = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9")
MAX_PROMPT_CHARS = 1000
MAX_PART_CHARS = 1000
MAX_SEED = 2**32 - 1
DEFAULT_DURATION = 5
DEFAULT_ASPECT = "16:9"
# What a model that needs a prompt for image to video (ModelInfo.image_prompt_required) is sent when the member
# gave none: a neutral motion line, followed by the chosen camera move and style as any prompt is assembled.
NEUTRAL_MOTION = "Subtle natural motion"

_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\u00ad]")
_SPACE = re.compile(r"\s+")


def clean_text(value: str | None) -> str:
    """Normalise user text: NFC, no zero-width/control characters, single spaces."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", value)
    text = _INVISIBLE.sub("", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return _SPACE.sub(" ", text).strip()


def _has_words(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


@dataclass(frozen=True)
class PromptSpec:
    """Everything a user can say about one clip.  Build it with :meth:`create` to get it cleaned."""

    subject: str  # subject and action, free text
    setting: str = ""
    camera: str | None = None
    style: str | None = None
    lighting: str = ""
    details: str = ""
    negative: str = ""
    duration: int | None = None
    aspect: str | None = None
    seed: int | None = None
    model: str | None = None
    motion_prompt: bool = False  # no subject, and the model needs a prompt: NEUTRAL_MOTION stands in for it
    # sound with the picture: None = the bot's default (VIDEOBOT_AUDIO_DEFAULT, where the model can make sound);
    # once the model is chosen it is True (asked of the model) or False (silent, or a model without sound)
    audio: bool | None = None

    @classmethod
    def create(
        cls,
        subject: str | None,
        *,
        setting: str | None = None,
        camera: str | None = None,
        style: str | None = None,
        lighting: str | None = None,
        details: str | None = None,
        negative: str | None = None,
        duration: int | None = None,
        aspect: str | None = None,
        seed: int | None = None,
        model: str | None = None,
        allow_empty_subject: bool = False,
        audio: bool | None = None,
    ) -> PromptSpec:
        """Clean and check every part; raise InvalidPrompt/InvalidOption with a clear message."""
        spec = cls(
            subject=clean_text(subject),
            setting=clean_text(setting),
            camera=_choice("camera", camera, CAMERA_MOVES),
            style=_choice("style", style, STYLES),
            lighting=clean_text(lighting),
            details=clean_text(details),
            negative=clean_text(negative),
            duration=_duration(duration),
            aspect=_aspect(aspect),
            seed=_seed(seed),
            model=clean_text(model) or None,
            audio=audio if audio is None else bool(audio),
        )
        spec.check(allow_empty_subject=allow_empty_subject)
        return spec

    def check(self, *, allow_empty_subject: bool = False) -> None:
        """Validate the text parts."""
        if not self.subject and not allow_empty_subject:
            raise said(InvalidPrompt, "prompt.empty")
        if self.subject and not _has_words(self.subject):
            raise said(InvalidPrompt, "prompt.no_words")
        for name, part in (
            ("prompt", self.subject),
            ("setting", self.setting),
            ("lighting", self.lighting),
            ("details", self.details),
            ("negative", self.negative),
        ):
            if len(part) > MAX_PART_CHARS:
                raise said(InvalidPrompt, f"prompt.too_long.{name}", length=len(part), limit=MAX_PART_CHARS)
        total = len(self.text())
        if total > MAX_PROMPT_CHARS:
            raise said(InvalidPrompt, "prompt.all_too_long", length=total, limit=MAX_PROMPT_CHARS)

    def text(self) -> str:
        """The assembled prompt a provider receives (the neutral motion prompt when it stands in for the subject)."""
        parts = [self.subject or (NEUTRAL_MOTION if self.motion_prompt else "")]
        if self.setting:
            parts.append(self.setting)
        if self.camera:
            parts.append(CAMERA_MOVES[self.camera])
        if self.style:
            parts.append(STYLES[self.style])
        if self.lighting:
            parts.append(f"{self.lighting} lighting" if "light" not in self.lighting.lower() else self.lighting)
        if self.details:
            parts.append(self.details)
        text = ", ".join(p.rstrip(" ,.") for p in parts if p)
        return text + "." if self.motion_prompt and not self.subject else text

    def with_motion_prompt(self, needed: bool) -> PromptSpec:
        """A copy that sends the neutral motion prompt when ``needed`` and there is no subject (else none)."""
        return replace(self, motion_prompt=needed and not self.subject)

    def with_seed(self, seed: int | None) -> PromptSpec:
        """A copy with another seed."""
        return replace(self, seed=_seed(seed))

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (stored with the job)."""
        out = {k: v for k, v in self.__dict__.items() if v is not None and v != "" and v is not False}
        if self.audio is False:  # "silent" is a choice the job keeps (a re-roll must not turn sound on)
            out["audio"] = False
        return out

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> PromptSpec:
        """Inverse of :meth:`to_dict` (no re-validation: stored specs were valid)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known.setdefault("subject", "")
        return cls(**known)  # type: ignore[arg-type]


def _choice(name: str, value: str | None, options: dict[str, str]) -> str | None:
    if value is None or not value.strip():
        return None
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in options:
        raise said(InvalidOption, f"option.unknown_{name}", value=repr(value.strip()[:40]), options=", ".join(options))
    return key


def _duration(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise said(InvalidOption, "option.duration_whole")
    if not 1 <= value <= 60:
        raise said(InvalidOption, "option.duration_range", value=value)
    return value


def _aspect(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    aspect = value.strip().replace("x", ":").replace("/", ":")
    if aspect not in ASPECTS:
        raise said(InvalidOption, "option.unknown_aspect", value=repr(value.strip()[:20]), options=", ".join(ASPECTS))
    return aspect


def _seed(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise said(InvalidOption, "option.seed_range", max=MAX_SEED)
    return value
