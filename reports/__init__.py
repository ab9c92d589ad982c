"""The report builder: benchmark result files in; a table, figures and a page out.

It reads result files and nothing else — never the kernels or the benchmarks — so it
works on results from another machine or an older version of the suite (usage:
``reports.__main__``).

One module per job: ``load`` (reading and checking result files), ``table`` (the tidy
table, its flags, the CSV files), ``rules`` (every threshold: the flag rule and the one
comparison, faster / slower / level), ``analysis`` (speedups, crossovers, headline, JIT
break-even), ``figkit`` and ``figures`` (drawing), the page's sections (``headline``,
``leads``, ``readings``, ``jit_section``, ``trust``, …) put together by ``page`` from the
templates in ``templates/`` (``templating``, ``markup``, ``phrases``), ``course`` (the
course experiments), ``compare`` (two runs), ``atomic`` (all-or-nothing output), ``build``
(putting them together) and ``__main__`` (the CLI).
"""
