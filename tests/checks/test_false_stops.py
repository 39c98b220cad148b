"""Correct answers pass their first round: the checks stop a round only where they are certain. Each
request of `plain_requests` (phrased the ways people type, none in the wording of a check) is answered with a
correct solution through real %%oci in the real IPython shell, every check on."""

import warnings

import pytest
from helpers import block
from plain_requests import FILES, REQUESTS

import oci_magic


@pytest.mark.parametrize("setup, request_text, answer", REQUESTS, ids=[r[1][:40] for r in REQUESTS])
def test_a_correct_answer_passes_its_first_round(
    shell, scripted, tmp_path, monkeypatch, setup, request_text, answer
):
    monkeypatch.chdir(tmp_path)
    for name, content in FILES.items():
        (tmp_path / name).write_text(content)
    shell.run_cell(setup)
    scripted([block(answer)] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shell.run_cell(f"%%oci --new\n{request_text}")
    run = oci_magic.last_run()
    assert [r.status for r in run.rounds] == ["passed"], run.rounds[0].shortfalls or run.rounds[0].error
