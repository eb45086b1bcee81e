"""Loopback emulators of the Runway, Replicate and Luma APIs, faithful to what their SDKs speak.

In-process: ``EmulatorServer(VideoFactory(dir)).start()`` (or the ``emulator`` fixture of ``emulators.pytest_plugin``).
As a process: ``python -m emulators.providers serve --port 0`` (see ``emulators.providers.__main__``).
Push: tasks created with a completion URL are finished and called back by the emulator itself, signed as
the real services sign them (see ``emulators.providers._core``).
"""

from emulators.providers._core import Delivery, Fault, Script
from emulators.providers._media import VideoFactory
from emulators.providers.server import EmulatorServer

__all__ = ["Delivery", "EmulatorServer", "Fault", "Script", "VideoFactory"]
