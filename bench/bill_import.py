"""Bill import at scale: a synthetic OpenRouter activity CSV of N request rows (default 1 million), imported and
re-priced into a fresh DuckDB file by ``costbench.bills.importer.import_path`` (stage, check, map, insert,
re-price: all SQL, exact DECIMAL). Prints wall time, peak memory, and the ratio to a fair baseline: DuckDB
loading the same CSV into a table with no checks, no normalisation and no pricing. Then a re-import (adds
nothing). Targets: under 30 s and under 1 GB for 1 million rows on this machine.
Usage: python bench/bill_import.py [--rows 1000000] [--memory-limit 600MB]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from costbench.bills.importer import import_path  # noqa: E402
from costbench.bills.repricing import load_pricer  # noqa: E402
from costbench.store.db import connect, migrate  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "var" / "bench" / "bills"
HEADER = ("generation_id,created_at,cost_total,cost_web_search,cost_cache,cost_file_processing,byok_usage_inference,"
          "tokens_prompt,tokens_completion,tokens_reasoning,tokens_cached,model_permaslug,provider_name,variant,"
          "cancelled,streamed,user,finish_reason_raw,finish_reason_normalized,generation_time_ms,"
          "time_to_first_token_ms,api_key_disabled,api_key_name,app_name")
# Requests spread over 2025, 1 in 50 over the 200K tier, 3 models (one unmapped), deterministic tokens.
GENERATE = """
COPY (
  SELECT 'gen-' || i AS generation_id,
         strftime(TIMESTAMP '2025-06-01 00:00:00' + to_seconds((i * 37 % 15552000)::BIGINT), '%Y-%m-%d %H:%M:%S.000') AS created_at,
         ((200 + hash(i) % 5000) * 0.000003 + (50 + hash(i, 2) % 800) * 0.000015)::DECIMAL(18, 9) AS cost_total,
         0 AS cost_web_search, 0 AS cost_cache, 0 AS cost_file_processing, 0 AS byok_usage_inference,
         CASE WHEN i % 50 = 0 THEN 210000 ELSE 200 + hash(i) % 5000 END + hash(i, 1) % 20000 AS tokens_prompt,
         50 + hash(i, 2) % 800 AS tokens_completion, hash(i, 3) % 50 AS tokens_reasoning,
         hash(i, 1) % 20000 AS tokens_cached,
         CASE i % 3 WHEN 0 THEN 'anthropic/claude-4-sonnet-20250522' WHEN 1 THEN 'anthropic/claude-sonnet-4'
              ELSE 'mistralai/mistral-small-2409' END AS model_permaslug,
         'Anthropic' AS provider_name, 'standard' AS variant, 'false' AS cancelled, 'true' AS streamed,
         'user-' || (i % 9) AS "user", 'end_turn' AS finish_reason_raw, 'stop' AS finish_reason_normalized,
         1000 AS generation_time_ms, 300 AS time_to_first_token_ms, 'false' AS api_key_disabled,
         'key-' || (i % 4) AS api_key_name, 'bench' AS app_name
  FROM range($rows) t(i)
) TO '{path}' (HEADER, DELIMITER ',')
"""


def generate(path: Path, n: int) -> None:
    con = connect(":memory:")
    con.execute(GENERATE.replace("{path}", str(path).replace("'", "''")), {"rows": n})  # a path, not a value
    con.close()
    assert path.read_text(encoding="utf-8")[:len(HEADER)] == HEADER


BASELINE = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
start = time.perf_counter()
con.execute("CREATE TABLE raw_csv AS SELECT * FROM read_csv($p, all_varchar = true, header = true)", {"p": sys.argv[1]})
con.execute("CHECKPOINT")
print(time.perf_counter() - start)
"""


def baseline(path: Path, db: Path) -> float:
    """DuckDB loading the CSV as text into a file table, in a child process (its memory is not ours)."""
    out = subprocess.run([sys.executable, "-c", BASELINE, str(path), str(db)], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])  # (after any progress bar)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--memory-limit", default="600MB", help="DuckDB memory_limit of the importing connection")
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    csv_path = OUT / "activity.csv"
    generate(csv_path, args.rows)
    base = baseline(csv_path, OUT / "baseline.duckdb")
    pricer = load_pricer()
    con = connect(OUT / "bills.duckdb")
    con.execute("SET memory_limit = $m", {"m": args.memory_limit})  # DuckDB spills past it (temp files next to the db)
    migrate(con)
    cpu0, start = _cpu(), time.perf_counter()
    result = import_path(con, csv_path, pricer=pricer)
    took, cpu = time.perf_counter() - start, _cpu() - cpu0
    start = time.perf_counter()
    again = import_path(con, csv_path, pricer=pricer)
    took_again = time.perf_counter() - start
    priced = con.execute("SELECT count(*), count(repriced_usd), sum(repriced_usd) FROM bill_costs").fetchall()[0]
    con.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows {args.rows:,}: import + re-price {took:.1f} s ({args.rows / took:,.0f} rows/s), "
          f"CPU {cpu:.1f} s (the wall time of an idle machine lies between CPU/threads and CPU), "
          f"added {result.rows_added:,}, priced {priced[1]:,} of {priced[0]:,} (unmapped kept: {result.unmapped})")
    print(f"baseline (DuckDB CSV load, no checks or pricing) {base:.1f} s → ratio {took / base:.1f}×")
    print(f"DuckDB memory_limit {args.memory_limit}; re-import {took_again:.1f} s, added {again.rows_added}; peak RSS {peak_mb:,.0f} MB; "
          f"targets: < 30 s {'OK' if took < 30 else 'MISSED'}, < 1 GB {'OK' if peak_mb < 1024 else 'MISSED'}")


if __name__ == "__main__":
    main()
