"""The report's wording lives in Jinja2 templates (``reports/templates/``), so that an
instructor can change a sentence without reading Python.

Jinja2, because it is the usual choice (asv, Sphinx and MkDocs themes use it), it is small
and pure Python, and its loops, conditions and filters cover the linear readings; the
decisions stay in Python (``reports.rules``, ``reports.analysis``) and reach the
templates as findings. Templates may wrap sentences freely: ``reflow`` joins the lines of
a paragraph again, so the generated Markdown keeps one line per paragraph.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from reports import formatting
from reports.markup import MARK, MARK_NOTE, md_table

TEMPLATES = Path(__file__).parent / "templates"

# Lines that start a Markdown structure of their own, never joined to the line above.
_STRUCTURE = re.compile(r"^(\||- |#|!\[|<|>|\d+\. )")


def reflow(text: str) -> str:
    """Join each paragraph's wrapped lines with single spaces; blocks stay apart."""
    blocks = re.split(r"\n[ \t]*\n", text.strip())
    out = []
    for block in blocks:
        merged: list[str] = []
        for line in block.splitlines():
            if not line.strip():
                continue
            if merged and not _STRUCTURE.match(line.strip()):
                merged[-1] = merged[-1].rstrip() + " " + line.strip()
            else:
                merged.append(line.rstrip())
        if merged:
            out.append("\n".join(merged))
    return "\n\n".join(out)


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,  # a misspelt finding fails, never prints ""
        autoescape=False,  # Markdown, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters.update(
        time=formatting.format_time,
        ratio=formatting.format_ratio,
        count=formatting.format_count,
        percent=formatting.format_percent,
        size=formatting.format_size,
        bytes=formatting.format_bytes,
        num=formatting.format_number,
        vector=formatting.format_vector,
        eps=formatting.format_eps,
        g=lambda value: f"{value:g}",
        label=_label,
        listed=listed,
    )
    environment.globals.update(MARK=MARK, MARK_NOTE=MARK_NOTE, md_table=md_table)
    return environment


@jinja2.pass_context
def _label(context, backend: str) -> str:
    """A backend's label, as the run's style (``look``, passed with the findings) has it."""
    return context["look"].label(backend)


def listed(items) -> str:
    """``["a", "b", "c"]`` → ``"a, b and c"``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_ENVIRONMENT = _environment()


def render(name: str, **findings) -> str:
    """Template ``name`` filled with ``findings``, its paragraphs reflowed."""
    return reflow(_ENVIRONMENT.get_template(name).render(**findings))
