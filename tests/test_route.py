"""`costbench route`: the bar on the Wilson lower bound, runner-up, saving, baselines, too little data, CCR configs."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from costbench import route, route_formats
from costbench.config import load_config
from tests.category_fixtures import D, add_attempts, finish, nights
from tests.sql_fixtures import db

SCHEMAS = Path(__file__).parent / "data" / "ccr"
ROLES = {"default": ["code"], "think": ["math"], "longContext": ["long_context"], "chinese": ["segmentation"]}
CHEAP, MID, TOP = "deepseek/deepseek-chat", "openai/gpt-5-mini", "anthropic/claude-sonnet-4"


def _split(outcomes: list[bool]) -> tuple[list[bool], list[bool]]:
    half = len(outcomes) // 2
    return outcomes[:half], outcomes[half:]


@pytest.fixture
def con():
    con = db()
    runs = nights(con, 2)
    plan = [  # model, task, category, outcomes, $ per attempt, input tokens per call
        (CHEAP, "fix", "code", [True] * 17 + [False] * 3, D("0.01"), 100),   # 0.85 but Wilson low 0.640: fails 0.8
        (MID, "fix", "code", [True] * 39 + [False], D("0.02"), 100),         # low 0.871: the pick
        (TOP, "fix", "code", [True] * 60, D("0.05"), 100),                   # low 0.940: runner-up, most successful
        (CHEAP, "sum", "math", [True] * 5, D("0.01"), 100),                  # 5 solved: too little data
        (TOP, "doc", "long_context", [True] * 40, D("0.04"), 4321),
        (MID, "doc", "long_context", [True] * 20 + [False] * 20, D("0.01"), 5999),
        ("baseline/jieba", "seg", "segmentation", [True] * 30, D(0), 0),     # low 0.887 at $0: no model needed
        (CHEAP, "seg", "segmentation", [True] * 30, D("0.001"), 50),
    ]
    for model, task, category, outcomes, usd, tokens in plan:
        for (run_id, at), part in zip(runs, _split(outcomes), strict=True):
            add_attempts(con, run_id, at, model, task, category, part, usd, tokens)
    finish(con)
    yield con
    con.close()


@pytest.fixture
def rec(con) -> route.Recommendation:
    return route.recommend(con, ROLES, bar=0.8, window_days=14)


def test_cheapest_that_narrowly_fails_the_bar_is_passed_over(rec) -> None:
    code = rec.roles["default"]
    assert [c.name for c in code.candidates] == [CHEAP, MID, TOP]  # cheapest first
    assert code.candidates[0].success_rate == 0.85 and code.candidates[0].success_low == pytest.approx(0.639577, abs=1e-6)
    assert (code.pick.name, code.runner_up.name, code.best.name) == (MID, TOP, TOP)
    assert code.pick.cost_per_solved_usd == D("0.020512820512")   # $0.80 / 39
    assert code.saving_vs_best == D("0.58974358976")               # 1 − 0.020512820512 / 0.05
    assert rec.roles["think"].pick is None and rec.roles["think"].note.startswith("too little data: at most 5 solved")
    assert rec.roles["longContext"].pick.name == TOP and rec.long_context_threshold == 4000  # min prompt 4,321
    chinese = rec.roles["chinese"]
    assert chinese.no_model_needed and chinese.pick.name == "baseline/jieba" and chinese.runner_up.name == CHEAP
    assert chinese.routed.name == CHEAP  # a router cannot call jieba: it gets the cheapest LLM that meets the bar


def test_a_baseline_covering_only_part_of_a_role_is_not_enough(con) -> None:
    rec = route.recommend(con, {"mixed": ["segmentation", "code"]}, bar=0.8)
    assert not rec.roles["mixed"].no_model_needed and rec.roles["mixed"].pick.name != "baseline/jieba"


def test_json_shape(rec) -> None:
    out = route_formats.to_json(rec)
    default = out["roles"]["default"]
    assert {"model", "success_rate", "success_low", "cost_per_solved_usd", "candidates"} <= default.keys()
    assert (default["model"], default["cost_per_solved_usd"]) == (MID, "0.020512820512")
    assert [c["model"] for c in default["candidates"]] == [CHEAP, MID, TOP]
    assert [c["meets_bar"] for c in default["candidates"]] == [False, True, True]
    assert out["roles"]["think"]["model"] is None
    json.dumps(out)  # plain JSON: no Decimal or float money


def _cfg(tmp_path: Path):
    path = tmp_path / "costbench.toml"
    path.write_text("[providers.deepseek]\ndialect = \"deepseek\"\n[providers.openai]\ndialect = \"openai_chat\"\n"
                    "[providers.anthropic]\ndialect = \"anthropic\"\napi_key_env = \"MY_ANTHROPIC_KEY\"\n"
                    + "".join(f"[[models]]\nprovider = \"{m.split('/')[0]}\"\nmodel = \"{m.split('/', 1)[1]}\"\n"
                              for m in (CHEAP, MID, TOP))
                    + "[roles]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in ROLES.items()))
    return load_config(path)


def test_ccr_v1_config_is_valid_and_keyless(tmp_path, rec) -> None:
    config = route_formats.ccr_v1(rec, _cfg(tmp_path))
    jsonschema.validate(config, json.loads((SCHEMAS / "ccr-v1.schema.json").read_text()))
    assert config["Router"] == {"default": "openai,gpt-5-mini", "longContext": "anthropic,claude-sonnet-4",
                                "longContextThreshold": 4000}
    providers = {p["name"]: p for p in config["Providers"]}
    assert providers["anthropic"]["api_key"] == "$MY_ANTHROPIC_KEY" and providers["openai"]["api_key"] == "$OPENAI_API_KEY"
    assert providers["openai"]["api_base_url"] == "https://api.openai.com/v1/chat/completions"
    assert providers["anthropic"]["api_base_url"] == "https://api.anthropic.com/v1/messages"
    for value in (v for k, v in config["Router"].items() if k != "longContextThreshold"):  # every route is declared
        provider, model = value.split(",", 1)
        assert model in providers[provider]["models"]


def test_ccr_v3_config_is_valid_and_says_what_it_cannot_express(tmp_path, rec) -> None:
    config = route_formats.ccr_v3(rec, _cfg(tmp_path))
    jsonschema.validate(config, json.loads((SCHEMAS / "ccr-v3.schema.json").read_text()))
    profile = config["profile"]["claudeCode"]
    assert (profile["model"], profile["haikuModel"]) == ("openai/gpt-5-mini", "openai/gpt-5-mini")
    assert config["Router"]["rules"] == []  # no think/webSearch/image recommendation in this fixture
    comment = " ".join(route_formats.v3_comment(rec))
    assert "longContext (threshold 4000 tokens) needs a Node.js script rule" in comment and "(chinese)" in comment


def test_cli_route_formats_and_errors(tmp_path, con) -> None:
    from costbench.cli import main

    cfg = _cfg(tmp_path)
    path = tmp_path / "cb.duckdb"
    con.execute(f"ATTACH '{path}' AS f")
    con.execute("COPY FROM DATABASE memory TO f")
    con.execute("DETACH f")
    runner = CliRunner()
    args = ["route", "--config", str(cfg.source), "--db", str(path)]
    table = runner.invoke(main, args)
    assert table.exit_code == 0, table.output
    assert "baseline/jieba (no model needed)" in table.output and "too little data" in table.output
    v3 = runner.invoke(main, [*args, "--format", "ccr-v3"])
    lines = v3.output.splitlines()
    assert lines[0].startswith("// ") and json.loads("\n".join(l for l in lines if not l.startswith("//")))["Router"]
    empty = runner.invoke(main, [*args, "--format", "ccr-v1", "--window", "1", "--min-solved", "100"])
    assert empty.exit_code == 1 and "the 'default' role has no model to route to" in empty.output
    assert "Traceback" not in empty.output


def test_report_page_lists_roles_baselines_whiskers_and_configs(tmp_path, con) -> None:
    from costbench.report import route_page
    from costbench.report.site import Site, _provenance

    site = Site(tmp_path / "site", _provenance(con))
    route_page.render(site, con, _cfg(tmp_path))
    site.finish()  # pages are written (and their charts drawn) when the site is finished
    html = (tmp_path / "site" / "route.html").read_text()
    assert "Which model for which job" in html and "baseline/jieba (baseline, no model)" in html
    assert "<strong>(no model needed)</strong>" in html and html.count("<svg") == 1 and "Success intervals by role" in html
    v1 = json.loads((tmp_path / "site" / "data" / "ccr-config.v1.json").read_text())
    assert v1["Router"]["default"] == "openai,gpt-5-mini" and 'href="data/ccr-config.v1.json"' in html
