"""Every grader with passing and failing edge cases; the sandbox has no network and cannot hang a run."""

from __future__ import annotations

import asyncio

import pytest

from costbench.catalog.tasks import Case, GraderSpec
from costbench.errors import CatalogError
from costbench.catalog.graders import Grade, chrf, get_grader, grade_async


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


def test_endless_loop_fails_with_a_timeout_reason() -> None:
    passed, _, reason = g("unit_tests", "```python\nwhile True:\n    pass\n```", "", timeout_s=1)
    assert not passed and reason == "timed out after 1 s"


def test_unknown_grader_and_bad_args_are_clear() -> None:
    with pytest.raises(CatalogError, match="Did you mean: numeric"):
        get_grader(GraderSpec(name="numerik"))
    with pytest.raises(CatalogError, match="field 'grader.args.tolerence': .*Did you mean: tolerance"):
        get_grader(GraderSpec(name="numeric", args={"tolerence": 1}))
    with pytest.raises(CatalogError, match="field 'grader.args.pattern': regex does not compile"):
        get_grader(GraderSpec(name="regex", args={"pattern": "a("}))


def _chrf_quadratic(hypothesis: str, reference: str, n: int = 6, beta: float = 2.0) -> float:
    """The previous implementation (list.count per n-gram), kept here as the reference for the Counter version."""
    hyp, ref = "".join(hypothesis.split()), "".join(reference.split())
    precisions, recalls = [], []
    for k in range(1, n + 1):
        h = [hyp[i:i + k] for i in range(len(hyp) - k + 1)]
        r = [ref[i:i + k] for i in range(len(ref) - k + 1)]
        if not h or not r:
            continue
        common = sum(min(h.count(x), r.count(x)) for x in set(h))
        precisions.append(common / len(h))
        recalls.append(common / len(r))
    if not precisions:
        return 0.0
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    return 0.0 if p + r == 0 else (1 + beta**2) * p * r / (beta**2 * p + r)


@pytest.mark.parametrize(("hyp", "ref"), [
    ("the cat sat on the mat", "the cat sat on a mat"),
    ("La réunion est déplacée à jeudi.", "La réunion a été déplacée à jeudi."),
    ("会议改到星期四", "会议改到了星期四"),
    ("aaaa aaaa", "aa"),
    ("", "reference"),
    ("x", "y"),
    ("abcabcabcabc" * 5, "abcab" * 9),
])
def test_chrf_counter_equals_the_previous_implementation(hyp: str, ref: str) -> None:
    assert chrf(hyp, ref) == pytest.approx(_chrf_quadratic(hyp, ref), abs=1e-12)


def test_chrf_hand_computed() -> None:
    # "ab" vs "ab": every n-gram order present (n=1,2) matches fully -> P = R = 1 -> F = 1.
    assert chrf("a b", "ab") == 1.0
    # "ab" vs "ac": unigrams 1/2 common, bigrams 0/1 -> P = R = (0.5 + 0) / 2 = 0.25 -> F = 0.25.
    assert chrf("ab", "ac") == pytest.approx(0.25)


def test_grading_runs_off_the_event_loop() -> None:
    """While a sandboxed grade sleeps, the loop keeps turning (a blocked loop would tick zero times)."""
    ticks = 0

    async def ticker(done: asyncio.Event) -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    async def main() -> Grade:
        done = asyncio.Event()
        task = asyncio.create_task(ticker(done))
        grade = await grade_async(GraderSpec(name="unit_tests"), "```python\nimport time\ntime.sleep(0.5)\n```",
                                  Case(id="c", target="assert True"))
        done.set()
        await task
        return grade

    grade = asyncio.run(main())
    assert grade.passed and ticks > 5


def test_reasons_are_one_line_without_terminal_control_characters() -> None:
    from costbench.catalog.graders import sanitize

    assert sanitize("tests fail: \x1b[2J\x1b[31mred\nnext\x07", keys=()) == "tests fail: \\x1b[2J\\x1b[31mred next\\x07"
    long = sanitize("x" * 1000, keys=())
    assert len(long) == 200 and long.endswith("…")


def test_unit_tests_prose_fails_before_any_sandbox_and_warnings_do_not_fail_code() -> None:
    passed, _, reason = g("unit_tests", "I am not sure about this one, sorry.", "assert f() == 1")
    assert not passed and reason.startswith("tests fail: SyntaxError")
    code = '```python\nPATTERN = "\\d+"\ndef f():\n    return 1\n```'  # "\d" in a plain string: a SyntaxWarning only
    assert g("unit_tests", code, "assert f() == 1")[0]
