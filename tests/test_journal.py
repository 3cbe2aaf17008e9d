"""The landing journal and the loader: fsynced appends, torn tails, exactly-once loading."""

from __future__ import annotations

import asyncio
import json

from costbench.run import journal
from costbench.store.loader import load_run
from costbench.store.db import connect, migrate, rows


def _record(i: int, run_id: str = "r1", shard: str = "main") -> dict:
    return {
        "call_id": f"c{i}", "run_id": run_id, "shard": shard, "provider": "deepseek", "model": "deepseek-chat",
        "dialect": "deepseek", "task_id": "t", "task_version": 1, "task_category": "math", "case_id": f"k{i}",
        "repeat_index": 0, "turn_index": 0, "is_final_turn": True, "requested_at": "2025-09-29T02:00:00+00:00",
        "latency_ms": 5, "attempts": 1, "status": "ok", "http_status": 200, "error": None, "output_text": "4",
        "usage": {"input_uncached_tokens": 10, "cache_read_tokens": 64, "cache_write_5m_tokens": 0,
                  "cache_write_1h_tokens": 0, "output_tokens": 3, "reasoning_tokens": 1,
                  "provider_reported_cost": "0.000012345678"},
        "raw_usage": {"prompt_tokens": 74}, "raw_response_text": '{"id": "x", "cost": 0.1}',
        "request": {"method": "POST", "path": "chat/completions", "json": {}}, "simulated": True,
        "grade": {"grader": "exact", "score": 1.0, "passed": True, "reason": "exact match"},
    }


def _manifest(landing, run_id: str = "r1") -> None:
    journal.write_manifest(landing, run_id, {
        "run_id": run_id, "run_at": "2025-09-29T02:00:00+00:00", "started_at": "2025-09-29T02:00:00+00:00",
        "config_hash": "abc", "catalog_version": "cat1", "pricebook_version": "pb1", "simulated": True,
        "budget_usd": "5"})


def _write(path, records) -> None:
    async def go() -> None:
        writer = journal.JournalWriter(path)
        await asyncio.gather(*(writer.append(r) for r in records))
        writer.close()

    asyncio.run(go())


def test_group_commit_writes_every_line(tmp_path) -> None:
    path = tmp_path / "r1" / "main.jsonl"
    _write(path, [_record(i) for i in range(200)])
    lines = path.read_text().splitlines()
    assert [json.loads(x)["call_id"] for x in lines] == [f"c{i}" for i in range(200)]


def test_close_commits_lines_staged_before_the_loop_handed_them_over(tmp_path) -> None:
    """Appends of one loop iteration wait for its end to reach the syncer's thread; a close() in between
    still writes them (nothing acknowledged or pending is lost) and resolves their futures."""
    path = tmp_path / "r1" / "main.jsonl"
    intents = tmp_path / "r1" / "main.sent.jsonl"

    async def go() -> list[bool]:
        syncer = journal.Syncer()
        writer, intent_writer = journal.JournalWriter(path, syncer), journal.JournalWriter(intents, syncer)
        futures = [syncer.submit(writer, b'{"call_id": "c0"}\n'), syncer.submit(intent_writer, b'{"call_id": "c1"}\n')]
        syncer.close()  # in the same iteration: the hand-over has not run yet
        await asyncio.sleep(0.05)  # the thread's resolution reaches this loop
        return [f.done() and f.exception() is None for f in futures]

    assert asyncio.run(go()) == [True, True]
    assert path.read_text() == '{"call_id": "c0"}\n'
    assert intents.read_text() == '{"call_id": "c1"}\n'


def test_torn_tail_is_not_landed_and_is_repaired(tmp_path) -> None:
    _manifest(tmp_path)
    path = journal.run_dir(tmp_path, "r1") / "main.jsonl"
    _write(path, [_record(0), _record(1)])
    with path.open("ab") as fh:
        fh.write(b'{"call_id": "c2", "run_')  # a crash mid-write
    assert sorted(journal.landed_records(tmp_path, "r1")) == ["c0", "c1"]
    _write(path, [_record(3)])  # reopening cuts the torn line
    assert sorted(journal.landed_records(tmp_path, "r1")) == ["c0", "c1", "c3"]


def test_shards_load_exactly_once(tmp_path) -> None:
    _manifest(tmp_path)
    folder = journal.run_dir(tmp_path, "r1")
    _write(folder / "a.jsonl", [_record(i, shard="a") for i in range(0, 5)])
    _write(folder / "b.jsonl", [_record(i, shard="b") for i in range(5, 12)])
    con = connect(":memory:")
    migrate(con)
    first = load_run(con, tmp_path, "r1")
    second = load_run(con, tmp_path, "r1")
    assert (first.shards, first.inserted_calls, first.inserted_grades) == (2, 12, 12)
    assert (second.inserted_calls, second.inserted_grades) == (0, 0)
    got = rows(con, "SELECT count(*) AS n, count(DISTINCT call_id) AS d, sum(provider_reported_cost_usd) AS c FROM calls")
    assert got[0]["n"] == got[0]["d"] == 12
    assert str(got[0]["c"]) == "0.000148148136"  # 12 × 0.000012345678, exact
    raw = rows(con, "SELECT raw_response::VARCHAR AS r FROM calls LIMIT 1")[0]["r"]
    assert json.loads(raw) == {"id": "x", "cost": 0.1}
    assert rows(con, "SELECT status FROM runs")[0]["status"] == "running"


def test_non_json_error_body_is_kept_as_text(tmp_path) -> None:
    _manifest(tmp_path)
    rec = _record(0) | {"status": "error", "raw_response_text": "<html>Bad Gateway</html>", "usage": None}
    _write(journal.run_dir(tmp_path, "r1") / "main.jsonl", [rec])
    con = connect(":memory:")
    migrate(con)
    load_run(con, tmp_path, "r1")
    raw = rows(con, "SELECT raw_response ->> '$' AS r, input_uncached_tokens AS t FROM calls")[0]
    assert raw == {"r": "<html>Bad Gateway</html>", "t": None}
