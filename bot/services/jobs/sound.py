"""A sound job's last step: the sound a provider made (alone: Runway's video_to_audio and sound_effect return no
picture) laid under the clip it was made for.  The clip's video stream is copied, never re-encoded; the sound is
cut or padded to the clip's exact length.  ``mix`` says what happens to a sound the clip already had: ``replace``
(the default) drops it, ``under`` keeps it, ducked, under the new one."""

from __future__ import annotations

import os
from pathlib import Path

from bot.errors import MediaError
from bot.media import Media
from bot.media.edits import lay, soundtrack
from storage import JobInputs

MIXES = ("replace", "under")


async def lay_sound(media: Media, inputs: JobInputs, sound: Path, dest: Path) -> Path:
    """``inputs.video`` with ``sound`` laid under it as ``inputs.mix`` says, written to ``dest``."""
    if not inputs.video or not Path(inputs.video).exists():
        raise MediaError("The clip this sound was made for is no longer stored.", detail=str(inputs.video))
    return await lay(media, Path(inputs.video), sound, dest, mix=inputs.mix)


async def keep_source_sound(media: Media, inputs: JobInputs, result: Path) -> None:
    """A remix keeps its source clip's sound (``inputs.audio``, kept aside) unless the model made its own: laid
    under the result, the picture copied.  Safe to run again after a restart (a result with sound is left)."""
    if not inputs.audio or not Path(inputs.audio).exists() or (await media.probe(result)).has_audio:
        return
    tmp = result.with_name(f"{result.stem}.with-sound.mp4")
    await soundtrack(media, result, Path(inputs.audio), tmp)
    os.replace(tmp, result)
