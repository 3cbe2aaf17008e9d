"""Every CLI command: its success path and one error path (one line on stderr, exit 1, no traceback).

One small night (DeepSeek, capital_cities: 3 calls) is run once through ``costbench run`` and shared by
the commands that read the store. Expected figures are hand-computed (DeepSeek 2025-09-29 entry:
2 CNY/Mtok miss, 0.2 hit, 3 output, PROVIDER-BILLING.md §5; Mistral Large $2 / $6 per Mtok, §6).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner

from costbench.cli import main
from costbench.emulator import EmulatorConfig, EmulatorServer
from costbench.store.db import opened, rows
from tests.conftest import ROOT
from tests.runner_support import write_config

NIGHT = "2025-09-30T02:00:00Z"


def cli(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def assert_one_line_error(result, *needles: str) -> None:
    """Exit 1, one ``Error:`` line naming the problem, no traceback."""
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A config whose store holds one priced run of 3 DeepSeek calls, made by `costbench run`."""
    tmp = tmp_path_factory.mktemp("cli")
    with EmulatorServer(EmulatorConfig(seed=3, catalog_dir=ROOT / "tasks_catalog")) as emu:
        cfg = write_config(tmp, emu.url, models=("deepseek/deepseek-chat",), tasks=["capital_cities"])
        out = cli("run", "--config", str(cfg.source), "--at", NIGHT)
    assert out.exit_code == 0, out.output
    assert "3 calls sent, 0 already landed, 0 failed" in out.output and "landed 3 new call rows" in out.output
    with opened(cfg.paths.db) as con:
        (run,) = rows(con, "SELECT run_id, status FROM runs")
    return cfg, run["run_id"]


def test_run_error_is_one_line(store) -> None:
    cfg, _ = store
    assert_one_line_error(cli("run", "--config", str(cfg.source), "--at", "yesterday"), "--at 'yesterday'", "ISO")


def test_demo_replays_a_night_and_renders_the_report(tmp_path) -> None:
    cfg = write_config(tmp_path, None, models=("mistral/mistral-large-2411",), tasks=["capital_cities"])
    out = cli("demo", "--config", str(cfg.source), "--nights", "1", "--start", "2025-09-29",
              "--data", str(tmp_path / "demo"))
    assert out.exit_code == 0, out.output
    assert (cfg.paths.site / "index.html").is_file() and "Report:" in out.output
    with opened(tmp_path / "demo" / "costbench.duckdb") as con:
        (run,) = rows(con, "SELECT r.run_at, r.simulated, count(*) AS calls FROM runs r JOIN calls USING (run_id) "
                           "GROUP BY ALL")
    assert run["calls"] == 3 and run["simulated"] and run["run_at"].isoformat().startswith("2025-09-29T02:00")
    bad = cli("demo", "--config", str(tmp_path / "missing.toml"), "--nights", "1", "--data", str(tmp_path / "d2"))
    assert_one_line_error(bad, "missing.toml")


def test_reprice_and_its_error(store) -> None:
    cfg, _ = store
    out = cli("reprice", "--config", str(cfg.source), "--since", "2025-09-01")
    assert out.exit_code == 0 and "re-priced 3 calls in 1 run(s) since 2025-09-01" in out.output, out.output
    assert_one_line_error(cli("reprice", "--config", str(cfg.source) + ".nope", "--since", "2025-09-01"), ".nope")


def test_report_and_its_error(store, tmp_path) -> None:
    cfg, _ = store
    out = cli("report", "--config", str(cfg.source), "--out", str(tmp_path / "site"))
    assert out.exit_code == 0 and "report:" in out.output, out.output
    index = (tmp_path / "site" / "index.html").read_text()
    assert "deepseek-chat" in index
    assert_one_line_error(cli("report", "--config", str(tmp_path / "none.toml")), "none.toml")


