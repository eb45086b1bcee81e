"""Media handling: ffmpeg operations on videos (:class:`Media`) and the intake of user images."""

from bot.media.ffmpeg import find_ffmpeg
from bot.media.fit import FitResult
from bot.media.images import ImageInfo, accept_image, normalize_image, validate_image
from bot.media.media import Media
from bot.media.ops import Frame
from bot.media.probe import MediaInfo

__all__ = [
    "FitResult",
    "Frame",
    "ImageInfo",
    "Media",
    "MediaInfo",
    "accept_image",
    "find_ffmpeg",
    "normalize_image",
    "validate_image",
]
