"""Pictures of what the bot sends to Discord, drawn from its payloads (for the README and docs/pictures/).

Nothing here is Discord's client: each page is our own HTML and CSS in a dark theme like Discord's (no
Discord assets or fonts; the system's sans-serif and emoji fonts), filled only from a payload the bot sent
and the media it attached, then photographed by a headless Chromium (the system's, through Playwright).

* :func:`card_page` — a Components V2 message (flag ``1 << 15``): its container (accent colour), text displays
  (the markdown the card uses: ``###`` headings, ``**bold**``, ``-#`` small print, ``<@id>`` mentions),
  media gallery (an image per item: a frame, or a clip's poster with a play mark), separators and buttons.
* :func:`menu_page` — the message commands (type 3) of the registration as the right-click → Apps menu.
* :func:`picker_page` — one slash command in one locale as the command picker lists it: its localized name
  and description, then each option's (and one option's localized choices).
* :func:`shoot` — a page to a PNG of its ``#shot`` element, at most :data:`MAX_BYTES` (fewer colours if needed).

Component types and fields follow Discord's documentation of Components V2 (discord.com/developers/docs/
components/reference, read 2026-12-06) and the OpenAPI description the emulator checks payloads against.
"""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from typing import Any

from PIL import Image

V2 = 1 << 15
MAX_BYTES = 150_000
WIDTH = 620  # the viewport's width: a chat column about as wide as Discord's on a laptop
FONT = "'DejaVu Sans', 'Liberation Sans', sans-serif, 'Noto Color Emoji'"
Payload = dict[str, Any]

# button styles (Discord's ButtonStyle): primary, secondary, success, danger, link
BUTTON_COLOURS = {1: "#5865f2", 2: "#4e5058", 3: "#248046", 4: "#da373c", 5: "#4e5058"}

CSS = f"""
* {{ box-sizing: border-box; }}
body {{ margin: 0; background: #313338; color: #dbdee1; font: 15px/1.375 {FONT}; }}
#shot {{ padding: 14px 16px 16px; width: {WIDTH}px; }}
.msg {{ display: flex; gap: 14px; }}
.avatar {{ flex: none; width: 40px; height: 40px; border-radius: 50%; display: grid; place-items: center;
  font-weight: bold; color: #fff; font-size: 17px; }}
.body {{ flex: 1; min-width: 0; }}
.who {{ font-weight: 600; color: #f2f3f5; }}
.badge {{ background: #5865f2; color: #fff; font-size: 10px; font-weight: bold; border-radius: 3px;
  padding: 1px 4px; margin-left: 4px; vertical-align: 2px; }}
.container {{ margin-top: 4px; background: #2b2d31; border-radius: 8px; border-left: 4px solid; padding: 12px 14px;
  display: flex; flex-direction: column; gap: 8px; }}
.text h3 {{ margin: 0 0 2px; font-size: 18px; color: #f2f3f5; }}
.text p {{ margin: 0; }}
.text small {{ display: block; color: #949ba4; font-size: 12px; }}
.mention {{ background: rgba(88, 101, 242, .3); color: #c9cdfb; border-radius: 3px; padding: 0 2px; }}
.gallery {{ display: grid; grid-template-columns: 2fr 1fr; grid-template-rows: 1fr 1fr; gap: 4px;
  border-radius: 8px; overflow: hidden; height: 200px; }}
.gallery figure {{ margin: 0; position: relative; background: #1e1f22; }}
.gallery figure:first-child {{ grid-row: 1 / span 2; }}
.gallery.one {{ grid-template-columns: 1fr; grid-template-rows: 1fr; }}
.gallery img {{ width: 100%; height: 100%; object-fit: cover; display: block; }}
.play {{ position: absolute; left: 50%; top: 50%; width: 48px; height: 48px; margin: -24px 0 0 -24px;
  border-radius: 50%; background: rgba(0, 0, 0, .6); }}
.play::after {{ content: ''; position: absolute; left: 19px; top: 14px; border: 10px solid transparent;
  border-left: 15px solid #fff; border-right: 0; }}
.gallery figcaption {{ position: absolute; left: 6px; bottom: 6px; background: rgba(0, 0, 0, .6); color: #fff;
  font-size: 11px; border-radius: 3px; padding: 1px 5px; }}
hr {{ border: 0; border-top: 1px solid #3f4147; margin: 2px 0; width: 100%; }}
.row {{ display: flex; flex-wrap: wrap; gap: 8px; }}
.button {{ color: #fff; border-radius: 4px; padding: 4px 12px; font-size: 14px; font-weight: 500; min-height: 32px;
  display: inline-flex; align-items: center; gap: 6px; }}
.attachment {{ margin-top: 6px; max-width: 320px; border-radius: 8px; display: block; }}
.menu {{ position: absolute; background: #111214; border-radius: 4px; padding: 6px 8px; width: 220px;
  box-shadow: 0 8px 16px rgba(0, 0, 0, .5); font-size: 14px; }}
.menu div {{ padding: 7px 8px; border-radius: 2px; color: #b5bac1; display: flex; justify-content: space-between; }}
.menu .on {{ background: #5865f2; color: #fff; }}
.menu .head {{ color: #949ba4; font-size: 11px; font-weight: bold; text-transform: uppercase; padding-bottom: 3px; }}
.stage {{ position: relative; }}
.picker {{ background: #2b2d31; border-radius: 8px; padding: 8px 0; }}
.picker .head {{ color: #949ba4; font-size: 12px; font-weight: bold; text-transform: uppercase;
  padding: 4px 14px 6px; }}
.opt {{ display: flex; gap: 10px; padding: 5px 14px; align-items: baseline; }}
.opt.on {{ background: #404249; }}
.opt b {{ color: #f2f3f5; white-space: nowrap; }}
.opt span {{ color: #949ba4; font-size: 13px; }}
.req {{ color: #f23f43; }}
.choices {{ display: flex; flex-wrap: wrap; gap: 6px; padding: 2px 14px 6px 28px; }}
.choices i {{ font-style: normal; background: #1e1f22; border-radius: 10px; padding: 1px 9px; font-size: 13px; }}
.input {{ margin-top: 10px; background: #383a40; border-radius: 8px; padding: 11px 16px; color: #f2f3f5; }}
.input em {{ font-style: normal; background: #1e1f22; border-radius: 4px; padding: 1px 6px; margin-left: 6px; }}
"""


