"""The built-in web server: result pages, server galleries, and the signed file links behind them."""

from bot.web.server import FileServer, WebServer

__all__ = ["FileServer", "WebServer"]
