"""Turning a list of chat messages into the one prompt string a local model reads.

Three shapes: the GGUF's own `tokenizer.chat_template` (Jinja) when the file has one; the DeepSeek-Coder
instruct format for OpenCodeInterpreter-DS files that lack it; and a completion-style document for base
models, which have no chat training but continue a markdown page with a ```python block readily.

Every format renders a conversation so that the prompt of the next round starts with the prompt of this
one plus the reply: llama.cpp then reuses its cache and evaluates only the new tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from oci_magic.errors import ChatFormatError

__all__ = [
    "ChatFormat",
    "CompletionFormat",
    "DeepSeekCoderFormat",
    "TemplateFormat",
    "choose_format",
    "FORMAT_NAMES",
]

FORMAT_NAMES = ("auto", "template", "deepseek-coder", "completion")


class ChatFormat(Protocol):
    name: str
    #: Text the reply is forced to start with (already in the prompt); the reply record includes it.
    reply_prefix: str
    stop: list[str]

    def render(self, messages: list[dict]) -> str:
        """The prompt for `messages`, ending where the assistant's next reply begins."""
        ...


@dataclass
class TemplateFormat:
    """The chat template embedded in the GGUF file (`tokenizer.chat_template`)."""

    template: str
    eos_token: str = ""
    name: str = "template"
    reply_prefix: str = ""
    stop: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        def raise_exception(message: str) -> None:
            raise ChatFormatError(
                f"the model's chat template refused the conversation: {message}. Try "
                "%config OciMagics.chat_format = 'deepseek-coder' (or 'completion')"
            )

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.globals.update(
            raise_exception=raise_exception,
            strftime_now=lambda fmt: datetime.now().strftime(fmt),
        )
        try:
            self._compiled = env.from_string(self.template)
        except Exception as exc:  # a template jinja cannot compile
            raise ChatFormatError(
                f"the model's chat template does not compile ({exc}); use "
                "%config OciMagics.chat_format = 'deepseek-coder' (or 'completion')"
            ) from exc

    def render(self, messages: list[dict]) -> str:
        # bos_token is left empty: the tokenizer adds BOS itself, and a second one would hurt the model.
        return self._compiled.render(
            messages=messages, add_generation_prompt=True, bos_token="", eos_token=self.eos_token
        )


@dataclass
class DeepSeekCoderFormat:
    """DeepSeek-Coder instruct, which OpenCodeInterpreter-DS models were fine-tuned on."""

    eos_token: str = "<|EOT|>"
    name: str = "deepseek-coder"
    reply_prefix: str = ""
    stop: list[str] = field(default_factory=lambda: ["<|EOT|>", "\n### Instruction:"])

    def render(self, messages: list[dict]) -> str:
        parts = []
        for message in messages:
            role, content = message["role"], message["content"]
            if role == "system":
                parts.append(content.rstrip("\n") + "\n")
            elif role == "user":
                parts.append(f"### Instruction:\n{content}\n")
            else:
                parts.append(f"### Response:\n{content}\n{self.eos_token}\n")
        parts.append("### Response:\n")
        return "".join(parts)


@dataclass
class CompletionFormat:
    """A markdown page for base models: requests and results as sections, answers as ```python blocks.

    The prompt ends inside an opened ```python fence, so even a small base model writes code; the
    closing fence is its stop string.
    """

    name: str = "completion"
    reply_prefix: str = "```python\n"
    stop: list[str] = field(default_factory=lambda: ["```", "\n### Request"])
    #: One worked exchange after the system text: base models follow a shown pattern far better
    #: than a described one.
    example: str = (
        "### Request\nwrite a function cube(x) that returns x to the power of 3\n\n"
        "### Answer\n```python\ndef cube(x):\n    return x ** 3\n\nprint(cube(2))\n```\n\n"
        "### Request\nExecution result: \n8\n\n"
    )

    def render(self, messages: list[dict]) -> str:
        parts = []
        for message in messages:
            role, content = message["role"], message["content"]
            if role == "system":
                parts.append(content.rstrip("\n") + "\n\n" + self.example)
            elif role == "user":
                parts.append(f"### Request\n{content.rstrip()}\n\n")
            else:
                reply = content.rstrip()
                if reply.count("```") % 2:  # the stop string ate the closing fence: put it back
                    reply += "\n```"
                parts.append(f"### Answer\n{reply}\n\n")
        parts.append("### Answer\n" + self.reply_prefix)
        return "".join(parts)


_DEEPSEEK_NAMES = re.compile(r"deepseek|opencodeinterpreter|oci-ds", re.I)


def choose_format(requested: str, *, template: str | None, eos_token: str, model_name: str) -> ChatFormat:
    """Pick the chat format for a model: the requested one, or the best available when "auto"."""
    if requested not in FORMAT_NAMES:
        raise ChatFormatError(f"unknown chat format {requested!r}; use one of {', '.join(FORMAT_NAMES)}")
    if requested == "template" or (requested == "auto" and template):
        if not template:
            raise ChatFormatError(
                "this model file has no chat template (tokenizer.chat_template) for chat_format 'template'; "
                "use %config OciMagics.chat_format = 'auto' (or 'deepseek-coder', 'completion')"
            )
        return TemplateFormat(template, eos_token=eos_token)
    if requested == "deepseek-coder" or (requested == "auto" and _DEEPSEEK_NAMES.search(model_name)):
        return DeepSeekCoderFormat()
    return CompletionFormat()
