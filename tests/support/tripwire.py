"""A named-pipe tripwire shared by the input-safety suites: proof that a file was never opened."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def fifo_tripwire(path: Path) -> Iterator[threading.Event]:
    """A FIFO at ``path``; the event is set if anyone opens it for reading."""
    os.mkfifo(path)
    opened, released = threading.Event(), threading.Event()

    def writer() -> None:
        fd = os.open(path, os.O_WRONLY)  # blocks until a reader appears
        if not released.is_set():
            opened.set()
        os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        yield opened
    finally:
        released.set()
        if thread.is_alive():  # nobody read it: unblock the writer ourselves
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            thread.join(5)
            os.close(fd)