def test_db_migrate_and_status(tmp_path) -> None:
    cfg = write_config(tmp_path, None, models=("deepseek/deepseek-chat",))
    first = cli("db", "migrate", "--config", str(cfg.source))
    again = cli("db", "migrate", "--config", str(cfg.source))
    status = cli("db", "status", "--config", str(cfg.source))
    names = sorted(p.stem for p in (ROOT / "sql" / "migrations").glob("[0-9]*.sql"))
    assert first.exit_code == 0 and f"applied {len(names)} migration(s): {', '.join(names)}" in first.output
    assert again.exit_code == 0 and "applied 0 migration(s)" in again.output
    lines = status.output.splitlines()
    assert status.exit_code == 0 and lines[0] == f"{cfg.paths.db}:" and f"  applied  {names[-1]}" in lines
    assert [line.strip() for line in lines if "applied" in line] == [f"applied  {n}" for n in names]
    assert_one_line_error(cli("db", "status", "--config", str(tmp_path / "no.toml")), "no.toml")


def test_prices_check_show_and_unknown_model() -> None:
    check = cli("prices", "check")
    assert check.exit_code == 0 and "schema up to date" in check.output, check.output
    shown = cli("prices", "show", "deepseek/deepseek-chat", "--at", NIGHT, "--json")
    assert shown.exit_code == 0, shown.output
    (entry,) = json.loads(shown.output)
    assert entry["currency"] == "CNY" and entry["effective_from"].startswith("2025-09-29")
    assert_one_line_error(cli("prices", "show", "deepseek/deepseek-chatt"), "Did you mean", "deepseek/deepseek-chat")


def test_prices_schema_rewrites_the_committed_schema(tmp_path, monkeypatch) -> None:
    import costbench.prices.book as book

    monkeypatch.setattr(book, "PRICES_DIR", tmp_path)  # write into tmp, not the package
    out = cli("prices", "schema")
    assert out.exit_code == 0 and str(tmp_path / "schema.json") in out.output
    committed = json.loads((ROOT / "costbench" / "prices" / "schema.json").read_text())
    assert json.loads((tmp_path / "schema.json").read_text()) == committed


def test_prices_import_writes_dated_entries_offline(tmp_path) -> None:
    cfg = write_config(tmp_path, None, models=("anthropic/claude-sonnet-4",))
    out = cli("prices", "import", "--config", str(cfg.source), "--provider", "anthropic", "--out", str(tmp_path / "imp"))
    assert out.exit_code == 0, out.output
    (written,) = (tmp_path / "imp").glob("*.yml")
    from costbench.prices.book import load_file

    entries = load_file(written).models["claude-sonnet-4"]
    assert entries and all(e.currency == "USD" for e in entries)
    bad = cli("prices", "import", "--config", str(tmp_path / "x.toml"), "--out", str(tmp_path / "imp2"))
    assert_one_line_error(bad, "x.toml")


def test_cost_prices_one_usage_exactly() -> None:
    usage = json.dumps({"input_uncached_tokens": 1000, "output_tokens": 200})
    out = cli("cost", "--usage", "-", "--model", "mistral/mistral-large-2411", "--at", NIGHT, input=usage)
    assert out.exit_code == 0, out.output
    # 1,000 × $2 + 200 × $6 per Mtok = 2,000 + 1,200 = 3,200 µUSD
    assert json.loads(out.output)["total_usd"].rstrip("0") == "0.0032"
    bad = cli("cost", "--usage", "-", "--model", "mistral/mistral-larg", "--at", NIGHT, input=usage)
    assert_one_line_error(bad, "Did you mean")


def test_catalog_list_show_validate_and_lock(tmp_path) -> None:
    listed = cli("catalog", "list", "--json")
    assert listed.exit_code == 0
    ids = {t["id"] for t in json.loads(listed.output)}
    assert {"capital_cities", "contract_qa"} <= ids and len(ids) == len(list((ROOT / "tasks_catalog").glob("*.yaml")))
    shown = cli("catalog", "show", "capital_cities")
    assert shown.exit_code == 0 and "capital_cities@2" in shown.output
    assert_one_line_error(cli("catalog", "show", "capitl_cities"), "Did you mean", "capital_cities")
    small = tmp_path / "catalog"
    small.mkdir()
    for name in ("capital_cities.yaml", "sentiment_classification.yaml"):
        shutil.copy(ROOT / "tasks_catalog" / name, small)
    locked = cli("catalog", "lock", "--catalog", str(small))
    assert locked.exit_code == 0, locked.output
    lock = json.loads((small / "catalog.lock.json").read_text())
    assert "capital_cities" in json.dumps(lock) and "sentiment_classification" in json.dumps(lock)
    valid = cli("catalog", "validate", "--catalog", str(small))
    assert valid.exit_code == 0, valid.output
    (small / "capital_cities.yaml").write_text((small / "capital_cities.yaml").read_text().replace("Canberra", "Sydney"))
    changed = cli("catalog", "validate", "--catalog", str(small))  # content changed, version not bumped
    assert changed.exit_code == 1 and "capital_cities" in changed.output


