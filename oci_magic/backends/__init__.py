"""Engines that write the code. The contract is `Backend` (base.py): a `name` and `stream_chat(messages,
**options)` yielding the reply in chunks; token counting, the context size, cloning, closing and a
description have defaults. A reply's figures come back with it (`Reply.stats`)."""

from oci_magic.backends.base import Backend, Reply, ReplyStats, estimate_tokens

__all__ = ["Backend", "Reply", "ReplyStats", "estimate_tokens"]
