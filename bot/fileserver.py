"""Moved to :mod:`bot.web.server`; this name stays for code written against it."""

from bot.web.server import KEY_FILE, FileServer, WebServer, load_key

__all__ = ["KEY_FILE", "FileServer", "WebServer", "load_key"]
