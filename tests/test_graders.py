"""Every grader with passing and failing edge cases; the sandbox has no network and cannot hang a run."""

from __future__ import annotations

import time

import pytest

from costbench.catalog.tasks import Case, GraderSpec
from costbench.errors import CatalogError
from costbench.catalog.graders import chrf, get_grader


def g(name: str, output: str, target: object, **args: object) -> tuple[bool, float, str]:
    grade = get_grader(GraderSpec(name=name, args=args))(output, Case(id="c", target=target))
    return grade.passed, grade.score, grade.reason


@pytest.mark.parametrize(("name", "args", "output", "target", "passed"), [
    ("exact", {}, "  Canberra\n", "Canberra", True),
    ("exact", {}, "canberra", "Canberra", False),
    ("normalized_exact", {}, "Positive.", "positive", True),
    ("normalized_exact", {}, "positive-ish", "positive", False),
    ("numeric", {"tolerance": "0.01"}, "The answer is 13.75 euros", "13.75", True),
    ("numeric", {}, "1,250 items", 1250, True),
    ("numeric", {}, "about 13", "13.75", False),
    ("numeric", {}, "no idea", 3, False),
    ("regex", {"pattern": r"^\d{4}-\d{2}$", "flags": "m"}, "x\n2025-09\ny", None, True),
    ("regex", {"pattern": "canberra", "flags": "i"}, "Sydney", None, False),
    ("contains_all", {}, "Outage of 47 Minutes; migration rolled back", ["47 minutes", "rolled back"], True),
    ("contains_all", {"case_insensitive": False}, "47 Minutes", ["47 minutes"], False),
    ("json_fields", {"schema": {"type": "object", "required": ["a"]}}, '```json\n{"a": "X ", "b": 2}\n```', {"a": "x"}, True),
    ("json_fields", {}, 'Sure: {"total": 12.50}', {"total": 12.5}, True),
    ("json_fields", {"schema": {"type": "object", "required": ["a"]}}, '{"b": 1}', {}, False),
    ("json_fields", {}, "no json here", {"a": 1}, False),
    ("similarity", {"threshold": 0.8}, "The meeting moved to Thursday.", "The meeting moved to Thursday.", True),
    ("similarity", {"threshold": 0.5}, "Bananas are yellow.", "The meeting moved to Thursday.", False),
    ("zh_segmentation_f1", {}, "我 爱 北京 天安门", "我/爱/北京/天安门", True),
    ("zh_segmentation_f1", {"threshold": 0.9}, "我爱 北京天安门", "我 爱 北京 天安门", False),
    ("zh_segmentation_f1", {}, "你 好", "我 爱", False),
])
def test_grader_edges(name: str, args: dict, output: str, target: object, passed: bool) -> None:
    assert g(name, output, target, **args)[0] is passed


def test_scores_are_partial_where_meaningful() -> None:
    assert g("contains_all", "a c", ["a", "b", "c", "d"])[1] == 0.5
    assert g("json_fields", '{"a": 1, "b": 3}', {"a": 1, "b": 2})[1] == 0.5
    assert 0 < chrf("the cat sat on the mat", "the cat sat on a mat") < 1


def test_unit_tests_pass_fail_and_reason() -> None:
    ok = g("unit_tests", "```python\ndef add(a, b):\n    return a + b\n```", "assert add(2, 3) == 5")
    bad = g("unit_tests", "```python\ndef add(a, b):\n    return a - b\n```", "assert add(2, 3) == 5")
    assert ok[0] and not bad[0] and "AssertionError" in bad[2]


def test_sandbox_has_no_network() -> None:
    code = "```python\nimport socket\ns = socket.socket()\ns.connect(('127.0.0.1', 9))\n```"
    passed, _, reason = g("unit_tests", code, "")
    assert not passed and "network access is disabled" in reason
    via_urllib = "```python\nimport urllib.request\nurllib.request.urlopen('http://127.0.0.1:9/')\n```"
    assert not g("unit_tests", via_urllib, "")[0]


def test_endless_loop_is_killed_quickly() -> None:
    start = time.monotonic()
    passed, _, reason = g("unit_tests", "```python\nwhile True:\n    pass\n```", "", timeout_s=1)
    assert not passed and "timed out" in reason
    assert time.monotonic() - start < 5


def test_unknown_grader_and_bad_args_are_clear() -> None:
    with pytest.raises(CatalogError, match="Did you mean: numeric"):
        get_grader(GraderSpec(name="numerik"))
    with pytest.raises(CatalogError, match="bad args"):
        get_grader(GraderSpec(name="numeric", args={"tolerence": 1}))


def test_unit_tests_prose_fails_before_any_sandbox_and_warnings_do_not_fail_code() -> None:
    passed, _, reason = g("unit_tests", "I am not sure about this one, sorry.", "assert f() == 1")
    assert not passed and reason.startswith("tests fail: SyntaxError")
    code = '```python\nPATTERN = "\\d+"\ndef f():\n    return 1\n```'  # "\d" in a plain string: a SyntaxWarning only
    assert g("unit_tests", code, "assert f() == 1")[0]
