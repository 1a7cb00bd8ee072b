"""mkdocs hook: the table of gatenet's modules, generated from their docstrings at build time.

A page that holds the marker `<!-- modules -->` gets one row per module of `gatenet/` and `plugins/`,
with the first line of the module's docstring, so the table can never go stale.
"""

from __future__ import annotations

import ast
from pathlib import Path

MARKER = "<!-- modules -->"
ROOT = Path(__file__).resolve().parents[2]


def first_line(path: Path) -> str:
    """The first line of a module's docstring, or an empty string."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0].replace("|", "\\|") if doc.strip() else ""


def module_table() -> str:
    """A Markdown table: module path and what its docstring says it holds."""
    rows = ["| module | what it holds |", "| --- | --- |"]
    for package in ("gatenet", "plugins"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            rows.append(f"| `{path.relative_to(ROOT).as_posix()}` | {first_line(path)} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, **_: object) -> str:
    """Put the generated table where the page asks for it."""
    return markdown.replace(MARKER, module_table()) if MARKER in markdown else markdown
