"""What every command line of the suite shares: a usage error is one line,
``python -m bench.run: argument --budget: …``, not argparse's whole usage block (the exit
code stays 2; ``--help`` still prints every option)."""

from __future__ import annotations

import argparse
from typing import NoReturn


class OneLineParser(argparse.ArgumentParser):
    """An ``argparse.ArgumentParser`` whose errors are one line: ``PROG: MESSAGE``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")
