import pytest
from tiny_gguf import CHAT_TEMPLATE

from oci_magic.backends.chat_formats import (
    CompletionFormat,
    DeepSeekCoderFormat,
    TemplateFormat,
    choose_format,
)
from oci_magic.errors import ChatFormatError

CONVERSATION = [
    {"role": "system", "content": "You write Python."},
    {"role": "user", "content": "print 42"},
]
REPLY = "```python\nprint(42)\n```"
FEEDBACK = {"role": "user", "content": "Execution result: \n42"}


def test_deepseek_coder_format_matches_the_instruct_layout():
    prompt = DeepSeekCoderFormat().render(CONVERSATION)
    assert prompt == "You write Python.\n### Instruction:\nprint 42\n### Response:\n"
    longer = DeepSeekCoderFormat().render(CONVERSATION + [{"role": "assistant", "content": REPLY}, FEEDBACK])
    assert f"### Response:\n{REPLY}\n<|EOT|>\n### Instruction:\nExecution result: \n42\n" in longer


def test_completion_format_opens_a_python_fence_and_restores_the_eaten_one():
    fmt = CompletionFormat()
    prompt = fmt.render(CONVERSATION)
    assert prompt.endswith("### Answer\n```python\n")
    cut_reply = "```python\nprint(42)\n"  # the stop string "```" removed the closing fence
    longer = fmt.render(CONVERSATION + [{"role": "assistant", "content": cut_reply}, FEEDBACK])
    assert "```python\nprint(42)\n```\n\n### Request\nExecution result:" in longer


@pytest.mark.parametrize(
    "fmt",
    [DeepSeekCoderFormat(), CompletionFormat(), TemplateFormat(CHAT_TEMPLATE, eos_token="</s>")],
    ids=lambda f: f.name,
)
def test_rendering_is_append_only(fmt):
    """The next round's prompt starts with this round's prompt and the reply: llama.cpp reuses its cache."""
    reply = fmt.reply_prefix + "print(42)\n```" if fmt.reply_prefix else REPLY
    first = fmt.render(CONVERSATION)
    second = fmt.render(CONVERSATION + [{"role": "assistant", "content": reply}, FEEDBACK])
    generated = reply[len(fmt.reply_prefix) :]
    assert second.startswith(first + generated)


def test_template_format_renders_the_gguf_template():
    prompt = TemplateFormat(CHAT_TEMPLATE, eos_token="</s>").render(CONVERSATION)
    assert prompt == "<|system|>\nYou write Python.</s>\n<|user|>\nprint 42</s>\n<|assistant|>\n"


def test_template_raise_exception_becomes_a_clear_error():
    fmt = TemplateFormat("{{ raise_exception('roles must alternate') }}")
    with pytest.raises(ValueError, match="roles must alternate"):
        fmt.render(CONVERSATION)


@pytest.mark.parametrize(
    "requested, template, name, expected",
    [
        ("auto", CHAT_TEMPLATE, "anything", "template"),
        ("auto", None, "OpenCodeInterpreter-DS-6.7B-Q4_K_M.gguf", "deepseek-coder"),
        ("auto", None, "deepseek-coder-6.7b-instruct", "deepseek-coder"),
        ("auto", None, "Gemma 3 270m", "completion"),
        ("completion", CHAT_TEMPLATE, "anything", "completion"),
        ("deepseek-coder", CHAT_TEMPLATE, "anything", "deepseek-coder"),
    ],
)
def test_choose_format(requested, template, name, expected):
    assert choose_format(requested, template=template, eos_token="", model_name=name).name == expected


def test_choose_format_refuses_template_when_the_file_has_none():
    with pytest.raises(ChatFormatError, match="has no chat template"):
        choose_format("template", template=None, eos_token="", model_name="x")
    with pytest.raises(ChatFormatError, match="unknown chat format"):
        choose_format("chatml", template=None, eos_token="", model_name="x")
