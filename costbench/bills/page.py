"""The report's "Your bill" page, rendered only when bills were imported.

Per model and day: reported, re-priced at the dated price book, the difference and its known causes; then
what the same usage would cost on every model costbench benchmarks (``whatif``). Only aggregates are shown:
key names, user ids and message text stay in ``bill_rows.raw`` and never reach the page.
"""

from __future__ import annotations

from typing import Any

import duckdb

from costbench.bills.repricing import load_pricer
from costbench.bills.whatif import whatif
from costbench.store.db import query, rows


def has_bills(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store has imported bill rows (the table exists from migration 0009 on)."""
    found = rows(con, "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'bill_rows'")
    return bool(found[0]["n"]) and bool(rows(con, "SELECT 1 AS x FROM bill_rows LIMIT 1"))


def _targets(con: duckdb.DuckDBPyConnection, known: set[tuple[str, str]]) -> list[str]:
    benchmarked = rows(con, "SELECT DISTINCT provider, model FROM calls WHERE status = 'ok' ORDER BY ALL")
    return [f"{r['provider']}/{r['model']}" for r in benchmarked if (r["provider"], r["model"]) in known]


def context(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Everything the template shows, computed here (the template only loops and formats)."""
    pricer = load_pricer()
    targets = _targets(con, set(pricer.book.entries_by_model))
    report = whatif(con, targets, pricer) if targets else {"actual": query(con, "bills/actual", source=None)[0],
                                                            "models": []}
    by_day = query(con, "bills/reconciliation")
    lag = query(con, "bills/billing_lag")
    models = [{**m, "assumptions": "; ".join(m["assumptions"]),
               "token_ratio": ", ".join(f"{k}: in×{v['input']} out×{v['output']}" for k, v in (m["token_ratio"] or {}).items())
               or "not measured"} for m in report["models"]]
    return {"actual": report["actual"], "by_day": by_day, "whatif": models, "lag": lag}


def render_bills(site: Any, con: duckdb.DuckDBPyConnection) -> None:
    """Write ``bill.html`` (and its CSV/JSON) when bills were imported; nothing otherwise."""
    if not has_bills(con):
        return
    ctx = context(con)
    site.page("bill.html", "bill.html.j2", **ctx,
              downloads={"by_day": site.data("bill_by_day", ctx["by_day"]), "whatif": site.data("bill_whatif", ctx["whatif"]),
                         "lag": site.data("bill_billing_lag", ctx["lag"])})
