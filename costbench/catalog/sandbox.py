"""Run a model's code and its unit tests inside a kernel sandbox (Debian's ``bwrap``, bubblewrap).

Isolation is the kernel's, not Python's: fresh user, network, PID, mount, IPC, UTS and cgroup
namespaces (``--unshare-all``); the only network interface is the namespace's own loopback; the
filesystem is a read-only view of ``/usr`` and of the interpreter's own prefix, a private tmpfs
``/tmp``, a ``/proc`` of the new PID namespace only, and the harness files; the environment is empty
(``--clearenv``). Nothing of the repository, ``var/``, the DuckDB file or ``$HOME`` is mounted.

Limits for the whole process tree, where the machine has writable cgroups (v1 or v2): ``pids`` (process
count), ``memory`` (all processes together, tmpfs included) and ``cpu`` (one core at most). Always, per
process (``prlimit``): CPU seconds, address space, file size (which also caps the captured output, a
regular file outside the sandbox), open files, no core dumps. The wall-clock timeout SIGKILLs the
sandbox's session and every process left in its cgroups; ``--die-with-parent`` makes the namespace's
init die with it, and the kernel then kills everything in the PID namespace (``setsid`` grandchildren
included). Nothing is read through a pipe, so nothing left behind can hold a grade open.

Proof that the tests ran: the harness gets a random nonce on stdin (never in argv, env or a file),
and writes it only after the tests finished without an exception. An answer that exits early
(``SystemExit``, ``os._exit``), kills the harness or prints a made-up success line has no nonce and
fails. Known limit: the answer and the tests share one interpreter, so an answer that inspects the
harness's frames could find the nonce; the sandbox still bounds what such an answer can reach.

Without a working ``bwrap`` the sandbox refuses (:class:`SandboxUnavailable`): model code never runs
unsandboxed.
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from costbench.catalog import cgroups
from costbench.catalog.cgroups import TreeLimits
from costbench.errors import CostbenchError

INSTALL_HINT = "install bubblewrap (apt-get install bubblewrap, or `make test`, which runs scripts/ensure-system-packages)"
DONE = "COSTBENCH-TESTS-DONE"
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
OUTPUT_KEEP_CHARS = 4000
"""How much of the sandbox's output (its tail) a result keeps."""

_HARNESS = r'''
import os, sys
def _run(read=os.read, write=os.write, exit_=os._exit, exec_=exec, compile_=compile,
         settrace=sys.settrace, setprofile=sys.setprofile, done=sys.argv[1]):
    nonce = read(0, 200).decode().strip()
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    with open("/sandbox/answer.py", encoding="utf-8") as f:
        answer = compile_(f.read(), "answer.py", "exec")
    with open("/sandbox/tests.py", encoding="utf-8") as f:
        tests = compile_(f.read(), "tests.py", "exec")
    scope = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec_(answer, scope)
        settrace(None)
        setprofile(None)
        exec_(tests, scope)
    except SystemExit:
        write(2, b"\nthe code exited (SystemExit) before its tests finished\n")
        exit_(3)
    except BaseException:
        import traceback
        traceback.print_exc()
        sys.stderr.flush()
        exit_(1)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    write(1, ("\n" + done + " " + nonce + "\n").encode())
    exit_(0)
_run()
'''


class SandboxUnavailable(CostbenchError):
    """No kernel sandbox can be created here: code-executing graders refuse to run."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run."""

    timeout_s: float = 5.0
    """Wall clock; the whole namespace is killed when it passes."""
    memory_mb: int = 512
    """All processes together (cgroup); also each process's address space."""
    processes: int = 32
    """Processes and threads of the whole tree (cgroup ``pids.max``)."""
    file_mb: int = 4
    """Largest file a process may write, the captured output included."""
    open_files: int = 64


@dataclass(frozen=True)
class SandboxResult:
    """What the sandboxed code did."""

    passed: bool
    """The harness proved the tests ran to their end (nonce seen) and exited 0."""
    timed_out: bool
    returncode: int | None
    output: str
    """The tail of stdout + stderr (at most :data:`OUTPUT_KEEP_CHARS`), completion line removed."""
    limits: str
    """Which limits were applied (cgroup controllers, rlimits)."""


def _interpreter() -> tuple[str, str]:
    """(the real interpreter binary, its installation prefix): a venv's python is a symlink."""
    exe = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    return exe, os.path.realpath(sys.base_prefix)


def _bwrap_args(bwrap: str, sandbox_dir: Path, limits: Limits) -> list[str]:
    _, prefix = _interpreter()
    # a pyenv/venv interpreter outside /usr gets its own read-only prefix, nothing else of its parent folder
    interpreter = [] if prefix.startswith("/usr/") else ["--ro-bind", prefix, prefix]
    return [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr", *interpreter,
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
            "--proc", "/proc", "--dev", "/dev", "--size", str(limits.file_mb * 4 * 2**20), "--tmpfs", "/tmp",
            "--ro-bind", str(sandbox_dir), "/sandbox", "--chdir", "/tmp",
            "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp"]


