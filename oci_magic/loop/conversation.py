"""The conversation a kernel keeps across `%%oci` cells: the system prompt, then alternating user and
assistant turns. Follow-up requests continue it; `%oci reset` or `--new` starts it again."""

from __future__ import annotations

from oci_magic.loop.prompts import SYSTEM_PROMPT

__all__ = ["Conversation"]


class Conversation:
    def __init__(self, system_prompt: str = SYSTEM_PROMPT) -> None:
        self.system_prompt = system_prompt
        self.messages: list[dict] = []
        self.reset()

    def reset(self) -> None:
        self.messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []

    def use_system_prompt(self, system_prompt: str) -> None:
        """Switch the system prompt; the turns so far stay."""
        if system_prompt != self.system_prompt:
            turns = [m for m in self.messages if m["role"] != "system"]
            self.system_prompt = system_prompt
            self.reset()
            self.messages += turns

    def add_user(self, content: str) -> int:
        """Add a user turn and return its index. A user turn right after another (a new request after
        the last round's execution result) joins it, so roles keep alternating."""
        if self.messages and self.messages[-1]["role"] == "user":
            self.messages[-1] = {
                "role": "user",
                "content": f"{self.messages[-1]['content']}\n\n{content}",
            }
        else:
            self.messages.append({"role": "user", "content": content})
        return len(self.messages) - 1

    def add_assistant(self, content: str) -> None:
        self.messages.append({"role": "assistant", "content": content})

    @property
    def turns(self) -> int:
        return sum(1 for message in self.messages if message["role"] == "user")
