"""The report's "Course experiments" section, from a result file's ``vectorbench_course``
(checked by ``vbschema.course`` as the file is read): ``findings`` and ``tables`` decide,
``figures`` draws, ``templates/course.md.j2`` words. Nothing is trained again and neither
the kernels nor the benchmark code is imported, so any machine's or version's file renders.
"""

from __future__ import annotations

from pathlib import Path

from reports.course import findings, tables
from reports.course.figures import draw_figures
from reports.figkit import Say
from reports.formatting import format_linear
from reports.style import Style
from reports.templating import render as render_template

__all__ = ["render"]


def render(
    results: dict, figures_dir: Path, link_prefix: str, look: Style, say: Say | None = None
) -> str:
    """Draw the figures into ``figures_dir`` and return the Markdown section, whose
    images are linked as ``link_prefix + file name``; each backend as ``look`` (the
    run's style) names and colours it. ``say``: where progress lines go."""
    found = findings.section(results, look)
    draw_figures(results, Path(figures_dir), look, found, say)
    markdown = render_template(
        "course.md.j2",
        look=look,
        link_prefix=link_prefix,
        linear=format_linear,
        **found,
        times_table=tables.times_table(results, found["judged"], look),
        flagged=tables.flagged_timings(results, found["judged"], look),
        agreement_table=tables.agreement_table(results, look),
    )
    return markdown + "\n"
