"""Retry-After: seconds, retry-after-ms and HTTP-date forms; garbage ignored; a long wait fails the call."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from costbench.providers.base import _retry_after
from costbench.run import journal
from tests.runner_support import write_config

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": "7"}, 7.0),
    ({"retry-after": " 120 "}, 120.0),
    ({"retry-after": "2.5"}, 2.5),  # not RFC delay-seconds, but what the openai SDK accepts too
    ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),  # the millisecond header wins
    ({"Retry-After-Ms": "250"}, 0.25),
    ({"retry-after": "Mon, 30 Nov 2026 12:00:30 GMT"}, 30.0),  # IMF-fixdate, 30 s after NOW
    ({"retry-after": "Monday, 30-Nov-26 12:01:00 GMT"}, 60.0),  # obsolete RFC 850 form
    ({"retry-after": "Mon, 30 Nov 2026 11:00:00 GMT"}, 0.0),  # a date in the past: retry now
    ({"retry-after": "9" * 400}, float("inf")),  # absurd but well-formed: longer than any cap
])
def test_retry_after_forms(headers: dict[str, str], seconds: float) -> None:
    assert _retry_after(headers, NOW) == seconds


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "1e3", "soon", "", "Mon, 99 Foo 2026"])
def test_unusable_retry_after_is_ignored(value: str) -> None:
    assert _retry_after({"retry-after": value}, NOW) is None
    assert _retry_after({"retry-after-ms": value}, NOW) is None


class _TooBusy(BaseHTTPRequestHandler):
    """A provider that answers every request with 429 and asks for an hour's wait."""

    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append(self.headers["X-Costbench-Call-Id"])
        body = json.dumps({"error": {"message": "slow down"}}).encode()
        self.send_response(429)
        self.send_header("Retry-After", "3600")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def too_busy() -> Iterator[str]:
    _TooBusy.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TooBusy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_retry_after_above_the_cap_fails_the_call_instead_of_sleeping(tmp_path, monkeypatch, too_busy) -> None:
    from costbench.run.runner import run_catalog

    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-test")
    cfg = write_config(tmp_path, None, models=("deepseek/deepseek-chat",), tasks=["capital_cities"],
                       max_retries=4, base_urls={"deepseek": too_busy}, extra="")
    result = run_catalog(cfg, run_id="r1")
    records = list(journal.landed_records(cfg.paths.landing, "r1").values())
    assert result.sent_calls == len(records) == result.failed_calls > 0
    assert sorted(_TooBusy.seen) == sorted(r["call_id"] for r in records)  # each sent once: never retried
    for r in records:
        assert r["http_status"] == 429 and r["attempts"] == 1
        assert "retry after 3600 s, longer than [run] max_retry_after_s = 120" in r["error"]
