"""What every ``tecmodel`` sub-command shares: exit statuses, the argument parser class and its
usage error.
"""

from __future__ import annotations

import argparse

from tecmodel.errors import InputError

#: Exit statuses: success, an unexpected failure, bad input (a case file, an option, a path).
EXIT_OK, EXIT_FAILURE, EXIT_INPUT = 0, 1, 2


class UsageError(InputError):
    """A command line argparse cannot read; printed as argparse prints it (usage, then the error).

    Parameters
    ----------
    message : str
        What argparse found wrong.
    prog : str
        The command it was found in (``tecmodel run``).
    usage : str
        The command's usage line(s).
    """

    def __init__(self, message: str, prog: str, usage: str):
        super().__init__(message)
        self.prog, self.usage, self.reason = prog, usage, message

    def usage_text(self) -> str:
        """Usage, then ``prog: error: message``, as argparse writes to stderr."""
        return f"{self.usage.rstrip()}\n{self.prog}: error: {self.reason}"


class Parser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of printing usage and exiting.

    The caller (:func:`tecmodel.cli.main.main`) prints it as argparse would and returns exit
    status 2, so that ``main`` can be called from Python without a ``SystemExit``.
    """

    def error(self, message: str):
        raise UsageError(message, self.prog, self.format_usage())
