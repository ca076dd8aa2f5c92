"""What every ``tecmodel`` sub-command shares: exit statuses and the argument parser class."""

from __future__ import annotations

import argparse

from tecmodel.errors import InputError

#: Exit statuses: success, an unexpected failure, bad input (a case file, an option, a path).
EXIT_OK, EXIT_FAILURE, EXIT_INPUT = 0, 1, 2


class Parser(argparse.ArgumentParser):
    """argparse that raises InputError instead of printing usage and exiting."""

    def error(self, message: str):
        raise InputError(f"{message} (see `{self.prog} --help`)")
