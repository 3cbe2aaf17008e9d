"""Run the emulator: in a background thread (tests, the runner) or in the foreground (the CLI)."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from costbench.emulator.app import Emulator
from costbench.emulator.config import EmulatorConfig
from costbench.emulator.engine import Engine
from costbench.emulator.ledger import Ledger


def _uvicorn_config(app: Emulator, config: EmulatorConfig, loop: str) -> uvicorn.Config:
    return uvicorn.Config(app, host=config.host, port=config.port, loop=loop, http="httptools", lifespan="off",
                          log_level="warning", access_log=False)


class EmulatorServer:
    """The emulator on loopback in a background thread: ``with EmulatorServer(cfg) as emu: emu.url``."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.engine = Engine(config or EmulatorConfig())
        self._server = uvicorn.Server(_uvicorn_config(Emulator(self.engine), self.engine.config, "asyncio"))
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def ledger(self) -> Ledger:
        """Every request received."""
        return self.engine.ledger

    def configure(self, **settings: Any) -> None:
        """Change latency_ms, faults, rate_limits, clock or seed while running."""
        self.engine.configure(**settings)

    def start(self) -> EmulatorServer:
        """Start serving; returns once the port is open."""
        self._thread = threading.Thread(target=self._server.run, name="costbench-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the emulator did not start (is the port in use?)")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{self.engine.config.host}:{port}"
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve_forever(config: EmulatorConfig) -> None:
    """Serve in the foreground until interrupted (the CLI)."""
    uvicorn.Server(_uvicorn_config(Emulator(Engine(config)), config, "uvloop")).run()
