"""What a media file contains, read from ``ffmpeg -i`` (there is no ffprobe in the wheel).

ffmpeg prints the input's header to stderr and exits.  Only the lines ffmpeg itself writes at a
fixed indentation are parsed (``  Duration:`` and ``  Stream #0:N``): metadata values are printed
deeper and cannot impersonate them.  The header's duration is the container's; ``exact=True`` on
:meth:`Media.probe` also counts the video packets with a stream-copy pass (no decoding, cheap).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import MediaError

_INPUT = re.compile(r"^Input #0, (?P<fmt>.+?), from '", re.M)
_DURATION = re.compile(r"^  Duration: (?:(?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d(?:\.\d+)?)|N/A)", re.M)
_STREAM = re.compile(r"^  Stream #0:\d+\S*: (?P<type>Video|Audio|Subtitle|Data|Attachment): (?P<rest>.*)$", re.M)
_SIZE = re.compile(r"^(\d{1,5})x(\d{1,5})\b")
_FPS = re.compile(r"^(\d+(?:\.\d+)?)(k?) (fps|tbr)$")
_RATE = re.compile(r"^(\d+) Hz$")
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees", re.I)
_PIX_FMT = re.compile(r"^([a-z0-9_]+)(?:\(.*\))?$")


@dataclass(frozen=True)
class MediaInfo:
    """A media file's essentials.  ``duration`` is 0.0 for still images; sizes are as displayed."""

    duration: float  # seconds
    width: int
    height: int
    codec: str  # video codec, e.g. "h264"
    pix_fmt: str | None
    fps: float | None
    has_audio: bool
    size_bytes: int
    format_name: str  # ffmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    frame_count: int | None = None  # video packets, when counted (probe(exact=True))
    profile: str | None = None  # e.g. "High"; stream copy needs matching encoders
    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: str | None = None  # "mono", "stereo", "5.1", ...
    rotation: float = 0.0  # degrees from the display matrix (width/height are already swapped for ±90)

    @property
    def is_h264_mp4(self) -> bool:
        """Whether it is already what we deliver (H.264, yuv420p, MP4 container)."""
        return self.codec == "h264" and self.pix_fmt == "yuv420p" and self.format_name.startswith("mov")


def split_top_level(text: str) -> list[str]:
    """Split ffmpeg's stream description on commas that are not inside brackets."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _rate(value: str, suffix: str) -> float:
    return float(value) * (1000 if suffix == "k" else 1)


@dataclass
class _Video:
    codec: str = ""
    profile: str | None = None
    pix_fmt: str | None = None
    width: int = 0
    height: int = 0
    fps: float | None = None


def _parse_video(rest: str) -> _Video:
    video = _Video()
    parts = split_top_level(rest)
    first = parts[0].split()
    video.codec = first[0] if first else ""
    profile = re.match(r"^\S+ \(([^)/]+)\)", parts[0])
    video.profile = profile.group(1) if profile else None
    tbr: float | None = None
    for index, part in enumerate(parts[1:], start=1):
        size = _SIZE.match(part)
        if size and not video.width:
            video.width, video.height = int(size.group(1)), int(size.group(2))
            continue
        rate = _FPS.match(part)
        if rate:
            if rate.group(3) == "fps":
                video.fps = _rate(rate.group(1), rate.group(2))
            else:
                tbr = _rate(rate.group(1), rate.group(2))
            continue
        pix = _PIX_FMT.match(part)
        if index == 1 and pix and not part[0].isdigit():
            video.pix_fmt = pix.group(1)
    if video.fps is None:
        video.fps = tbr
    return video


def parse_info(stderr: str, size_bytes: int) -> MediaInfo:
    """Build a MediaInfo from ``ffmpeg -i`` output; raise MediaError when there is no video stream."""
    fmt = _INPUT.search(stderr)
    if fmt is None:
        raise MediaError(detail="ffmpeg printed no input header:\n" + stderr[-1000:])
    duration = 0.0
    dur = _DURATION.search(stderr)
    if dur and dur.group("h") is not None:
        duration = int(dur.group("h")) * 3600 + int(dur.group("m")) * 60 + float(dur.group("s"))
    video: _Video | None = None
    audio_codec = channels = None
    sample_rate: int | None = None
    for stream in _STREAM.finditer(stderr):
        if stream.group("type") == "Video" and video is None:
            if "(attached pic)" in stream.group("rest"):  # cover art in an audio file is not a video
                continue
            video = _parse_video(stream.group("rest"))
        elif stream.group("type") == "Audio" and audio_codec is None:
            parts = split_top_level(stream.group("rest"))
            audio_codec = parts[0].split()[0] if parts and parts[0].split() else "unknown"
            for part in parts[1:]:
                rate = _RATE.match(part)
                if rate:
                    sample_rate = int(rate.group(1))
                elif channels is None and re.match(r"^(mono|stereo|\d(\.\d)?(\(\w+\))?|\d+ channels)$", part):
                    channels = part
    if video is None or not video.width:
        raise MediaError("That file has no video picture.", detail="no video stream in:\n" + stderr[-1000:])
    rotation = 0.0
    rot = _ROTATION.search(stderr)
    if rot:
        rotation = float(rot.group(1))
    width, height = video.width, video.height
    if round(abs(rotation)) % 180 == 90:
        width, height = height, width
    return MediaInfo(
        duration=duration,
        width=width,
        height=height,
        codec=video.codec,
        pix_fmt=video.pix_fmt,
        fps=video.fps,
        has_audio=audio_codec is not None,
        size_bytes=size_bytes,
        format_name=fmt.group("fmt"),
        profile=video.profile,
        audio_codec=audio_codec,
        sample_rate=sample_rate,
        channels=channels,
        rotation=rotation,
    )
