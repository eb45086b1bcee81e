"""The pictures behind a storyboard preview, drawn with Pillow (no font file needed).

The background is a soft colour field with blurred light blobs, its colours taken from a hash of the
prompt and seed (the same request always looks the same).  The card is a transparent layer with the
prompt word-wrapped and sized to fit, a caption (style, camera move) and a visible label saying this
is an offline preview.  Pillow's built-in font only covers ASCII, so text is folded to ASCII first
(accents dropped) and a prompt in another script gets an honest placeholder instead of boxes.
"""

from __future__ import annotations

import colorsys
import hashlib
import random
import unicodedata
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFilter, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
LABEL = "PREVIEW RENDER · OFFLINE"
_PUNCTUATION = {"—": "-", "–": "-", "‐": "-", "„": '"', "«": '"', "»": '"', "\u00a0": " "}


@lru_cache(maxsize=16)
def font(size: int) -> Font:
    """Pillow's bundled font at ``size`` pixels."""
    return ImageFont.load_default(size=size)


def palette(prompt: str, seed: int) -> list[tuple[int, int, int]]:
    """Three harmonious, fairly dark colours derived from the prompt and seed."""
    digest = hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest()
    base = digest[0] / 255
    colours = []
    for index, offset in enumerate((0.0, 0.08 + digest[1] / 255 * 0.12, 0.45 + digest[2] / 255 * 0.2)):
        hue = (base + offset) % 1.0
        saturation = 0.55 + digest[3 + index] / 255 * 0.35
        value = 0.35 + digest[6 + index] / 255 * 0.3
        r, g, b = colorsys.hsv_to_rgb(hue, saturation, value)
        colours.append((int(r * 255), int(g * 255), int(b * 255)))
    return colours


def background(size: tuple[int, int], prompt: str, seed: int) -> Image.Image:
    """A gradient with soft blobs (texture the camera move can be seen against)."""
    width, height = size
    c0, c1, c2 = palette(prompt, seed)
    grid = Image.new("RGB", (3, 3))
    grid.putdata([c0, c1, c0, c1, c2, c1, c0, c1, c2])
    image = grid.resize(size, Image.Resampling.BICUBIC)
    rng = random.Random(f"background:{seed}:{prompt}")
    small = (max(1, width // 4), max(1, height // 4))  # draw and blur at quarter size: same look, 16x cheaper
    layer = Image.new("RGBA", small, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(18):
        radius = rng.uniform(0.03, 0.12) * min(small)
        x, y = rng.uniform(0, small[0]), rng.uniform(0, small[1])
        tint = rng.choice([c1, c2, (255, 255, 255)])
        alpha = rng.randint(40, 110)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(*tint, alpha))
    layer = layer.filter(ImageFilter.GaussianBlur(radius=min(small) * 0.012 + 1))
    image.paste(layer.resize(size, Image.Resampling.BICUBIC), mask=layer.resize(size).getchannel("A"))
    return image


def fold_ascii(text: str) -> str:
    """The text in the characters the built-in font can draw (accents dropped, others removed)."""
    text = "".join(_PUNCTUATION.get(ch, ch) for ch in text)
    folded = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in folded if 32 <= ord(ch) < 127 or ch in "…·“”‘’")
    return " ".join(kept.split())


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def printable_title(text: str) -> str:
    """The title to draw, or a placeholder when most of it cannot be drawn with the built-in font."""
    folded = fold_ascii(text)
    if not folded or _letters(folded) < 0.6 * max(1, _letters(text)):
        return "(the prompt is in a script this offline preview cannot draw)"
    return folded


def wrap(text: str, face: Font, max_width: float) -> list[str]:
    """Greedy word wrap; words wider than a line are split."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while face.getlength(word) > max_width and len(word) > 1:
            cut = _longest_fit(word, face, max_width)
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut] + "-")
            word = word[cut:]
        candidate = f"{current} {word}".strip()
        if face.getlength(candidate) <= max_width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _longest_fit(word: str, face: Font, max_width: float) -> int:
    """How many letters of ``word`` fit on a line with a hyphen (at least 1).  A binary search: a user's
    1000-letter word must not cost a million text measurements."""
    low, high = 1, len(word) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if face.getlength(word[:middle] + "-") <= max_width:
            low = middle
        else:
            high = middle - 1
    return low


def fit_title(text: str, box: tuple[int, int], largest: int, smallest: int) -> tuple[Font, list[str], int]:
    """The largest font size at which ``text`` wraps into ``box``; truncated with … at the smallest."""
    for size in range(largest, smallest - 1, -2):
        face = font(size)
        lines = wrap(text, face, box[0])
        line_height = int(size * 1.25)
        if len(lines) * line_height <= box[1]:
            return face, lines, line_height
    face = font(smallest)
    line_height = int(smallest * 1.25)
    lines = wrap(text, face, box[0])
    keep = max(1, box[1] // line_height)
    if len(lines) > keep:
        lines = lines[:keep]
        last = lines[-1]
        while last and face.getlength(last + "…") > box[0]:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return face, lines, line_height


def card(size: tuple[int, int], title: str, caption: str) -> Image.Image:
    """The transparent text layer: label, title and caption on a dark rounded panel."""
    width, height = size
    unit = min(width, height)
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    text_box = (int(width * 0.76), int(height * 0.42))
    face, lines, line_height = fit_title(printable_title(title), text_box, int(unit * 0.085), int(unit * 0.032))
    label_face, caption_face = font(max(10, int(unit * 0.028))), font(max(10, int(unit * 0.03)))
    gap = int(unit * 0.03)
    caption = fold_ascii(caption)
    block_h = int(unit * 0.028) + gap + len(lines) * line_height + (gap + int(unit * 0.03) if caption else 0)
    widest = max([face.getlength(line) for line in lines] + [label_face.getlength(LABEL) + gap])
    pad = int(unit * 0.045)
    left, top = (width - widest) / 2 - pad, (height - block_h) / 2 - pad
    panel = (left, top, width - left, top + block_h + 2 * pad)
    draw.rounded_rectangle(panel, radius=int(unit * 0.03), fill=(0, 0, 0, 150))
    y = top + pad
    draw.text((width / 2, y), LABEL, font=label_face, fill=(255, 214, 102, 255), anchor="mt")
    y += int(unit * 0.028) + gap
    for line in lines:
        draw.text((width / 2, y), line, font=face, fill=(255, 255, 255, 255), anchor="mt")
        y += line_height
    if caption:
        draw.text((width / 2, y + gap), caption, font=caption_face, fill=(220, 220, 220, 255), anchor="mt")
    return image
