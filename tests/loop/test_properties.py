"""Property-based tests (hypothesis) for the two pieces of pure logic every run goes through: finding the code
in a reply, and trimming a conversation to the context window."""

from __future__ import annotations

import ast

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from oci_magic.errors import ContextOverflowError
from oci_magic.loop.extract import extract_code
from oci_magic.loop.prompts import fit_messages
from oci_magic.loop.repetition import repetition_start

FENCE = "```"

# -- code extraction --------------------------------------------------------------------------------------
names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda name: (
        name not in {"if", "in", "is", "or", "as", "def", "del", "for", "not", "and", "try", "len"}
        and not __import__("keyword").iskeyword(name)
    )
)
statements = st.one_of(
    st.builds(lambda n, v: f"{n} = {v}", names, st.integers(-1000, 1000)),
    st.builds(
        lambda n: f"print({n!r})",
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20),
    ),
    st.builds(lambda n, m: f"def {n}(x):\n    return x * {m}", names, st.integers(0, 9)),
    st.builds(lambda n: f"for i in range(3):\n    {n} = i", names),
)
programs = st.lists(statements, min_size=1, max_size=6).map("\n".join)
# Prose never opens a fence and never parses as Python on its own.
prose = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=80).map(
    lambda text: text.replace("`", "'") + " :"
)


@given(program=programs, before=prose, after=prose, label=st.sampled_from(["python", "py", "", "python3"]))
def test_one_python_block_is_found_exactly(program, before, after, label):
    reply = f"{before}\n{FENCE}{label}\n{program}\n{FENCE}\n{after}"
    assert extract_code(reply) == program


def _bound(code: str) -> set[str]:
    """Names a program binds (assignments, functions, loop variables)."""
    tree = ast.parse(code)
    bound = {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    return bound | {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


@given(first=programs, second=programs, between=prose)
def test_several_blocks_are_joined_in_order_or_one_version_is_taken(first, second, between):
    reply = f"{FENCE}python\n{first}\n{FENCE}\n{between}\n{FENCE}python\n{second}\n{FENCE}"
    code = extract_code(reply)
    if _bound(first).isdisjoint(_bound(second)):
        assert code == f"{first}\n\n{second}"  # the second block builds on the first
    else:
        assert code in (f"{first}\n\n{second}", first, second)  # steps, or versions of the same code


@given(program=programs, cut=st.integers(0, 200))
def test_a_reply_cut_in_its_block_gives_a_prefix_of_the_code(program, cut):
    reply = f"Sure:\n{FENCE}python\n{program}"[: len("Sure:\n```python\n") + cut]
    code = extract_code(reply)
    assert code is None or program.startswith(code.rstrip())


@given(text=st.text(max_size=300))
def test_any_text_gives_none_or_code_that_parses(text):
    code = extract_code(text)
    if code is not None and FENCE not in text:
        ast.parse(code)  # bare code is taken only when it is valid Python


@given(program=programs, other=st.sampled_from(["bash", "json", "text", "output", "sql"]))
def test_blocks_labelled_as_other_languages_never_run(program, other):
    assert extract_code(f"{FENCE}{other}\n{program}\n{FENCE}") is None


# -- history trimming ---------------------------------------------------------------------------------------
def count(messages: list[dict]) -> int:
    """A deterministic token count: one per 4 characters and 4 per message, as chat templates add."""
    return sum(len(m["content"]) // 4 + 4 for m in messages)


contents = st.text(min_size=1, max_size=600)


@st.composite
def conversations(draw):
    """A system prompt, earlier exchanges, the current request and its rounds so far (reply, feedback)."""
    earlier = draw(st.integers(0, 4))
    rounds = draw(st.integers(0, 4))
    messages = [{"role": "system", "content": draw(contents)}]
    for _ in range(earlier):
        messages += [
            {"role": "user", "content": draw(contents)},
            {"role": "assistant", "content": draw(contents)},
        ]
    request_at = len(messages)
    messages.append({"role": "user", "content": draw(contents)})
    for _ in range(rounds):
        messages += [
            {"role": "assistant", "content": draw(contents)},
            {"role": "user", "content": draw(contents)},
        ]
    return messages, request_at


@settings(max_examples=300)
@given(conversation=conversations(), budget=st.integers(20, 1500))
def test_trimmed_history_fits_keeps_what_matters_and_alternates(conversation, budget):
    messages, request_at = conversation
    try:
        kept = fit_messages(messages, budget=budget, count_tokens=count, current_start=request_at)
    except ContextOverflowError as error:
        # Only when the system prompt, the request and the latest exchange cut to its shortest (two messages
        # of at most SHORTEST_TRIM characters and a marker: 61 tokens each here) cannot fit.
        essentials = count([messages[0], messages[request_at]])
        latest = 2 * 61 if len(messages) > request_at + 1 else 0
        assert essentials + latest > budget
        assert f"leaves {budget} for it" in str(error)
        return
    assert count(kept) <= budget
    assert kept[0] == messages[0]  # the system prompt stays
    assert messages[request_at] in kept  # so does the current request
    roles = [m["role"] for m in kept[1:]]
    assert all(a != b for a, b in zip(roles, roles[1:], strict=False))  # user and assistant alternate
    assert roles[-1] == messages[-1]["role"]
    if len(messages) > request_at + 1:  # the latest exchange stays, trimmed in its middle at most
        assert kept[-1]["content"][:20] == messages[-1]["content"][:20]
    # Nothing is invented: every kept message is an original one, or its head and tail.
    for message in kept:
        assert any(message["content"][:10] == m["content"][:10] for m in messages)


@given(conversation=conversations())
def test_a_history_that_fits_is_left_alone(conversation):
    messages, request_at = conversation
    assert (
        fit_messages(messages, budget=count(messages), count_tokens=count, current_start=request_at)
        == messages
    )


# -- repetition ---------------------------------------------------------------------------------------------
@given(
    head=st.text(max_size=200),
    block=st.lists(
        st.text(min_size=3, max_size=30).filter(
            lambda line: "\n" not in line and line.strip() and len(line.strip()) >= 3
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_a_looping_tail_is_cut_after_its_first_copy(head, block):
    unit = "".join(line + "\n" for line in block)
    assume(not head.endswith(unit))
    text = head + ("\n" if head and not head.endswith("\n") else "") + unit * 12
    cut = repetition_start(text)
    assert cut is not None and cut >= len(head)  # nothing before the loop is dropped
    kept, dropped = text[:cut], text[cut:]
    # What is dropped is copies of a unit the kept text already ends with.
    assert any(
        len(dropped) % size == 0
        and dropped == dropped[:size] * (len(dropped) // size)
        and kept.endswith(dropped[:size])
        for size in range(1, len(dropped) + 1)
    )
