"""What every command line of the suite shares: a usage error is one line,
``python -m bench.run: argument --budget: …``, not argparse's whole usage block (the exit
code stays 2; ``--help`` still prints every option)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")


class OneLineParser(argparse.ArgumentParser):
    """An ``argparse.ArgumentParser`` whose errors are one line: ``PROG: MESSAGE``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")

    def parse_args(self, args: Sequence[str] | None = None, namespace=None):
        """As argparse's, but a misspelt option is named first: argparse would report
        only the required option it left unset (``--opp x``: "the following arguments
        are required: --op")."""
        argv = list(sys.argv[1:] if args is None else args)
        unknown = [token for token in _options(argv) if not self._knows(token)]
        if unknown:
            self.error(f"unrecognized arguments: {' '.join(unknown)}")
        return super().parse_args(argv, namespace)

    def _knows(self, token: str) -> bool:
        name = token.split("=", 1)[0]
        known = self._option_string_actions
        if name in known or (not name.startswith("--") and name[:2] in known):
            return True  # "-kdot": a short option with its value attached
        return self.allow_abbrev and any(
            option.startswith(name) for option in known if option.startswith("--")
        )


def _options(argv: list[str]) -> list[str]:
    """The tokens of ``argv`` that are options, up to ``--`` (negative numbers are values)."""
    found = []
    for token in argv:
        if token == "--":
            break
        if token.startswith("-") and token != "-" and not _NUMBER.match(token):
            found.append(token)
    return found
