"""Video providers behind one small interface (see :mod:`bot.providers.base`)."""
