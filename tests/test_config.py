"""Config loading: strict validation with errors naming the file and field, via the library and the CLI."""

from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner

from costbench.cli import main
from costbench.config import load_config
from costbench.errors import ConfigError
from tests.conftest import ROOT

GOOD = """
[budget]
per_run_usd = "1.50"
[providers.deepseek]
dialect = "deepseek"
[[models]]
provider = "deepseek"
model = "deepseek-chat"
"""


def test_default_config_loads_with_emulator_models() -> None:
    cfg = load_config(ROOT / "costbench.toml")
    assert len(cfg.models) >= 2
    assert all(cfg.provider(m.provider).emulated for m in cfg.models)
    assert cfg.paths.catalog == ROOT / "tasks_catalog"


def test_money_is_decimal_and_paths_resolve(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(GOOD)
    cfg = load_config(path)
    assert cfg.budget.per_run_usd == Decimal("1.50")
    assert cfg.paths.db == tmp_path / "var/costbench.duckdb"
    assert len(cfg.hash) == 12


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("[budget]", "[budgett]"), "field 'budgett': unknown key. Did you mean: budget?"),
        (GOOD.replace("dialect =", "dialekt ="), "field 'providers.deepseek.dialekt': unknown key. Did you mean: dialect?"),
        (GOOD.replace('provider = "deepseek"', 'provider = "deepsek"'),
         "field 'models[0].provider': unknown provider 'deepsek'; add a [providers.deepsek] table. Did you mean: deepseek?"),
        (GOOD.replace('"1.50"', "1.5"), "field 'budget.per_run_usd'"),
        ("[[models]\n", "not valid TOML"),
    ],
)
def test_bad_config_names_file_and_field(tmp_path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_cli_bad_config_is_one_clear_line_and_exit_1(tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace("[budget]", "[budgett]"))
    result = CliRunner().invoke(main, ["run", "--config", str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [f"Error: {path}: field 'budgett': unknown key. Did you mean: budget?"]
    assert "Traceback" not in result.output


def test_cli_missing_config_file(tmp_path) -> None:
    result = CliRunner().invoke(main, ["run", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 1
    assert "config file not found" in result.output


def test_real_provider_without_key_names_the_variable(tmp_path) -> None:
    from costbench.config import api_key

    path = tmp_path / "c.toml"
    path.write_text(GOOD.replace('dialect = "deepseek"', 'dialect = "deepseek"\nbase_url = "https://api.deepseek.com"'))
    cfg = load_config(path)
    with pytest.raises(ConfigError, match="set the environment variable DEEPSEEK_API_KEY"):
        api_key(cfg, "deepseek", "DEEPSEEK_API_KEY")


# --- Issue 14: bad input is refused at load, one line, before any paid call ---------------------------------


def _cli(args: list[str]) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, args)
    assert "Traceback" not in result.output
    return result.exit_code, result.output.strip().splitlines()


MONEY_CONFIG = """
[budget]
per_run_usd = "1.50"
per_day_usd = "3"
[providers.deepseek]
dialect = "deepseek"
base_url = "emulator"
[[models]]
provider = "deepseek"
model = "deepseek-chat"
"""

BAD_CONFIGS = [
    (MONEY_CONFIG.replace('"1.50"', '"-1.50"'), "field 'budget.per_run_usd': a budget cannot be -1.50"),
    (MONEY_CONFIG.replace('"3"', '"-0.01"'), "field 'budget.per_day_usd': a budget cannot be -0.01"),
    (MONEY_CONFIG.replace('"emulator"', '"api.deepseek.com"'), "field 'providers.deepseek.base_url': 'api.deepseek.com' is not an http(s) URL"),
    (MONEY_CONFIG.replace('"emulator"', '"ftp://api.deepseek.com"'), "is not an http(s) URL"),
    (MONEY_CONFIG.replace('"emulator"', '"https://"'), "'https://' is not an http(s) URL"),
    (MONEY_CONFIG.replace('"emulator"', '"emulater"'), "Did you mean: emulator?"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CONFIGS)
def test_bad_config_is_one_line_naming_file_and_field_before_any_call(tmp_path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code, lines = _cli(["run", "--config", str(path)])
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path}: field ") and expected in lines[0], lines
    assert not (tmp_path / "var").exists()  # nothing started: no landing folder, no database


def test_good_urls_still_load(tmp_path) -> None:
    for url in ("https://api.deepseek.com", "http://127.0.0.1:8080/v1", "emulator"):
        path = tmp_path / "c.toml"
        path.write_text(MONEY_CONFIG.replace('"emulator"', f'"{url}"'))
        assert load_config(path).providers["deepseek"].base_url == url


def test_resume_of_an_unknown_run_says_did_you_mean(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(MONEY_CONFIG)
    (tmp_path / "var/landing/20250930T0200-abc123").mkdir(parents=True)
    (tmp_path / "var/landing/20250930T0200-abc123/run.json").write_text("{}")
    code, lines = _cli(["run", "--config", str(path), "--resume", "20250930T0200-abc12"])
    assert code == 1
    assert len(lines) == 1 and "--resume 20250930T0200-abc12: no such run" in lines[0]
    assert lines[0].endswith("Did you mean: 20250930T0200-abc123?")
    assert sorted(p.name for p in (tmp_path / "var/landing").iterdir()) == ["20250930T0200-abc123"]
