"""Run untrusted code (a model's answer plus unit tests) in a subprocess that cannot reach the network.

The child is ``python -I`` (isolated: no user site, no PYTHON* variables) in a fresh temporary folder,
with CPU, memory and open-file limits, a wall-clock timeout (its whole process group is killed), and a
bootstrap that replaces ``socket.socket``, ``socket.create_connection`` and ``socket.getaddrinfo`` so
any connection attempt raises before the model's code runs.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

_BOOTSTRAP = '''
import socket as _socket
def _no_network(*args, **kwargs):
    raise OSError("network access is disabled in the costbench sandbox")
class _NoSocket:
    def __init__(self, *args, **kwargs):
        _no_network()
_socket.socket = _NoSocket
_socket.create_connection = _no_network
_socket.getaddrinfo = _no_network
_socket.socketpair = _no_network
del _socket
'''


@dataclass(frozen=True)
class SandboxResult:
    """What the child did."""

    passed: bool
    timed_out: bool
    returncode: int | None
    output: str


def _limits(cpu_s: int, memory_mb: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_FSIZE, (2**22, 2**22))
    os.setsid()


def run_python(code: str, timeout_s: float = 5.0, memory_mb: int = 512) -> SandboxResult:
    """Run ``code`` after the no-network bootstrap; passed = exit code 0 within the timeout."""
    with tempfile.TemporaryDirectory(prefix="costbench-sandbox-") as tmp:
        script = Path(tmp) / "main.py"
        script.write_text(_BOOTSTRAP + "\n" + code, encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-I", str(script)], cwd=tmp, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"},
                                preexec_fn=lambda: _limits(int(timeout_s) + 1, memory_mb))
        try:
            out, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            return SandboxResult(False, True, None, out.decode(errors="replace")[-2000:])
    return SandboxResult(proc.returncode == 0, False, proc.returncode, out.decode(errors="replace")[-2000:])