def page(body: str) -> str:
    """A whole HTML document around ``body`` (the part to photograph is ``#shot``)."""
    return f'<!doctype html><html><head><meta charset="utf-8"><style>{CSS}</style></head><body>{body}</body></html>'


def data_uri(image: bytes) -> str:
    """An image as a data: URI, so the page loads nothing from anywhere."""
    kind = "png" if image.startswith(b"\x89PNG") else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(image).decode()}"


def markdown(text: str, names: dict[str, str]) -> str:
    """The markdown the bot's text displays use, as HTML: ``### `` headings, ``-# `` small print, ``**bold**``,
    ``<@id>`` mentions (shown as ``@name``, as Discord does); everything else is escaped text."""
    lines = []
    for raw in text.splitlines():
        line = html.escape(raw, quote=False)
        line = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", line)
        line = re.sub(r"&lt;@!?(\d+)&gt;", lambda m: f'<span class="mention">@{names.get(m[1], "member")}</span>', line)
        if line.startswith("### "):
            lines.append(f"<h3>{line[4:]}</h3>")
        elif line.startswith("-# "):
            lines.append(f"<small>{line[3:]}</small>")
        else:
            lines.append(f"<p>{line}</p>")
    return "".join(lines)


def attachment_name(url: str) -> str:
    """``attachment://videobot-1.mp4`` → ``videobot-1.mp4``."""
    return url.removeprefix("attachment://")


def gallery(items: list[Payload], images: dict[str, bytes]) -> str:
    """A media gallery (type 12): each item's image (a clip drawn as its poster with a play mark)."""
    figures = []
    for item in items:
        name = attachment_name(item["media"]["url"])
        picture = images.get(name)
        img = f'<img src="{data_uri(picture)}" alt="">' if picture else ""
        mark = '<span class="play"></span>' if name.endswith(".mp4") else ""
        caption = (
            f"<figcaption>{html.escape(item.get('description') or '')}</figcaption>" if item.get("description") else ""
        )
        figures.append(f'<figure data-name="{html.escape(name)}">{img}{mark}{caption}</figure>')
    one = " one" if len(items) == 1 else ""
    return f'<div class="gallery{one}">{"".join(figures)}</div>'


def button(data: Payload) -> str:
    """A button (type 2): its emoji and label in its style's colour."""
    emoji = (data.get("emoji") or {}).get("name") or ""
    colour = BUTTON_COLOURS.get(int(data.get("style", 2)), "#4e5058")
    label = html.escape(data.get("label") or "")
    return f'<span class="button" style="background:{colour}">{html.escape(emoji)}<span>{label}</span></span>'


def components(items: list[Payload], images: dict[str, bytes], names: dict[str, str]) -> str:
    """The components of a V2 message, in order (the types a result card uses)."""
    out = []
    for item in items:
        kind = item.get("type")
        if kind == 17:  # container
            accent = f"#{int(item.get('accent_color') or 0x4E5058):06x}"
            inner = components(item.get("components") or [], images, names)
            out.append(f'<div class="container" style="border-left-color:{accent}">{inner}</div>')
        elif kind == 10:  # text display
            out.append(f'<div class="text">{markdown(str(item.get("content") or ""), names)}</div>')
        elif kind == 12:  # media gallery
            out.append(gallery(item.get("items") or [], images))
        elif kind == 14:  # separator
            out.append("<hr>" if item.get("divider", True) else "<div></div>")
        elif kind == 1:  # action row
            out.append(f'<div class="row">{"".join(button(b) for b in item.get("components") or [])}</div>')
        elif kind == 9:  # section: its texts (an accessory button on the right is drawn as a button)
            texts = components(item.get("components") or [], images, names)
            accessory = item.get("accessory") or {}
            side = button(accessory) if accessory.get("type") == 2 else ""
            out.append(f'<div class="row" style="justify-content:space-between">{texts}{side}</div>')
        else:
            raise ValueError(f"a component type the picture cannot draw: {kind}")
    return "".join(out)


