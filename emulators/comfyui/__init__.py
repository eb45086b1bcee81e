"""An emulated ComfyUI (upstream's routes and websocket messages; real ffmpeg outputs) for the comfyui provider's
tests: see :mod:`emulators.comfyui.server`."""

from emulators.comfyui.server import ComfyEmulator

__all__ = ["ComfyEmulator"]
