"""Turning a model's tokens into reply text as they come: incremental UTF-8 and stop strings.

A character can span tokens (emoji, CJK, box drawing): its bytes wait until the last one arrives, and bytes
that can never form a character become U+FFFD instead of blocking the stream. A stop string ends the reply
and no part of it is ever shown: text that could be the start of one is held back until it cannot. Each
token costs the same whatever the reply's length (nothing is re-decoded from the start).
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence

__all__ = ["ReplyText"]


class ReplyText:
    def __init__(self, stops: Sequence[str] = ()) -> None:
        self.stops = [stop for stop in stops if stop]
        self._longest = max((len(stop) for stop in self.stops), default=0)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.text = ""  # the reply so far (without the stop string once one was found)
        self.stopped = False  # a stop string was found
        self._shown = 0  # characters of `text` handed out already

    def _held_back(self) -> int:
        """How many characters at the end of the text could begin a stop string."""
        held = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(self.text)), held, -1):
                if self.text.endswith(stop[:size]):
                    held = size
                    break
        return held

    def feed(self, piece: bytes) -> str:
        """Add a token's bytes; return the text that can be shown now (often "", never part of a stop)."""
        if self.stopped:
            return ""
        new = self._decoder.decode(piece)
        if not new:
            return ""
        search_from = max(0, len(self.text) - self._longest + 1)
        self.text += new
        found = [at for at in (self.text.find(stop, search_from) for stop in self.stops) if at != -1]
        if found:
            self.text = self.text[: min(found)]
            self.stopped = True
            return self._take(len(self.text))
        return self._take(len(self.text) - self._held_back())

    def finish(self) -> str:
        """The end of the reply: whatever was held back (an incomplete character becomes U+FFFD)."""
        if not self.stopped:
            self.text += self._decoder.decode(b"", final=True)
        return self._take(len(self.text))

    def _take(self, upto: int) -> str:
        chunk = self.text[self._shown : upto]
        self._shown = max(self._shown, upto)
        return chunk
