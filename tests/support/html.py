"""Reading the served HTML with the standard library's parser (no browser)."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """Collects meta tags, tags with their attributes, and the visible text."""

    def __init__(self, text: str):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append((tag, values))
        key = values.get("property") or values.get("name")
        if tag == "meta" and key and values.get("content") is not None:
            self.meta[key] = str(values["content"])

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text_parts.append(data.strip())

    @property
    def text(self) -> str:
        return " ".join(self.text_parts)

    def all(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        """Attributes of every ``tag`` whose attributes include ``wanted``."""
        return [a for t, a in self.tags if t == tag and all(a.get(k.rstrip("_")) == v for k, v in wanted.items())]

    def links(self) -> list[str]:
        return [str(a["href"]) for t, a in self.tags if t == "a" and a.get("href")]
