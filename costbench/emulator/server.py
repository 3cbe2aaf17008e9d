"""Run the emulator: in a background thread (tests, the runner) or in the foreground (the CLI)."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from costbench.emulator.app import Emulator
from costbench.emulator.config import EmulatorConfig, FaultConfig
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

    def set_faults(self, faults: FaultConfig | None = None, **settings: Any) -> None:
        """Replace the fault settings (a FaultConfig or its fields); no arguments turns faults off."""
        chosen = faults if faults is not None else FaultConfig(**settings)
        self.engine.configure(faults=chosen.model_dump())

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


class EmulatorProcess:
    """The emulator in a child process (its own interpreter, so it does not share the caller's GIL)."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.url = ""
        self._proc: Any = None

    def start(self) -> EmulatorProcess:
        """Start ``costbench emulator serve`` on a free loopback port and wait until it answers."""
        import socket
        import subprocess
        import sys

        import httpx2

        with socket.socket() as s:
            s.bind((self.config.host, 0))
            port = s.getsockname()[1]
        args = [sys.executable, "-m", "costbench", "emulator", "serve", "--host", self.config.host, "--port", str(port),
                "--seed", str(self.config.seed), "--latency-ms", str(self.config.latency_ms)]
        if self.config.catalog_dir is not None:
            args += ["--catalog", str(self.config.catalog_dir)]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"http://{self.config.host}:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self._proc.poll() is None:
            try:
                if httpx2.get(f"{self.url}/_emulator/health", timeout=1).status_code == 200:
                    return self
            except httpx2.TransportError:
                time.sleep(0.05)
        error = self._proc.stderr.read().decode(errors="replace")[-500:] if self._proc.poll() is not None else "timeout"
        self.stop()
        raise RuntimeError(f"the emulator process did not start: {error}")

    def stop(self) -> None:
        """Stop the child and wait for it."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except Exception:  # noqa: BLE001 - a stuck child is killed
                self._proc.kill()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
