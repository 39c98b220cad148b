"""`oci-magic eval completion`'s mechanics on problems of our own in DS-1000's format (ds1000_like.py): the
question's code becomes the cell above, points fall inside the reference's lines, and the replay with the
real 0.5B records both prompts on the same points. The figures are this machine's and are not asserted."""

import pytest
from ds1000_like import write_problems

from oci_magic.backends.llamacpp import LlamaCppBackend
from oci_magic.evaluation.completion import points_of, question_code, replay, summary
from oci_magic.evaluation.ds1000 import load_problems
from oci_magic.models.resolve import resolve_model


@pytest.fixture(scope="module")
def problems(tmp_path_factory):
    return load_problems(write_problems(tmp_path_factory.mktemp("ds1000") / "test.jsonl.gz"))


def test_points_fall_inside_the_reference_lines_with_the_question_code_above(problems):
    for problem in problems:
        for point in points_of(problem):
            line = point.before.rsplit("\n", 1)[-1] + point.expected
            assert line in problem.reference_cell.split("\n") and point.expected.strip()
            assert point.before.rsplit("\n", 1)[-1].strip()  # inside the line, not at its start
            assert point.above == question_code(problem.prompt) and point.above.strip()
            assert "<code>" not in point.above and "SOLUTION START" not in point.above


def test_question_code_takes_the_code_block_or_the_code_before_the_answer():
    assert (
        question_code("Problem:\n<code>\nimport numpy as np\na = 1\n</code>\nBEGIN")
        == "import numpy as np\na = 1"
    )
    assert (
        question_code("import matplotlib.pyplot as plt\n# SOLUTION START\n")
        == "import matplotlib.pyplot as plt"
    )


@pytest.mark.slow
def test_the_replay_records_both_prompts_on_the_same_points(problems):
    points = [point for problem in problems[:2] for point in points_of(problem)][:2]
    backend = LlamaCppBackend(resolve_model("qwen-coder-0.5b")[0], n_ctx=2048)
    try:
        found = replay(backend.suggestions(), points, max_tokens=8)
    finally:
        backend.close()
    assert set(found) == {"naive", "cells above"}
    for records in found.values():
        assert [r["expected"] for r in records] == [p.expected for p in points]
        assert all(0 <= r["similarity"] <= 1 and r["first_token_seconds"] is not None for r in records)
    figures = summary(found["cells above"])
    assert figures["points"] == len(points) and figures["first_token_median"] > 0
