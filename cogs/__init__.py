"""The Discord extensions: each cog checks, defers, calls one service method and renders the result.

Every module's ``setup(bot)`` hands its cog the services it needs (``bot.app.service``, ``bot.app.quota``,
``bot.starter``, the reactions cog ``bot.actions``…); a cog never reaches through the bot for them.  Modules
starting with ``_`` are not loaded.
"""
