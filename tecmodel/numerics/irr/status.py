"""Status codes of an IRR result and their reasons.

Every series gets one :class:`IrrStatus`; only :attr:`IrrStatus.OK` carries a rate.  Status
arrays hold the codes as int8.
"""

from __future__ import annotations

import enum

__all__ = ["IRR_STATUS", "IRR_STATUS_ATTRS", "IrrStatus"]


class IrrStatus(enum.IntEnum):
    """Outcome of the IRR of one cash-flow series.

    The codes are written into result files (CF ``flag_values``, :data:`IRR_STATUS_ATTRS`) and
    compiled into the solver's kernel, so they never change.
    """

    OK = 0
    NO_SIGN_CHANGE = 1
    SEVERAL = 2
    NONE_IN_RANGE = 3
    NON_FINITE = 4

    @property
    def reason(self) -> str:
        """Why the series has this status, in words."""
        return _REASONS[self]


_REASONS = {
    IrrStatus.OK: "ok",
    IrrStatus.NO_SIGN_CHANGE: "no sign change in the cash flows",
    IrrStatus.SEVERAL: "several IRRs in the admissible range",
    IrrStatus.NONE_IN_RANGE: "no IRR in the admissible range",
    IrrStatus.NON_FINITE: "non-finite cash flows",
}

IRR_STATUS: dict[int, str] = {int(status): status.reason for status in IrrStatus}
"""Status code of an IRR result -> reason.  Only code 0 carries a rate."""

#: CF-style attributes of a status variable: its codes and their reasons.
IRR_STATUS_ATTRS: dict[str, object] = {
    "flag_values": list(IRR_STATUS),
    "flag_meanings": " ".join(reason.replace(" ", "_") for reason in IRR_STATUS.values()),
}
