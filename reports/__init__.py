"""The report builder: benchmark result files in; a table, figures and pages out.

It reads result files and nothing else — never the kernels or the benchmarks — so it
works on results from another machine or an older version of the suite (usage:
``reports.__main__``).

Reading: ``load`` (result files, checked), ``table`` (the tidy table, its flags, the CSV
files), ``style`` (each run's catalogue: labels, colours, roles). Deciding: ``rules`` (every
threshold and the one comparison, faster / slower / level), ``analysis`` (speedups,
crossovers, headline, JIT break-even), ``compare`` (two runs' cases). Drawing: ``figkit``,
``figures``, ``roofline_figure``. Wording, a section each, from its findings (most through
a template in ``templates/``): ``headline``, ``roofline``, ``leads``, ``readings``,
``losses``, ``memory_section``, ``jit_section``, ``trust``, ``beyond_memory``, ``yours``,
with ``templating``, ``markup``, ``phrases`` and ``formatting``. Whole pages: ``page`` (the
lesson, its detail pages and the comparison page), ``course`` (the course experiments),
``classroom`` (many machines). Writing: ``build`` (putting them together) and ``atomic``
(all-or-nothing output). ``cli`` and ``__main__``: the command line.
"""
