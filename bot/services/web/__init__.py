"""What the built-in web server shows (the server itself is :mod:`bot.web`).

- :mod:`~bot.services.web.gallery` — result pages and server galleries;
- :mod:`~bot.services.web.links` — signed links to results, inputs and galleries;
- :mod:`~bot.services.web.posters` — the poster frame beside each result.
"""
