"""How the report writers accept their optional inputs: one object, a sequence or a mapping.

This module owns :func:`as_list`, shared by the workbook (:mod:`tecmodel.report.excel`) and the
figures (:mod:`tecmodel.report.figures`). It imports neither openpyxl nor matplotlib, so either
can use it without loading the other.
"""

from __future__ import annotations

from collections.abc import Mapping

import xarray as xr


def as_list(value) -> list:
    """One object, a sequence or a mapping of them, as a list.

    Parameters
    ----------
    value : object, list, tuple, Mapping or None
        A single result or dataset, a list or tuple of them, or a mapping whose values are
        them (an :class:`xarray.Dataset` counts as a single object, not as a mapping).

    Returns
    -------
    list
        ``[]`` for None, the mapping's values in order, the sequence's items, or ``[value]``.
    """
    if value is None:
        return []
    if isinstance(value, xr.Dataset):  # a Dataset is a Mapping too
        return [value]
    if isinstance(value, Mapping):
        return list(value.values())
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]