def _prlimit_args(limits: Limits) -> list[str]:
    cpu = int(limits.timeout_s) + 1
    memory = limits.memory_mb * 2**20
    args = ["prlimit", f"--cpu={cpu}:{cpu}", f"--as={memory}:{memory}", f"--fsize={limits.file_mb * 2**20}",
            f"--nofile={limits.open_files}", "--core=0"]
    if os.geteuid() != 0:  # RLIMIT_NPROC counts every process of the user (root is exempt): add to what runs
        args.append(f"--nproc={_own_processes() + limits.processes}")
    return [*args, "--"]


def _own_processes() -> int:
    """How many processes this user runs now."""
    uid, count = os.geteuid(), 0
    for entry in Path("/proc").iterdir():
        try:
            count += entry.name.isdigit() and entry.stat().st_uid == uid
        except OSError:
            continue
    return count


@functools.lru_cache(maxsize=4)
def _probe(bwrap: str) -> str | None:
    """None if ``bwrap`` can build this sandbox here, else its first error line."""
    with tempfile.TemporaryDirectory(prefix="costbench-probe-") as tmp:
        cmd = [*_bwrap_args(bwrap, Path(tmp), Limits()), "--", _interpreter()[0], "-I", "-S", "-c", "pass"]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=30, stdin=subprocess.DEVNULL,
                                  env={"PATH": SYSTEM_PATH})
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
    if done.returncode == 0:
        return None
    return (done.stderr.decode(errors="replace").strip().splitlines() or [f"exit code {done.returncode}"])[0]


def require() -> str:
    """The path of a working ``bwrap``; raises :class:`SandboxUnavailable` with one line saying what to do."""
    bwrap = shutil.which("bwrap")
    if bwrap is None or shutil.which("prlimit") is None:
        missing = "bwrap" if bwrap is None else "prlimit (util-linux)"
        raise SandboxUnavailable(f"the unit_tests grader runs model code only in a kernel sandbox and {missing} "
                                 f"is not on PATH: {INSTALL_HINT}")
    problem = _probe(bwrap)
    if problem is not None:
        raise SandboxUnavailable(f"bwrap cannot create a sandbox here ({problem}); the unit_tests grader refuses "
                                 "to run model code without one: enable unprivileged user namespaces or run as root")
    return bwrap


def run_tests(code: str, tests: str, limits: Limits = Limits()) -> SandboxResult:
    """Run ``code`` then ``tests`` in the sandbox; passed only if the tests ran to their end."""
    bwrap = require()
    nonce = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="costbench-sandbox-") as tmp:
        box = Path(tmp) / "box"
        box.mkdir()
        for name, text in (("harness.py", _HARNESS), ("answer.py", code), ("tests.py", tests)):
            (box / name).write_text(text, encoding="utf-8")
        out_path = Path(tmp) / "output"
        with TreeLimits(limits.memory_mb, limits.processes, cgroups.usable()) as tree, open(out_path, "wb") as out:
            cmd = [*tree.join_command(), *_prlimit_args(limits), *_bwrap_args(bwrap, box, limits), "--",
                   _interpreter()[0], "-I", "-S", "-B", "/sandbox/harness.py", DONE]
            returncode, timed_out = _supervise(cmd, out, nonce, limits.timeout_s, tree)
        text = _read_tail(out_path)
    proof = f"{DONE} {nonce}"
    passed = not timed_out and returncode == 0 and proof in text.splitlines()
    kept = "\n".join(line for line in text.splitlines() if not line.startswith(DONE))
    return SandboxResult(passed, timed_out, returncode, kept[-OUTPUT_KEEP_CHARS:], tree.describe())


def _supervise(cmd: list[str], out: object, nonce: str, timeout_s: float, tree: TreeLimits) -> tuple[int | None, bool]:
    """Start the sandbox, hand it the nonce, wait; on timeout kill its whole tree. (returncode, timed out)."""
    # bwrap's own environment shows as /proc/1/environ inside the sandbox: it gets nothing of ours
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,  # type: ignore[arg-type]
                            start_new_session=True, close_fds=True, env={"PATH": SYSTEM_PATH})
    try:
        assert proc.stdin is not None
        proc.stdin.write(nonce.encode() + b"\n")
        proc.stdin.close()
    except OSError:
        pass  # the sandbox died before reading: it fails without the nonce
    try:
        returncode = proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill(proc, tree)
        return None, True
    tree.kill()  # the namespace died with its init; anything else left in the cgroups goes now
    return returncode, False


def _kill(proc: subprocess.Popen[bytes], tree: TreeLimits) -> None:
    """SIGKILL the sandbox's session while it is not reaped (bwrap's namespace init dies with its parent)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    tree.kill()
    try:
        proc.wait(timeout=1)
    except subprocess.TimeoutExpired:  # pragma: no cover - the kernel reaps a killed session promptly
        pass


def _read_tail(path: Path) -> str:
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(0, size - 4 * OUTPUT_KEEP_CHARS))
        return f.read().decode("utf-8", errors="replace")
