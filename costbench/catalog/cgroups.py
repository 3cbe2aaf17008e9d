"""Whole-tree limits for one sandboxed run: a fresh cgroup per run (v1 controllers or cgroup v2).

``pids`` bounds the number of processes and threads of the whole tree (a fork bomb stops there),
``memory`` bounds their memory together (many processes each under their own rlimit still cannot add
up), ``cpu`` gives the tree at most one core. A cgroup also lets the timeout find every process left,
whatever session or process group it moved to. Where no writable cgroup hierarchy exists (some
containers) the sandbox still runs, with per-process rlimits only, and :meth:`TreeLimits.describe` says so.
"""

from __future__ import annotations

import functools
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType

ROOT = Path("/sys/fs/cgroup")
_JOIN = 'while [ "$1" != "--" ]; do echo $$ > "$1" || exit 97; shift; done; shift; exec "$@"'


def _own_path(controller: str) -> str:
    """This process's cgroup path for a v1 ``controller`` (or v2 when ``controller`` is "")."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if (controller and controller in names.split(",")) or (not controller and names == ""):
            return path.lstrip("/")
    return ""


class TreeLimits:
    """A context manager: creates the cgroups, says how to join them, kills and removes them on exit."""

    def __init__(self, memory_mb: int, processes: int, enabled: bool = True) -> None:
        self.memory_mb, self.processes, self.enabled = memory_mb, processes, enabled
        self.dirs: list[Path] = []
        self.applied: list[str] = []

    def __enter__(self) -> TreeLimits:
        name = f"costbench-sandbox-{secrets.token_hex(6)}"
        if not self.enabled:
            return self
        if (ROOT / "pids" / "cgroup.procs").exists() or (ROOT / "memory" / "cgroup.procs").exists():
            self._v1(name)
        elif (ROOT / "cgroup.controllers").exists():
            self._v2(name)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.kill()
        for directory in self.dirs:
            for _ in range(50):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # EBUSY until the kernel has reaped the last process
                    time.sleep(0.02)

    def _v1(self, name: str) -> None:
        settings = {"pids": {"pids.max": str(self.processes)},
                    "memory": {"memory.limit_in_bytes": str(self.memory_mb * 2**20)},
                    "cpu": {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "100000"}}
        for controller, files in settings.items():
            self._make(ROOT / controller / _own_path(controller) / name, files, f"v1 {controller}")

    def _v2(self, name: str) -> None:
        parent = ROOT / _own_path("")
        try:
            (parent / "cgroup.subtree_control").write_text("+pids +memory +cpu")
        except OSError:
            pass  # already enabled, or not allowed here: the limit files tell below
        files = {"pids.max": str(self.processes), "memory.max": str(self.memory_mb * 2**20),
                 "memory.swap.max": "0", "cpu.max": "100000 100000"}
        self._make(parent / name, files, "v2")

    def _make(self, directory: Path, files: dict[str, str], label: str) -> None:
        try:
            directory.mkdir()
        except OSError:
            return
        self.dirs.append(directory)
        for file, value in files.items():
            try:
                (directory / file).write_text(value)
                self.applied.append(f"{file}={value}")
            except OSError:
                continue

    def join_command(self) -> list[str]:
        """A ``sh`` prefix that moves itself into every cgroup, then execs the rest of the command."""
        if not self.dirs:
            return []
        return ["/bin/sh", "-c", _JOIN, "sh", *(str(d / "cgroup.procs") for d in self.dirs), "--"]

    def kill(self) -> None:
        """SIGKILL every process still in the cgroups (until they are empty, at most ~1 s)."""
        for directory in self.dirs:
            if (directory / "cgroup.kill").exists():
                try:
                    (directory / "cgroup.kill").write_text("1")
                except OSError:
                    pass
            for _ in range(50):
                pids = self._pids(directory)
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.02)

    @staticmethod
    def _pids(directory: Path) -> list[int]:
        try:
            return [int(p) for p in (directory / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def describe(self) -> str:
        """Which whole-tree limits were applied, for the grade's record and the docs."""
        if not self.applied:
            return "no writable cgroup: per-process rlimits only"
        return "cgroup " + ", ".join(self.applied)


@functools.lru_cache(maxsize=1)
def usable() -> bool:
    """True when this process can create cgroups and move a child into them (checked once)."""
    with TreeLimits(64, 8) as tree:
        if not tree.dirs:
            return False
        try:
            return subprocess.run([*tree.join_command(), "true"], capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False
