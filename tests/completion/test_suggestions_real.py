"""Suggestions from the real Qwen2.5-Coder-0.5B (the `coder-small` extra): the engine fills the gap in a
context of its own, continues the text it is given, reuses what it evaluated for the last keystroke, stops
when cancelled, and leaves the conversation's cache as it was. What the model writes is one machine's
greedy text; what is asserted is what the mechanism guarantees on every CPU."""

import pytest

from oci_magic.backends.llamacpp import LlamaCppBackend
from oci_magic.completion.prompt import Around
from oci_magic.completion.suggest import suggest
from oci_magic.models.resolve import resolve_model

pytestmark = pytest.mark.slow

BEFORE = "import pandas as pd\nsales = pd.DataFrame({'region': ['n', 's'], 'units': [3, 4]})\ntotals = sales."
AFTER = "\nprint(totals)\n"


@pytest.fixture(scope="module")
def coder():
    backend = LlamaCppBackend(resolve_model("qwen-coder-0.5b")[0], n_ctx=2048)
    yield backend
    backend.close()


def test_a_suggestion_continues_the_line_in_a_context_of_its_own(coder):
    messages = [{"role": "user", "content": "write x = 1 in python"}]
    "".join(coder.stream_chat(messages, max_tokens=8))
    conversation = list(coder._llm.input_ids[: coder._llm.n_tokens])
    found = suggest(coder.suggestions(), Around(before=BEFORE, after=AFTER), max_tokens=16)
    assert found.complete and not found.cancelled and found.first_token_seconds is not None
    assert "\n" not in found.text  # inside a line: that line only
    assert not found.text.endswith(")\nprint")
    # The conversation's KV cache is untouched: the next round reuses it.
    assert list(coder._llm.input_ids[: coder._llm.n_tokens]) == conversation


def test_the_next_keystroke_evaluates_only_what_changed(coder):
    engine, before = coder.suggestions(), "import numpy as np\nvalues = np.arange(12)\ngrid = values.res"
    suggest(engine, Around(before=before, after=AFTER), max_tokens=4)
    assert engine.evaluated > len(engine.tokens(before))  # a new prompt: all of it
    suggest(engine, Around(before=before + "g", after=AFTER), max_tokens=4)
    # The typed character (with the token it may merge into) and what follows the cursor, no more.
    following = engine.tokens(engine.markers.suffix + AFTER + engine.markers.middle)
    assert engine.evaluated <= len(following) + 2 < len(engine.tokens(before))


def test_a_cancelled_suggestion_stops_at_once(coder):
    texts = []
    found = suggest(
        coder.suggestions(),
        Around(before="def fibonacci(n):\n    ", after=""),
        max_tokens=64,
        cancelled=lambda: len(texts) >= 1,
        on_text=texts.append,
    )
    assert found.cancelled and not found.complete and len(texts) == 1


def test_a_model_without_fill_in_the_middle_says_so(tiny_gguf):
    backend = LlamaCppBackend(tiny_gguf, n_ctx=256)
    try:
        with pytest.raises(ValueError, match="not trained to fill in the middle"):
            backend.suggestions()
    finally:
        backend.close()
