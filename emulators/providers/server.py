"""One aiohttp server on 127.0.0.1 serving the emulated APIs under path prefixes, plus fal over TLS.

    /runway/...                      RUNWAYML_BASE_URL = http://127.0.0.1:P/runway
    /replicate/...                   REPLICATE_BASE_URL = http://127.0.0.1:P/replicate
    /luma/dream-machine/v1/...       LUMAAI_BASE_URL = http://127.0.0.1:P/luma/dream-machine/v1
    /_control/...                    test knobs over HTTP (for a subprocess emulator; ``fal`` too)
    https://127.0.0.1:T/...          fal's queue (a second, TLS port): FAL_QUEUE_RUN_HOST = 127.0.0.1:T,
                                     SSL_CERT_FILE = the test CA (``server.fal_ca_file``)

Control API (JSON): ``POST /_control/{api}/next`` (a Script, or a list of them) queues scripts for
the next tasks; ``POST /_control/{api}/default`` sets the default script; ``POST /_control/{api}/rule``
``{"match": "...", "script": {...}}`` scripts tasks whose prompt contains ``match``;
``POST /_control/{api}/poll_faults`` and ``/create_faults`` (a list of Faults); ``GET /_control/{api}/stats``;
``POST /_control/reset``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web

from emulators.providers._core import ApiState, Fault, Script, reset_middleware
from emulators.providers._media import VideoFactory
from emulators.providers.fal import FalEmulator, TlsFiles
from emulators.providers.luma import LumaEmulator
from emulators.providers.replicate import ReplicateEmulator
from emulators.providers.runway import RunwayEmulator

HOST = "127.0.0.1"
DEFAULT_KEYS = {"runway": "key_runway_test_0123", "replicate": "r8_replicate_test_0123", "luma": "luma-test-0123"}
DEFAULT_KEYS["fal"] = "fal-key-id-test:fal-secret-0123"


class EmulatorServer:
    """Start with ``await server.start()``; knobs live on ``server.runway`` / ``.replicate`` / ``.luma`` / ``.fal``."""

    def __init__(self, videos: VideoFactory, *, keys: dict[str, str] | None = None, port: int = 0, fal_port: int = 0):
        keys = {**DEFAULT_KEYS, **(keys or {})}
        self.runway = RunwayEmulator(keys["runway"], videos)
        self.replicate = ReplicateEmulator(keys["replicate"], videos)
        self.luma = LumaEmulator(keys["luma"], videos)
        self.fal = FalEmulator(keys["fal"], videos)
        self.http_apis: dict[str, ApiState] = {"runway": self.runway, "replicate": self.replicate, "luma": self.luma}
        self.apis: dict[str, ApiState] = {**self.http_apis, "fal": self.fal}
        self._port = port
        self._fal_port = fal_port
        self._tls = TlsFiles(Path(tempfile.mkdtemp(prefix="videobot-fal-tls-")))
        self.fal_ca_file = self._tls.ca_file
        self._runner: web.AppRunner | None = None
        self._fal_runner: web.AppRunner | None = None
        self.port = 0
        self.fal_port = 0

    def app(self) -> web.Application:
        """The root application with the three APIs mounted and the control routes."""
        root = web.Application(middlewares=[reset_middleware], client_max_size=256 * 1024 * 1024)
        for name, api in self.http_apis.items():
            sub = web.Application(client_max_size=256 * 1024 * 1024)
            sub.add_routes(api.routes())
            api.prefix = f"/{name}"
            root.add_subapp(f"/{name}", sub)
        root.add_routes(
            [
                web.post("/_control/reset", self._reset),
                web.post("/_control/{api}/{knob}", self._control),
                web.get("/_control/{api}/stats", self._stats),
            ]
        )
        return root

    async def start(self) -> EmulatorServer:
        """Listen on 127.0.0.1 (an ephemeral port unless one was given)."""
        self._runner = web.AppRunner(self.app(), shutdown_timeout=0.1, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, HOST, self._port).start()
        self.port = self._runner.addresses[0][1]
        fal = web.Application(middlewares=[reset_middleware], client_max_size=256 * 1024 * 1024)
        fal.add_routes(self.fal.routes())
        self._fal_runner = web.AppRunner(fal, shutdown_timeout=0.1, access_log=None)
        await self._fal_runner.setup()
        await web.TCPSite(self._fal_runner, HOST, self._fal_port, ssl_context=self._tls.server_context()).start()
        self.fal_port = self._fal_runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Stop listening and drop open connections (and any completion call still to be sent)."""
        for api in self.apis.values():
            api.reset()
        for runner in (self._runner, self._fal_runner):
            if runner is not None:
                await runner.cleanup()
        self._runner = self._fal_runner = None
        shutil.rmtree(self.fal_ca_file.parent, ignore_errors=True)

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self.port}"

    @property
    def runway_url(self) -> str:
        """Base URL for ``RUNWAYML_BASE_URL``."""
        return f"{self.base}/runway"

    @property
    def replicate_url(self) -> str:
        """Base URL for ``REPLICATE_BASE_URL``."""
        return f"{self.base}/replicate"

    @property
    def luma_url(self) -> str:
        """Base URL for ``LUMAAI_BASE_URL`` (with Luma's ``/dream-machine/v1`` prefix)."""
        return f"{self.base}/luma/dream-machine/v1"

    @property
    def fal_host(self) -> str:
        """``127.0.0.1:PORT`` of the TLS listener, for ``FAL_QUEUE_RUN_HOST`` / ``FAL_RUN_HOST``."""
        return f"{HOST}:{self.fal_port}"

    @property
    def fal_jwks_url(self) -> str:
        """Where the fal emulator publishes its webhook signing key (``VIDEOBOT_FAL_JWKS_URL``)."""
        return f"https://{HOST}:{self.fal_port}/.well-known/jwks.json"

    @property
    def fal_url(self) -> str:
        """The queue base URL fal_client would build from ``FAL_QUEUE_RUN_HOST``."""
        return f"https://{self.fal_host}/"

    def env(self) -> dict[str, str]:
        """Environment variables pointing the SDKs (and the bot's settings) at this server.  ``SSL_CERT_FILE``
        makes httpx trust only the test CA, which is fine for a process that talks to emulators alone."""
        return {
            "RUNWAYML_BASE_URL": self.runway_url,
            "RUNWAYML_API_SECRET": self.runway.api_key,
            "REPLICATE_BASE_URL": self.replicate_url,
            "REPLICATE_API_TOKEN": self.replicate.api_key,
            "LUMAAI_BASE_URL": self.luma_url,
            "LUMAAI_API_KEY": self.luma.api_key,
            "FAL_KEY": self.fal.api_key,
            "FAL_QUEUE_RUN_HOST": self.fal_host,
            "FAL_RUN_HOST": self.fal_host,
            "SSL_CERT_FILE": str(self.fal_ca_file),
        }

    async def _reset(self, request: web.Request) -> web.Response:
        for api in self.apis.values():
            api.reset()
        return web.json_response({"ok": True})

    async def _control(self, request: web.Request) -> web.Response:
        api = self.apis.get(request.match_info["api"])
        if api is None:
            return web.json_response({"error": "unknown api"}, status=404)
        data: Any = await request.json()
        items = data if isinstance(data, list) else [data]
        knob = request.match_info["knob"]
        if knob == "next":
            api.script_next(*(Script.from_json(d) for d in items))
        elif knob == "default":
            api.default = Script.from_json(items[0])
        elif knob == "rule":
            api.rule(str(data["match"]), Script.from_json(data["script"]))
        elif knob in ("poll_faults", "create_faults"):
            getattr(api, knob).extend(Fault.from_json(d) for d in items)
        else:
            return web.json_response({"error": f"unknown knob {knob}"}, status=404)
        return web.json_response({"ok": True})

    async def _stats(self, request: web.Request) -> web.Response:
        api = self.apis.get(request.match_info["api"])
        if api is None:
            return web.json_response({"error": "unknown api"}, status=404)
        tasks = {
            t.id: {
                "phase": t.phase()[0],
                "polls": t.polls,
                "endpoint": t.endpoint,
                "finished_at": t.extra.get("finished_at"),
            }
            for t in api.tasks.values()
        }
        calls = [
            {"task_id": d.task_id, "status": d.status, "sent_at": d.sent_at, "tampered": d.tampered}
            for d in api.deliveries
        ]
        return web.json_response(
            {
                "creates": dict(api.creates),
                "create_count": api.create_count,
                "uploads": api.uploads,
                "tasks": tasks,
                "deliveries": calls,
            }
        )


def default_cache_dir() -> Path:
    """Where a standalone emulator keeps its clips."""
    return Path(tempfile.gettempdir()) / "videobot-emulator-clips"
