"""videobot: the core (settings, prompt, job service and worker, providers, media, delivery, CLI)."""

__version__ = "0.1.0"
