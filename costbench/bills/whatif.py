"""``costbench whatif``: what the imported usage would have cost on other models, at the prices in force on each
row's date (``cost_usd_same_tokens``), and adjusted by the token ratios costbench measured on its own catalog
(``cost_usd``). Totals-only rows are estimated with an interval (:mod:`costbench.bills.estimate`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb

from costbench.bills import estimate as est
from costbench.bills.repricing import price_input, reprice_bills
from costbench.bills.sources import BillError
from costbench.bills.stage import fetch
from costbench.prices.pricing import Pricer
from costbench.store.db import query, sql_text

RATIO_PLACES = Decimal("0.000001")


def parse_target(text: str, pricer: Pricer) -> tuple[str, str]:
    """``provider/model`` (OpenRouter models keep their own slash) checked against the price book."""
    provider, _, model = text.partition("/")
    if not model:
        raise BillError(f"--model {text!r}: write PROVIDER/MODEL, e.g. anthropic/claude-sonnet-4")
    pricer.book.entries(provider, model)  # UnknownModel with "did you mean"
    return provider, model


def _ratio(con: duckdb.DuckDBPyConnection, source: tuple[str, str], target: tuple[str, str]) -> dict[str, Any] | None:
    r = query(con, "bills/token_ratio", sp=source[0], sm=source[1], tp=target[0], tm=target[1])[0]
    if not r["pairs"] or not r["source_input_tokens"] or not r["source_output_tokens"]:
        return None
    return {"input": (Decimal(r["target_input_tokens"]) / r["source_input_tokens"]).quantize(RATIO_PLACES),
            "output": (Decimal(r["target_output_tokens"]) / r["source_output_tokens"]).quantize(RATIO_PLACES),
            "pairs": r["pairs"], "simulated": r["simulated"]}


def _ratios(con: duckdb.DuckDBPyConnection, target: tuple[str, str], source: str | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for m in query(con, "bills/source_models", source=source):
        key = (m["provider"], m["model"])
        found = None if key == target else _ratio(con, key, target)
        if found:
            out[f"{key[0]}/{key[1]}"] = found
    con.execute("CREATE OR REPLACE TEMP TABLE bill_ratios (provider VARCHAR, model VARCHAR, "
                "input_ratio DECIMAL(38, 6), output_ratio DECIMAL(38, 6))")
    for name, r in out.items():
        provider, _, model = name.partition("/")
        con.execute("INSERT INTO bill_ratios VALUES (?, ?, ?, ?)", [provider, model, r["input"], r["output"]])
    return out


def _priced_total(con: duckdb.DuckDBPyConnection, target: tuple[str, str], source: str | None,
                  scaled: bool) -> dict[str, Any]:
    con.execute(sql_text("bills/input_whatif"), {"provider": target[0], "model": target[1], "source": source,
                                                  "scaled": scaled})
    price_input(con)
    return fetch(con, sql_text("bills/whatif_total"))[0]


def _assumptions(totals: dict[str, Any], ratios: dict[str, Any], estimates: list[dict[str, Any] | None],
                 mix: est.Mix) -> list[str]:
    notes = []
    if ratios:
        sims = " (simulated runs)" if any(r["simulated"] for r in ratios.values()) else ""
        notes.append("token counts scaled by ratios measured on the same prompts" + sims + ": "
                     + ", ".join(f"{k} in×{r['input']} out×{r['output']} ({r['pairs']} pairs)" for k, r in ratios.items()))
    else:
        notes.append("no token ratio measured for these models: cost_usd equals cost_usd_same_tokens")
    if totals["rows_unpriced"]:
        notes.append(f"{totals['rows_unpriced']} rows not priced (no price for the target at their date): not counted")
    if totals["rows_tier_unknown"]:
        notes.append(f"{totals['rows_tier_unknown']} aggregated rows priced at the base tier (per-request tiers unknown)")
    if totals["rows_in_tier"]:
        notes.append(f"{totals['rows_in_tier']} requests priced at a long-context tier, per request")
    if totals["rows_window_unknown"]:
        notes.append(f"{totals['rows_window_unknown']} aggregated rows priced outside time-of-day windows")
    done = [e for e in estimates if e and e["estimate_usd"] is not None]
    if done:
        low, high = sum(e["low_usd"] for e in done), sum(e["high_usd"] for e in done)
        notes.append(f"includes {len(done)} totals-only rows estimated at ${sum(e['estimate_usd'] for e in done):.6f} "
                     f"(interval ${low:.6f}–${high:.6f}; output share {mix.source}); token ratios not applied to them")
    if len(done) < len(estimates):
        notes.append(f"{len(estimates) - len(done)} totals-only rows not estimated (no price or no output share): not counted")
    return notes


def _model_result(con: duckdb.DuckDBPyConnection, pricer: Pricer, target: tuple[str, str], source: str | None,
                  totals_rows: list[dict[str, Any]], mix: est.Mix) -> dict[str, Any]:
    ratios = _ratios(con, target, source)
    same = _priced_total(con, target, source, scaled=False)
    scaled = _priced_total(con, target, source, scaled=True) if ratios else same
    estimates = [est.estimate(pricer, r, target, mix) for r in totals_rows]
    done = [e["estimate_usd"] for e in estimates if e and e["estimate_usd"] is not None]
    priced_rows = same["rows"] + len(done)
    extra = sum(done, Decimal(0))
    return {"model": f"{target[0]}/{target[1]}",  # None, not 0, when no row could be priced on the target
            "cost_usd_same_tokens": (same["cost_usd"] or Decimal(0)) + extra if priced_rows else None,
            "cost_usd": (scaled["cost_usd"] or Decimal(0)) + extra if priced_rows else None,
            "rows": priced_rows,
            "token_ratio": {k: {"input": r["input"], "output": r["output"], "pairs": r["pairs"]}
                            for k, r in ratios.items()} or None,
            "assumptions": _assumptions(same, ratios, estimates, mix)}


def _totals_only(pricer: Pricer, rows: list[dict[str, Any]], mix: est.Mix) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        own = (r["provider"], r["model"]) if r["provider"] else None
        guess = est.estimate(pricer, r, own, mix) if own else None
        split = None
        if own and r["reported_usd"] is not None:
            rates = est.rates_usd(pricer, *own, r["occurred_at"])
            split = est.implied_split(r["total_tokens"], r["reported_usd"], rates)
        out.append({"model": f"{own[0]}/{own[1]}" if own else f"unmapped: {r['source_model']}",
                    "day": r["occurred_at"].date().isoformat(), "total_tokens": r["total_tokens"],
                    "reported_usd": r["reported_usd"], "estimate": guess, "implied_split": split,
                    "output_share_source": mix.source})
    return out


def whatif(con: duckdb.DuckDBPyConnection, targets: list[str], pricer: Pricer, *, source: str | None = None,
           categories: list[str] | None = None) -> dict[str, Any]:
    """The what-if report: ``{"actual": {...}, "models": [...]}`` (amounts as Decimal)."""
    parsed = [parse_target(t, pricer) for t in targets]
    reprice_bills(con, pricer, only_new=True)
    actual = query(con, "bills/actual", source=source)[0]
    if not actual["rows"]:
        raise BillError("no imported bills" + (f" for source {source!r}" if source else "") + ": run costbench bill import PATH first")
    mix = est.measured_mix(con, list(categories or []))
    totals_rows = query(con, "bills/totals_only_rows", source=source)
    actual["totals_only"] = _totals_only(pricer, totals_rows, mix)
    return {"actual": actual, "models": [_model_result(con, pricer, t, source, totals_rows, mix) for t in parsed]}
