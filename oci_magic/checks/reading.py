"""What a request asks for by name, read once into a `Reading` that the checks of a round judge against.

A name is asked for *certainly* only where the request marks it as the name of a result, and then a missing
one stops the round:
- backticked in a result's slot ("Put the answer in `result`", "in `feature_names` and `X`");
- after "called"/"named" following a verb that makes something ("into a DataFrame called sales"), or
  quoted, or shaped like a variable (`price_num`, `df2`, `Xn`);
- "write a function f(", "define f(";
- "into X" ending its sentence ("Read trips.csv into trips."), "into a DataFrame X and ...", or a
  variable-shaped X ("into prices_df and compute ..."); "as X" for a variable-shaped X ending its clause;
- the first slot after "store", "save", "put", "assign" ("store the mean in mean_temp"); after "keep", only
  a variable-shaped one ("keep ... in blue" is a colour);
- "compute X" for a variable-shaped X, "a DataFrame X." for a variable-shaped X;
- columns asked for as columns ("into first and last columns", "a column called value", "a column
  `price`", "the column price_num").

Everything else that looks like a name is only *mentioned*: snake_case words of the prose (`value_counts`,
`parse_dates`), a plain word after "a column", a call written in the prose ("use the pandas apply()"), a
list after "into" ("into first_name, middle_name and last_name"), words ending in -ly or -ing. Those are not
fed back as failures; a missing one is a note for the user.

Words that are types, formats, units, libraries, idioms or plain nouns ("into datetime", "into a new table",
"the column names", "in case", "into account") are not names at all. Code blocks and answer-format
placeholders (`@mean_fare[mean_fare_value]`, `{answer}`) are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Asked", "Reading", "read_request"]


@dataclass(frozen=True)
class Asked:
    name: str
    column: bool = False  # only a DataFrame's column answers it
    certain: bool = True  # marked as a result's name; else only mentioned


@dataclass(frozen=True)
class Reading:
    request: str
    prose: str  # the request without its code blocks and answer-format placeholders
    asked: tuple[Asked, ...]

    @property
    def certain(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.asked if a.certain)

    @property
    def mentioned(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.asked if not a.certain)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.asked if a.column)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.asked)


_CODE_BLOCK = re.compile(r"```.*?(?:```|$)|<code>.*?(?:</code>|$)", re.S)
# "@mean_fare[mean_fare_value]", "{answer}": where an answer goes in a format, not a name to define.
_PLACEHOLDER = re.compile(r"@\w+\[[^\]\n]*\]|\{[^{}\n]*\}")
_KINDS = (
    r"(?:DataFrame|dataframe|data frame|frame|Series|series|list|dict|dictionary|variable|array|set|table|"
    r"tuple|string|number|value|function|Counter|counter|mapping)"
)
_ARTICLES = r"(?:(?:a|an|the|new|one)\s+)*"
_END = r"(?=\s*(?:[,;:!?()]|\.(?!\w)|$))"  # the end of a clause (not the dot of a file's name)
_STOP = r"(?=\s*(?:[;:!?()]|\.(?!\w)|$))"  # the end of a sentence or a parenthesis, not a comma
_NAME = r"[`'\"]?([A-Za-z_]\w*)[`'\"]?"

# Certain: the request marks these as the names of results.
_CALLED = re.compile(r"\b(?:called|named)\s+[`'\"]?([A-Za-z_]\w*)")
_FUNCTION = re.compile(r"\b(?:function|method)\s+`?([A-Za-z_]\w*)\s*\(")
_DEFINE_CALL = re.compile(
    r"\b(?i:write|define|implement|create|make)\s+(?:a\s+)?`?([a-z_]\w*)\((?=[\w\s,=*'\"]*\))"
)
_CONNECTED = r"\s+(?:and|with|then|so|that|which|indexed|sorted|where|for|per|by|from|as)\b"
# A comma that goes on with the clause ("into staff, with one row per person"), not with a list of names
# ("into first_name, middle_name and last_name": maybe labels, maybe not).
_COMMA = r"\s*,(?!\s*[A-Za-z_]\w*\s*(?:,|\band\b))"
# A slot where a result's name goes: "in X", "into a DataFrame X", "as X", "to X", then the end of a clause.
_SLOT = re.compile(
    rf"\b(?P<word>in|into|as|to)\s+(?P<articles>{_ARTICLES})(?P<kind>{_KINDS}\s+)?(?:called\s+|named\s+)?"
    rf"(?P<quote>[`'\"]?)(?P<name>[A-Za-z_]\w*)[`'\"]?(?P<after>{_STOP}|{_COMMA}|{_CONNECTED})"
)
# Verbs that put a result somewhere: "store the mean in mean_temp.", "Keep the 2 best ... in top_players.".
_STORE_VERB = re.compile(r"\b(?i:(store|save|put|assign|keep))\b")
_CLAUSE = re.compile(r"[^.;:\n]{0,120}")
# "compute total_revenue, the sum ...": a name-shaped word right after the verb.
_MADE = re.compile(r"\b(?i:compute|calculate)\s+([A-Za-z_]\w*)")
# "called X" asks for X after a verb that makes something ("into a DataFrame called sales"); elsewhere it
# may describe what the user already has ("the value to a numpy series called series").
_MAKES = re.compile(r"\b(?i:into|as|make|create|build|store|save|put|compute|write|define|return|keep)\b")
# "a DataFrame players." ("the function f" is a given one; "a function g(x, y)" is described).
_KIND_NAMED = re.compile(rf"\b(?:a|an)\s+(?:new\s+)?{_KINDS}\s+{_NAME}(?!\()(?=\s*(?:[,;:!?)]|\.(?!\w)|$))")
_BACKTICKED_RESULT = re.compile(
    rf"\b(?:in|into|as|to|called|named|variable|variables|function)\s+{_ARTICLES}(?:{_KINDS}\s+)?"
    r"(`[A-Za-z_]\w*`(?:\s*(?:,|,?\s*and)\s*`[A-Za-z_]\w*`)*)"  # "in `feature_names` and `X`": each
)
_LIST = r"([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*,?\s+and\s+[A-Za-z_]\w*)"
_COLUMN_LISTS = (
    re.compile(rf"\binto\s+(?:(?:the|two|three|new|separate)\s+)*{_LIST}\s+columns\b"),
    re.compile(
        rf"\b(?:into|new)\s+(?:(?:the|two|three|new|separate)\s+)*columns\s+(?:called\s+|named\s+)?{_LIST}"
    ),
)
_COLUMN_MARKED = re.compile(
    r"\bcolumns?\s+(?:called\s+|named\s+)[`'\"]?([A-Za-z_]\w*)|\bcolumn\s+[`'\"]([A-Za-z_]\w*)[`'\"]"
)

# Mentioned: words shaped like names, whose role the words around them do not say.
_COLUMN_WORD = re.compile(
    r"\b(?:a|an|the)\s+(?:(?:new|numeric|datetime|date|boolean|text|string|integer|float|extra|separate|"
    r"additional|helper)\s+)?column\s+([A-Za-z_]\w*)"
)
_BACKTICKED = re.compile(r"(?<![.\w])`([A-Za-z_]\w*)`(?!\s*\()")
# snake_case words of the prose (not file names such as sales_2024.csv, not attributes such as pd.to_numeric,
# not keyword arguments such as skip_blank_lines=True, not calls such as apply_rules()).
_SNAKE = re.compile(r"(?<![\w./\\-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w/\\=(-]|\.\w)")

# Words that follow "into", "a column", "named" and the like without naming anything.
_NOT_NAMES = set(
    "a an the of with to for per by and or that which where from in on at as is are be it its each every one "
    "two three all this these those equal equals containing holding showing called named new into than then "
    "so if when whose whether not no only also indexed sorted grouped keyed ordered filtered it them him her "
    "me us you place case order general particular total full practice short turn common advance detail "
    "fact addition parallel sequence bulk half account consideration effect play question view use mind "
    "action like such below above follows following shown here there many much more less well".split()
)
# Types, formats, units, libraries and plain nouns: "into datetime", "into a new table", "the column names".
_VOCABULARY = set(
    "datetime datetimes date dates time times timestamp timestamps timedelta string strings str text int "
    "ints integer integers float floats numeric number numbers category categories categorical bool boolean "
    "booleans lowercase uppercase title titlecase snake camel object objects json csv excel parquet html "
    "markdown pickle xml sql list lists dict dicts dictionary dictionaries tuple tuples set sets array "
    "arrays matrix table tables frame frames dataframe dataframes series column columns row rows cell cells "
    "index names name values value types type labels label headers header words word tokens lines line "
    "pieces parts chunks groups group bins bin buckets bucket percent percentage percentages seconds "
    "minutes hours days weeks months years cents dollars euros units lower upper long wide format numpy "
    "pandas matplotlib seaborn scipy sklearn torch python ascending descending order memory disk file files "
    "results outputs function functions method methods variable variables counter mapping".split()
)


def _is_name(word: str, *, plain: bool, quoted: bool = False) -> bool:
    """Whether `word` can be a result's name: a `quoted` word always; with `plain` (found without backticks
    or "called"), not a word of the prose: no vocabulary word, and no capitalized English word ('Excel')."""
    if quoted:
        return True
    if word.lower() in _NOT_NAMES:
        return False
    if not plain:
        return True
    if word.lower() in _VOCABULARY:
        return False
    return not word[0].isupper() or len(word) <= 2 or not word.isalpha()


def _name_shaped(word: str) -> bool:
    """'price_num', 'df2', 'Xn': shaped like a variable, not like an English word."""
    return "_" in word or any(c.isdigit() for c in word) or (len(word) <= 2) or not word.islower()


def read_request(request: str) -> Reading:
    """The names `request` asks for, each once, certain ones first in the order they appear."""
    prose = _PLACEHOLDER.sub(" ", _CODE_BLOCK.sub(" ", request))
    found: dict[str, Asked] = {}

    def add(
        name: str, *, certain: bool, column: bool = False, plain: bool = True, quoted: bool = False
    ) -> None:
        if not _is_name(name, plain=plain, quoted=quoted):
            return
        if plain and not quoted and name.isalpha() and name.endswith(("ly", "ing")):
            certain = False  # "into currently:", "into interacting with": an adverb or a verb, maybe
        old = found.get(name)
        if old is None or (certain and not old.certain) or (column and not old.column):
            certain = certain or (old is not None and old.certain)
            found[name] = Asked(name, column=column or (old is not None and old.column), certain=certain)

    for match in _CALLED.finditer(prose):  # "called many times", "a series called series": prose, maybe
        name = match.group(1)
        quoted = match.group(0).rstrip(name)[-1:] in "`'\""
        makes = _MAKES.search(prose[max(0, match.start() - 40) : match.start()]) is not None
        add(name, certain=quoted or makes or _name_shaped(name), plain=False, quoted=quoted)
    for match in _BACKTICKED_RESULT.finditer(prose):
        for name in re.findall(r"`(\w+)`", match.group(1)):
            add(name, certain=True, quoted=True)
    for match in _FUNCTION.finditer(prose):  # "Write a function f(" asks; "I have a function g(" describes
        makes = _MAKES.search(prose[max(0, match.start() - 40) : match.start()]) is not None
        add(match.group(1), certain=makes)
    for match in _DEFINE_CALL.finditer(prose):
        add(match.group(1), certain=True)
    for match in _SLOT.finditer(prose):
        name, at_end = match["name"], re.match(_STOP, match["after"]) is not None
        named = bool(match["kind"]) and re.search(r"\b(?:a|an|new)\s", match["articles"]) is not None
        if match["word"] == "into":  # "into trips.", "into a DataFrame readings and", "into prices_df and"
            add(name, certain=at_end or named or _name_shaped(name))
        elif match["word"] == "as" and not match["quote"] and at_end:  # "as avg_price." (not "as 'float64'")
            add(name, certain=_name_shaped(name))
    for verb in _STORE_VERB.finditer(prose):  # the first slot of its clause: "store ... in share."
        clause_end = _CLAUSE.match(prose, verb.end()).end()
        for match in _SLOT.finditer(prose, verb.end()):
            if match.start() >= clause_end:
                break
            name = match["name"]
            if not _is_name(name, plain=True):
                continue
            keep = verb.group(1).lower() == "keep"  # "keep the distribution plot in blue"
            add(name, certain=_name_shaped(name) or (not keep and match["word"] != "to"))
            break
    for match in _MADE.finditer(prose):
        if _name_shaped(match.group(1)):
            add(match.group(1), certain=True)
    for match in _KIND_NAMED.finditer(prose):  # "a DataFrame players." is certain; "the value exists," is not
        add(match.group(1), certain=_name_shaped(match.group(1)))
    for pattern in _COLUMN_LISTS:
        for match in pattern.finditer(prose):
            for name in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", match.group(1)):
                add(name, certain=True, column=True)
    for match in _COLUMN_MARKED.finditer(prose):
        add(match.group(1) or match.group(2), certain=True, column=True, plain=False)
    for match in _COLUMN_WORD.finditer(prose):
        name = match.group(1)
        add(name, certain=_name_shaped(name), column=True)
    for pattern in (_BACKTICKED, _SNAKE):
        for match in pattern.finditer(prose):
            add(match.group(1), certain=False, plain=pattern is _SNAKE)
    certain = [a for a in found.values() if a.certain]
    return Reading(request, prose, tuple(certain + [a for a in found.values() if not a.certain]))
