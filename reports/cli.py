"""What every command line of the suite shares: a usage error is one line.

argparse prints its whole usage block before the error; a student who mistyped one
argument reads ``python -m bench.run: argument --budget: …`` instead, and the exit code
stays argparse's 2. ``--help`` still prints the usage and every option.
"""

from __future__ import annotations

import argparse
from typing import NoReturn


class OneLineParser(argparse.ArgumentParser):
    """An ``argparse.ArgumentParser`` whose errors are one line: ``PROG: MESSAGE``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")