def test_usage_normalize_and_bad_input() -> None:
    body = {"usage": {"prompt_tokens": 600, "completion_tokens": 20, "total_tokens": 620,
                      "prompt_cache_hit_tokens": 512, "prompt_cache_miss_tokens": 88}}
    out = cli("usage", "normalize", "--dialect", "deepseek", input=json.dumps(body))
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)
    got = got.get("usage", got)
    assert (got["input_uncached_tokens"], got["cache_read_tokens"], got["output_tokens"]) == (88, 512, 20)
    assert_one_line_error(cli("usage", "normalize", "--dialect", "deepseek", input="{not json"), "not JSON")


def test_quality_of_the_run_and_of_an_unknown_run(store) -> None:
    cfg, run_id = store
    out = cli("quality", run_id, "--config", str(cfg.source), "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["status"] == "ok"
    assert_one_line_error(cli("quality", "nope", "--config", str(cfg.source)), "nope")


def test_query_with_a_param_as_csv_and_as_json(store) -> None:
    cfg, _ = store
    def calls_after_the_cut(window_days: int) -> str:
        out = cli("query", "price_changes", "--config", str(cfg.source), "--param", f"window_days={window_days}",
                  "--format", "csv")
        assert out.exit_code == 0, out.output
        found = {r["entry_id"]: r for r in csv.DictReader(io.StringIO(out.stdout))}
        return found["deepseek/deepseek-chat@2025-09-29"]["calls_after"]

    # The night (2025-09-30 02:00) is 26 h after DeepSeek's 2025-09-29 cut: inside a 3-day window, not a 1-day one.
    assert (calls_after_the_cut(3), calls_after_the_cut(1)) == ("3", "0")
    breakdown = cli("query", "cost_breakdown", "--config", str(cfg.source), "--format", "csv")
    assert breakdown.exit_code == 0 and breakdown.output.splitlines()[0].startswith("provider,model,field,tokens,cost_usd")
    history = cli("query", "run_history", "--config", str(cfg.source), "--format", "json")
    (run,) = json.loads(history.output)
    assert run["calls"] == 3 and run["status"] == "ok"
    assert_one_line_error(cli("query", "run_history", "--config", str(cfg.source), "--param", "x"), "KEY=VALUE")


def test_estimate_within_and_above_the_caps(tmp_path) -> None:
    cfg = write_config(tmp_path / "ok", None, models=("mistral/mistral-large-2411",), tasks=["capital_cities"])
    out = cli("estimate", "--config", str(cfg.source), "--at", NIGHT)
    assert out.exit_code == 0 and "within the caps" in out.output, out.output
    tight = write_config(tmp_path / "tight", None, models=("mistral/mistral-large-2411",), tasks=["capital_cities"],
                         per_run_usd="0.000001")
    assert_one_line_error(cli("estimate", "--config", str(tight.source), "--at", NIGHT), "per-run cap")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_emulator_serve_answers_on_its_clock_and_rejects_a_bad_clock(tmp_path) -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "costbench", "emulator", "serve", "--port", str(port), "--seed", "3",
                             "--clock", "2025-09-29T02:00:00Z,60", "--catalog", str(ROOT / "tasks_catalog")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to a minute to come up on a busy machine
            try:
                if httpx2.get(f"{url}/_emulator/health", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                time.sleep(0.1)
        body = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
        answer = httpx2.post(f"{url}/deepseek/chat/completions", json=body, headers={"Authorization": "Bearer k"})
        ledger = httpx2.get(f"{url}/_emulator/ledger").json()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert answer.status_code == 200 and answer.json()["usage"]["prompt_tokens"] > 0
    assert ledger[0]["received_at"] >= "2025-09-29T02:00:00"  # the emulated clock, not today
    assert_one_line_error(cli("emulator", "serve", "--clock", "yesterday"), "--clock", "START[,SPEED]")
