"""The run path never starts the emulator: the pipeline does, once, and passes its URL down."""

from __future__ import annotations

import httpx2
import pytest

from costbench import pipeline
from costbench.errors import ConfigError
from costbench.run.runner import run_catalog
from tests.runner_support import write_config


def test_the_runner_refuses_an_emulated_provider_without_a_url(tmp_path) -> None:
    cfg = write_config(tmp_path, None, models=("deepseek/deepseek-chat",))
    with pytest.raises(ConfigError, match=r"needs a running emulator: use `costbench run`.*\[emulator\] url"):
        run_catalog(cfg, run_id="r1")
    assert not (cfg.paths.landing / "r1").exists()  # refused before the manifest or any intent


def test_the_pipeline_starts_an_emulator_only_when_one_is_needed(tmp_path) -> None:
    real = write_config(tmp_path / "real", None, models=("deepseek/deepseek-chat",),
                        base_urls={"deepseek": "http://127.0.0.1:9"})
    with pipeline.emulator_for(real) as url:
        assert url is None  # no emulated provider: nothing started
    given = write_config(tmp_path / "given", "http://127.0.0.1:9", models=("deepseek/deepseek-chat",))
    with pipeline.emulator_for(given) as url:
        assert url == "http://127.0.0.1:9"  # [emulator] url: used as is
    emulated = write_config(tmp_path / "emulated", None, models=("deepseek/deepseek-chat",))
    with pipeline.emulator_for(emulated) as url:
        assert url is not None and url.startswith("http://127.0.0.1:")
        assert httpx2.get(f"{url}/_emulator/health", timeout=10).status_code == 200
    with pytest.raises(httpx2.TransportError):  # stopped with the block
        httpx2.get(f"{url}/_emulator/health", timeout=2)


def test_pipeline_run_catalog_runs_an_emulated_config_end_to_end(tmp_path) -> None:
    from costbench.run import journal

    cfg = write_config(tmp_path, None, models=("deepseek/deepseek-chat",), tasks=["capital_cities"])
    result = pipeline.run_catalog(cfg, run_id="r1")
    landed = journal.landed_records(cfg.paths.landing, "r1")
    assert result.sent_calls == len(landed) > 0 and result.failed_calls == 0
    assert all(r["simulated"] and r["status"] == "ok" for r in landed.values())