def author(name: str, colour: str, *, app: bool) -> tuple[str, str]:
    """(avatar, name line) of a message's author: a coloured disc with an initial, and the name."""
    badge = '<span class="badge">APP</span>' if app else ""
    avatar = f'<div class="avatar" style="background:{colour}">{html.escape(name[:1].upper())}</div>'
    return avatar, f'<div><span class="who">{html.escape(name)}</span>{badge}</div>'


def card_page(body: Payload, images: dict[str, bytes], *, bot_name: str, names: dict[str, str]) -> str:
    """A V2 message body (what the bot POSTed) as the channel shows it; ``images`` by attachment filename."""
    if not int(body.get("flags") or 0) & V2:
        raise ValueError("not a Components V2 message (flag 1 << 15)")
    avatar, who = author(bot_name, "#5865f2", app=True)
    inner = components(body.get("components") or [], images, names)
    return page(f'<div id="shot"><div class="msg">{avatar}<div class="body">{who}{inner}</div></div></div>')


def localized(item: Payload, key: str, locale: str) -> str:
    """``item``'s ``name`` or ``description`` in ``locale`` (the English value when it has none)."""
    return str((item.get(f"{key}_localizations") or {}).get(locale) or item.get(key) or "")


def menu_page(
    commands: list[Payload], message: Payload, image: bytes | None, *, app_name: str, locale: str = "en-US"
) -> str:
    """A member's message (``message``: author name and content; ``image`` attached) with the right-click
    menu open on Apps, listing the message commands (type 3) of ``commands`` in the client's ``locale``."""
    menus = [c for c in commands if c.get("type") == 3]
    if not menus:
        raise ValueError("no message commands (type 3) in the registration")
    avatar, who = author(str(message["author"]), "#3ba55c", app=False)
    picture = f'<img class="attachment" src="{data_uri(image)}" alt="">' if image else ""
    text = f"<p>{html.escape(str(message.get('content') or ''))}</p>"
    entries = "".join(f'<div class="item">{html.escape(localized(c, "name", locale))}</div>' for c in menus)
    top = 118 if image else 40
    menu = f'<div class="menu" style="left:200px;top:{top}px"><div class="on">Apps<span>›</span></div></div>'
    head = f'<div class="head">{html.escape(app_name)}</div>'
    apps = f'<div class="menu" style="left:412px;top:{top}px">{head}{entries}</div>'
    height = max(top + 60 + 34 * len(menus), 280 if image else 120)
    message_html = f'<div class="msg">{avatar}<div class="body">{who}{text}{picture}</div></div>'
    return page(f'<div id="shot"><div class="stage" style="height:{height}px">{message_html}{menu}{apps}</div></div>')


def picker_page(command: Payload, locale: str, *, app_name: str, choices_of: str | None = None) -> str:
    """Slash command ``command`` in ``locale`` as the picker lists it: its name and description, each option's
    name and description (required ones marked), and the localized choices of option ``choices_of``."""
    name = localized(command, "name", locale)
    rows = [f'<div class="head">{html.escape(app_name)}</div>']
    about = html.escape(localized(command, "description", locale))
    rows.append(f'<div class="opt on"><b>/{html.escape(name)}</b><span>{about}</span></div>')
    for option in command.get("options") or []:
        mark = '<span class="req">*</span>' if option.get("required") else ""
        label, about = localized(option, "name", locale), localized(option, "description", locale)
        rows.append(f'<div class="opt"><b>{html.escape(label)}{mark}</b><span>{html.escape(about)}</span></div>')
        if option.get("name") == choices_of:
            chips = "".join(f"<i>{html.escape(localized(c, 'name', locale))}</i>" for c in option.get("choices") or [])
            rows.append(f'<div class="choices">{chips}</div>')
    typed = f'<div class="input">/{html.escape(name)}</div>'
    return page(f'<div id="shot"><div class="picker">{"".join(rows)}</div>{typed}</div>')


def fit(png: bytes, limit: int = MAX_BYTES) -> bytes:
    """``png`` as it is when it is at most ``limit`` bytes, else with a palette of fewer colours until it fits."""
    if len(png) <= limit:
        return png
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    for colours in (256, 128, 64):
        buf = io.BytesIO()
        picture.quantize(colours, method=Image.Quantize.MEDIANCUT).save(buf, format="PNG", optimize=True)
        if buf.tell() <= limit:
            return buf.getvalue()
    raise ValueError(f"the picture stays over {limit} bytes")


async def shoot(browser: Any, document: str, dest: Path | None = None) -> bytes:
    """Photograph ``document``'s ``#shot`` in ``browser`` (a Playwright Chromium); written to ``dest`` if given."""
    context = await browser.new_context(viewport={"width": WIDTH + 40, "height": 400}, device_scale_factor=1)
    try:
        view = await context.new_page()
        await view.set_content(document, wait_until="load")
        png = fit(await view.locator("#shot").screenshot())
    finally:
        await context.close()
    if dest is not None:
        dest.write_bytes(png)
    return png
