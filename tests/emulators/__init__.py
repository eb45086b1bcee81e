"""Loopback emulators of the Runway, Replicate and Luma APIs, faithful to what their SDKs speak.

In-process: ``EmulatorServer(VideoFactory(dir)).start()`` (see ``tests.emulators.fixtures``).
As a process: ``python -m tests.emulators serve --port 0`` (see ``tests.emulators.__main__``).
"""

from tests.emulators._core import Fault, Script
from tests.emulators._media import VideoFactory
from tests.emulators.server import EmulatorServer

__all__ = ["EmulatorServer", "Fault", "Script", "VideoFactory"]
