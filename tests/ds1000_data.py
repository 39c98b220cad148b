"""The tests on DS-1000's real problems (marker `ds1000`) run only where a copy of DS-1000 is given:
`pytest --ds1000-data PATH` or `OCI_DS1000_DATA=PATH pytest` (its test.jsonl, or .jsonl.gz). DS-1000 is
not part of the repository and the suite never downloads it, so without a copy those tests are not
selected, and the summary says so and how to run them. The harness's mechanics are tested anywhere on
problems of our own in DS-1000's format (ds1000_like.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV = "OCI_DS1000_DATA"
_COPY = pytest.StashKey["Path | None"]()
_DESELECTED = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--ds1000-data",
        metavar="PATH",
        default=os.environ.get(ENV) or None,
        help=f"a copy of DS-1000's test.jsonl (or .jsonl.gz): runs the tests marked ds1000 (also: ${ENV})",
    )


def pytest_configure(config: pytest.Config) -> None:
    given = config.getoption("--ds1000-data")
    path = Path(given).expanduser().resolve() if given else None
    if path is not None:
        if not path.is_file():
            raise pytest.UsageError(
                f"--ds1000-data / ${ENV}: no file at {path}; give DS-1000's test.jsonl (or .jsonl.gz), "
                f"or unset {ENV} to leave out the tests on DS-1000's real problems"
            )
        os.environ[ENV] = str(path)  # tests run in a child process (isolated) get it too
    config.stash[_COPY] = path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.stash[_COPY] is not None:
        return
    left_out = [item for item in items if item.get_closest_marker("ds1000") is not None]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item.get_closest_marker("ds1000") is None]
    config.stash[_DESELECTED] = len(left_out)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if count := config.stash.get(_DESELECTED, 0):
        terminalreporter.write_line(
            f"{count} tests on DS-1000's real problems not selected: no copy of DS-1000 was given. Run them "
            f"with `pytest --ds1000-data PATH` or `{ENV}=PATH pytest`, PATH being DS-1000's test.jsonl (the "
            "Hugging Face dataset xlangai/DS-1000) or a .jsonl.gz of it.",
            yellow=True,
        )


@pytest.fixture(scope="session")
def ds1000_path(request: pytest.FixtureRequest) -> Path:
    """The copy of DS-1000 given to this run (tests marked ds1000 are selected only when there is one)."""
    path = request.config.stash[_COPY]
    assert path is not None, "a test that reads DS-1000 must be marked ds1000"
    return path
