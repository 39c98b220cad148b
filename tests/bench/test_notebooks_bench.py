"""Figures 12 and 13 of `oci-magic bench` measured for real on the tiny GGUF: the processes start, the
memory is read from /proc, the first request is timed with the warm start on and off, and the rows print.
The figures themselves are this machine's and are not asserted; what the mechanism guarantees is."""

from __future__ import annotations

import sys

import pytest

from oci_magic.bench import TARGETS, _mark, _row, notebooks

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")


def test_notebooks_sharing_a_model_are_measured_one_after_the_other(tiny_gguf):
    figures = notebooks.shared_model(str(tiny_gguf), n_ctx=4096, counts=2, tokens=4)
    off = figures["settings"]["off"]
    assert len(off) == 2 and off[0]["pid"] != off[1]["pid"]
    assert all(step["repack"] is False for step in off)
    # What two processes hold together is more than what the first held alone, and each holds its own.
    assert off[1]["together_bytes"] > off[0]["together_bytes"] > 0
    assert all(step["own_bytes"] > 0 and step["prompt_tokens"] > 0 for step in off)
    assert ("on" in figures["settings"]) == notebooks.repacking_allowed()


def test_the_first_request_is_timed_with_the_warm_start_on_and_off(tiny_gguf):
    figures = notebooks.first_request(str(tiny_gguf), wait=1.0, tokens=4)
    on, off = figures["on"], figures["off"]
    assert on["first_token_seconds"] > 0 and off["first_token_seconds"] > 0
    # Off, the whole prompt is evaluated at the request; on, its start was evaluated during the wait.
    assert off["evaluated"] == off["prompt_tokens"]
    assert on["evaluated"] < on["prompt_tokens"]
    rows = notebooks.notebook_rows(
        {
            "shared": notebooks.shared_model(str(tiny_gguf), n_ctx=4096, counts=2, tokens=4),
            "first_request": figures,
        },
        _row,
        _mark,
        TARGETS,
    )
    assert rows[0].startswith("12 a 2nd notebook, repacking off") and rows[-1].startswith("13 first %%oci")
