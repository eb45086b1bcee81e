"""Loopback emulators of the services videobot talks to, test equipment of their own (they import nothing
from ``bot``, ``cogs`` or ``storage``):

- :mod:`emulators.discord` — Discord's REST API and gateway as discord.py 2.x speaks them
  (``python -m emulators.discord --port N``);
- :mod:`emulators.providers` — the Runway, Replicate and Luma APIs as their official SDKs speak them
  (``python -m emulators.providers serve --port N``);
- :mod:`emulators.comfyui` — a ComfyUI server (upstream's routes and websocket messages, workflows executed with
  real ffmpeg) for the ``comfyui`` provider (``python -m emulators.comfyui serve --port N``).

Their pytest fixtures are in :mod:`emulators.pytest_plugin`, registered through the ``pytest11`` entry point.
"""
