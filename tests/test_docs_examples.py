"""The docs cannot rot: every ```python block of every docs page (and the README) runs.

Blocks run in page order in one namespace per page, as a reader would run them. A
```text block that directly follows a ```python block is that block's printed output
and must match it exactly (trailing spaces aside). Blocks fenced ```text, ```console
or ```bash are otherwise not executed.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
    re.DOTALL | re.MULTILINE,
)
# Fences a reader would take for Python but that would silently not run: fence them as python.
NOT_RUN_PYTHON = {"py", "python3", "pycon", "ipython", "pyodide"}


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int
    output: str | None  # the ```text block right after it, if any


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of ``page`` in order, each python block with the output shown after it."""
    text = page.read_text(encoding="utf-8")
    found = list(FENCE.finditer(text))
    result = []
    for i, match in enumerate(found):
        indent = match["indent"]
        code = "\n".join(line.removeprefix(indent) for line in match["body"].splitlines())
        language = match["info"].strip().split(" ")[0].lower()
        following = found[i + 1] if i + 1 < len(found) else None
        output = None
        if (
            following is not None
            and following["info"].strip().lower() == "text"
            and not text[match.end() : following.start()].strip()
        ):
            output = following["body"]
        result.append(Block(language, code, text.count("\n", 0, match.start()) + 1, output))
    return result


def _normalised(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def test_docs_have_examples() -> None:
    assert sum(b.language == "python" for page in PAGES for b in blocks(page)) >= 20


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_examples_run(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COLUMNS", "LINES"):  # pages run without the terminal's size; one that sets it (CLI) is undone
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    page_blocks = blocks(page)
    odd = [b for b in page_blocks if b.language in NOT_RUN_PYTHON]
    assert not odd, f"{page.name}:{odd[0].line}: fence Python as ```python so it runs (or as ```text)"
    python = [b for b in page_blocks if b.language == "python"]
    if any("plot(" in b.code for b in python):
        pytest.importorskip("matplotlib")
    code = "\n".join(b.code for b in python)
    for module in ("duckdb", "pyspark", "dask", "pyarrow"):  # engine pages need their extras
        if f"import {module}" in code or f"from {module}" in code or f"{module}." in code:
            pytest.importorskip(module, reason=f"the page uses {module}, which is not installed")
    if "pyspark" in code and shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("the page starts Spark, which needs Java 17 (not on this machine)")
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for block in python:
        where = f"{page.name}:{block.line}"
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(block.code, where, "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"{where}: python block failed: {exc!r}\n{block.code}") from exc
        if block.output is not None:
            assert _normalised(printed.getvalue()) == _normalised(block.output), (
                f"{where}: the ```text block after this python block is not what it prints.\n"
                f"--- printed ---\n{printed.getvalue()}\n--- shown ---\n{block.output}"
            )
