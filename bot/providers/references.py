"""How a request's cast reaches a model: which photos go where, and the prompt in the model's own words.

Every reference model names its inputs in the prompt its own way (the sources are in
:data:`bot.providers.catalogue._MODELS`' notes and docs/cast.md): Replicate's Seedance 2.0 writes ``[Image1]``,
Kling O3 and the Seedance models behind Runway ``@Image1``.  Photos are numbered across the cast in the order the
members were asked for, each member's in the order they were uploaded; voices likewise.  The member's name in the
prompt (``@Mara`` or ``Mara``) becomes ``Mara (@Image1 @Image2)``; a member the prompt does not name is added as
"Featuring …", and each member's description follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Reference:
    """One cast member as a request sends it: photos in order (files named by their content hash), an optional
    voice sample, and the description added to the prompt."""

    name: str
    photos: tuple[Path, ...]
    voice: Path | None = None
    description: str = ""


@dataclass(frozen=True)
class ReferenceSpec:
    """What a model's provider calls its reference inputs and how its prompt names them."""

    field: str  # the provider input the photos go in, in order (Runway Seedance: promptImage without position)
    max_images: int
    image_tag: str  # how the prompt names photo n (1-based): "@Image{n}", "[Image{n}]"; "": plain names
    audio_field: str | None = None  # where voice samples go (None: the model takes none)
    audio_tag: str = ""
    max_audio: int = 0
    need_image: bool = False  # references only beside a start frame


def photos(references: tuple[Reference, ...]) -> list[Path]:
    """Every member's photos, in the order they are sent."""
    return [p for r in references for p in r.photos]


def voices(references: tuple[Reference, ...], spec: ReferenceSpec) -> list[Path]:
    """The voice samples sent (the first ``max_audio`` members that have one), in order."""
    if spec.audio_field is None:
        return []
    return [r.voice for r in references if r.voice is not None][: spec.max_audio]


def _mention(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w@])@?{re.escape(name)}(?!\w)", re.IGNORECASE)


def reference_prompt(prompt: str, references: tuple[Reference, ...], spec: ReferenceSpec) -> str:
    """``prompt`` with each member named in ``spec``'s syntax (see the module docstring); a model whose prompt
    names no inputs (``image_tag`` empty: the offline previews) gets the plain names."""
    if not spec.image_tag:
        return plain_prompt(prompt, references)
    text, extra, number, sent = prompt, [], 1, set(voices(references, spec))
    audio_number = 1
    for ref in references:
        sep = ", " if " " in spec.image_tag else " "  # "image 1, image 2" in words; "@Image1 @Image2" as tags
        tags = sep.join(spec.image_tag.format(n=number + i) for i in range(len(ref.photos)))
        number += len(ref.photos)
        label = f"{ref.name} ({tags})"
        pattern = _mention(ref.name)
        if pattern.search(text):
            text = pattern.sub(label.replace("\\", "\\\\"), text, count=1)
            text = pattern.sub(ref.name, text)
        else:
            extra.append(f"Featuring {label}.")
        if ref.description:
            extra.append(f"{ref.name}: {ref.description.rstrip('.')}.")
        if ref.voice is not None and ref.voice in sent:
            extra.append(f"{ref.name}'s voice: {spec.audio_tag.format(n=audio_number)}.")
            audio_number += 1
    return " ".join([text.strip(), *extra]).strip()


def plain_prompt(prompt: str, references: tuple[Reference, ...]) -> str:
    """``prompt`` with ``@Name`` written as the plain name (a model or preview that takes no tags)."""
    for ref in references:
        prompt = _mention(ref.name).sub(ref.name, prompt)
    return prompt


def names(references: tuple[Reference, ...]) -> str:
    """ "Mara", "Mara and Teo", "Mara, Teo and Ivo"."""
    parts = [r.name for r in references]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)
