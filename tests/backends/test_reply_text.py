"""Reply text from token bytes: incremental UTF-8, stop strings never shown, on plain data and on the real
engine."""

from oci_magic.backends.reply_text import ReplyText


def feed_all(reply: ReplyText, pieces: list[bytes]) -> list[str]:
    return [reply.feed(piece) for piece in pieces] + [reply.finish()]


def test_a_character_split_across_tokens_waits_for_its_last_byte():
    snake = "🐍".encode()
    shown = feed_all(ReplyText(), [b"a ", snake[:1], snake[1:3], snake[3:], b" b"])
    assert shown == ["a ", "", "", "🐍", " b", ""]


def test_bytes_that_never_make_a_character_become_a_replacement_and_do_not_block():
    reply = ReplyText()
    shown = feed_all(reply, [b"x\xff", b"y", b"\xe2\x82"])  # a stray byte, then a truncated euro sign
    assert shown == ["x\ufffd", "y", "", "\ufffd"] and reply.text == "x\ufffdy\ufffd"


def test_a_stop_string_across_tokens_is_never_shown_and_ends_the_reply():
    reply = ReplyText(["<|EOT|>"])
    shown = feed_all(reply, [b"print(1)\n", b"<|", b"EO", b"T|>", b"more"])
    assert "".join(shown) == "print(1)\n" and reply.stopped and reply.text == "print(1)\n"
    assert shown[1:3] == ["", ""]  # held back while it could still be the stop string


def test_text_held_back_as_a_possible_stop_is_released_when_it_is_not_one():
    reply = ReplyText(["\n### Instruction:"])
    shown = feed_all(reply, [b"a\n", b"###", b" Heading", b"\n"])
    assert shown[0] == "a" and shown[1] == "" and "".join(shown) == "a\n### Heading\n" and not reply.stopped


def test_the_earliest_of_several_stops_wins_even_inside_one_piece():
    reply = ReplyText(["```", "\n### Request"])
    assert feed_all(reply, [b"x = 1\n### Request\n```"]) == ["x = 1", ""]
