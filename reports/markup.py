"""Markdown building blocks shared by every page: tables, figure links, folded lists,
the mark for numbers not to trust."""

from __future__ import annotations

from collections.abc import Iterable

from reports.figkit import on_slides
from reports.rules import MARK

FIGURES = "figures/"
MARK_NOTE = (
    f"{MARK} rests on a flagged measurement: see [Numbers not to trust](#numbers-not-to-trust)."
)
FOLD_ROWS = 12  # longer lists fold away under <details>


def md_table(header: list[str], rows: Iterable[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def fold(summary: str, body: str, rows: int) -> str:
    if rows <= FOLD_ROWS:
        return body
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def figure_link(name: str, alt: str, figures: set[str]) -> str:
    """The image of figure ``name`` with a link to its SVG where it has one, or "" if it
    was not drawn."""
    if name not in figures:
        return ""
    svg = f"\n<sub>[SVG for slides]({FIGURES}{name}.svg)</sub>" if on_slides(name) else ""
    return f"![{alt}]({FIGURES}{name}.png){svg}"


def marked(*flags) -> str:
    """``MARK`` if any of the stability flags given is raised, else ``""``."""
    return MARK if any(isinstance(flag, str) and flag for flag in flags) else ""


def with_note(text: str) -> str:
    """``text``, followed by the footnote for ``MARK`` if it uses the mark."""
    return f"{text}\n\n{MARK_NOTE}" if MARK in text else text
