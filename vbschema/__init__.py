"""The result schema: what a benchmark run writes and the report reads, in one place.

Frozen dataclasses, each built from its JSON by checking it (``load``/``parse``) and
turned back into JSON by ``dump``: a run's file (``RunFile``: its cases, not-run cases,
JIT costs, machine and limits, catalogue, slides' demo, course experiments) and the
beyond-memory record (``BeyondMemory``). A file that is not what it should be raises
``ResultFileError``, one line naming the file, the place and what is wrong.

The standard library only: the report's session installs no NumPy, Numba or JAX, and
the bench writes through the same classes it reads with. Each kind of file has its
version here, once: ``SCHEMA`` (a run), ``COURSE_SCHEMA``, ``SHARE_SCHEMA`` and
``BEYOND_MEMORY_SCHEMA``.
"""

from vbschema.beyond_memory import KIND as BEYOND_MEMORY_KIND
from vbschema.beyond_memory import PREFIX as BEYOND_MEMORY_PREFIX
from vbschema.beyond_memory import SCHEMA as BEYOND_MEMORY_SCHEMA
from vbschema.beyond_memory import BeyondMemory
from vbschema.course import SCHEMA as COURSE_SCHEMA
from vbschema.course import Course
from vbschema.fields import ResultFileError
from vbschema.run import (
    SCHEMA,
    SHARE_KIND,
    SHARE_SCHEMA,
    Case,
    Catalogue,
    JitCost,
    NotRun,
    RunFile,
    Slides,
    Suite,
)

__all__ = [
    "BEYOND_MEMORY_KIND",
    "BEYOND_MEMORY_PREFIX",
    "BEYOND_MEMORY_SCHEMA",
    "COURSE_SCHEMA",
    "SCHEMA",
    "SHARE_KIND",
    "SHARE_SCHEMA",
    "BeyondMemory",
    "Case",
    "Catalogue",
    "Course",
    "JitCost",
    "NotRun",
    "ResultFileError",
    "RunFile",
    "Slides",
    "Suite",
]
