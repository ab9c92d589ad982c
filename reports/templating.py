"""The report's wording lives in Jinja2 templates (``reports/templates/``), so that an
instructor can change a sentence without reading Python.

Jinja2 is the usual choice (asv, Sphinx and MkDocs themes use it), small and pure Python;
its loops, conditions and filters cover the linear readings, while the decisions stay in
Python and reach the templates as findings. Templates may wrap sentences freely:
``reflow`` joins a paragraph's lines again, one line per paragraph in the Markdown.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from reports import formatting
from reports.markup import MARK, MARK_NOTE

# Lines that start a Markdown structure of their own, never joined to the line above.
_STRUCTURE = re.compile(r"^(\||- |#|!\[|<|>|\d+\. )")


def reflow(text: str) -> str:
    """Join each paragraph's wrapped lines with single spaces; blocks stay apart."""
    blocks = []
    for block in re.split(r"\n[ \t]*\n", text.strip()):
        merged: list[str] = []
        for line in filter(str.strip, block.splitlines()):
            if merged and not _STRUCTURE.match(line.strip()):
                merged[-1] += " " + line.strip()
            else:
                merged.append(line.rstrip())
        blocks.append("\n".join(merged))
    return "\n\n".join(block for block in blocks if block)


@jinja2.pass_context
def _label(context, backend: str) -> str:
    """A backend's label, as the run's style (``look``, passed with the findings) has it."""
    return context["look"].label(backend)


def listed(items) -> str:
    """``["a", "b", "c"]`` → ``"a, b and c"``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=jinja2.StrictUndefined,  # a misspelt finding fails, never prints ""
    autoescape=False,  # Markdown, not HTML
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENVIRONMENT.filters.update(
    time=formatting.format_time,
    ratio=formatting.format_ratio,
    count=formatting.format_count,
    percent=formatting.format_percent,
    num=formatting.format_number,
    vector=formatting.format_vector,
    g=lambda value: f"{value:g}",
    label=_label,
    listed=listed,
)
_ENVIRONMENT.globals.update(MARK=MARK, MARK_NOTE=MARK_NOTE)


def render(name: str, **findings) -> str:
    """Template ``name`` filled with ``findings``, its paragraphs reflowed."""
    return reflow(_ENVIRONMENT.get_template(name).render(**findings))
