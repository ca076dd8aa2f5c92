"""The results of the workbook's formulas stored in the file, as a spreadsheet engine computed them.

openpyxl writes formulas without their results, so a viewer that does not calculate
(``pandas.read_excel``, ``openpyxl.load_workbook(data_only=True)``, file previewers, a mail
client) shows every formula cell empty. This module owns how the file gets those values: when
LibreOffice is installed, it recalculates a copy of the workbook (headless,
:func:`tecmodel.report.excel.verify.recalculate_with_libreoffice`) and the computed value of
every formula cell is written into the workbook's own file beside its formula
(:func:`store_values`). The file keeps everything openpyxl wrote (frozen panes, charts, styles,
protection, print setup), which a LibreOffice round trip would not all keep; only the empty
cached values of the formula cells are filled. Without LibreOffice the workbook is marked for a
full recalculation on load (Excel and LibreOffice then compute every formula when opening it)
and its Cover sheet says so.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from tecmodel.io import atomic_path
from tecmodel.report.excel.verify import recalculate_with_libreoffice

#: What the Cover sheet says about the stored values, by how the workbook was written.
STORED_NOTES = {
    "libreoffice": (
        "Every formula cell also holds its value, computed by LibreOffice (headless) when the "
        "workbook was written, so viewers that do not calculate show the figures. Excel and "
        "LibreOffice recalculate every formula on opening (full calculation on load)."
    ),
    "on_load": (
        "Formula cells are stored without their values (LibreOffice was not available to "
        "compute them when the workbook was written): the workbook is marked for a full "
        "calculation on load, so Excel and LibreOffice compute every formula when opening it, "
        "but viewers that do not calculate (file previewers, pandas.read_excel) show those cells "
        "empty. Install LibreOffice and export again to store the values."
    ),
}

_NAMESPACES = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pkg": "http://schemas.openxmlformats.org/package/2006/relationships",
}

#: A formula cell as openpyxl writes it: reference, other attributes, formula, empty value.
_FORMULA_CELL = re.compile(
    r'<c r="(?P<ref>[A-Z]+[0-9]+)"(?P<attrs>[^>]*)><f>(?P<formula>[^<]*)</f>(?:<v\s*/>|<v></v>)?</c>'
)


def find_libreoffice() -> str | None:
    """The LibreOffice executable on the search path (``soffice`` or ``libreoffice``), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def recalculated_values(
    path: Path, cells: Iterable[tuple[str, str]], soffice: str, timeout: float = 300.0
) -> dict[tuple[str, str], Any]:
    """Recalculate a workbook with LibreOffice and read the values of the given cells.

    Parameters
    ----------
    path : Path
        An ``.xlsx`` file.
    cells : iterable of (str, str)
        (sheet title, coordinate) of the cells to read (the formula cells).
    soffice : str
        The LibreOffice executable.
    timeout : float
        Seconds before the recalculation is abandoned.

    Returns
    -------
    dict
        ``(sheet title, coordinate) -> value`` (float, str, bool, or an error text such as
        ``"#DIV/0!"`` wrapped as :class:`ErrorValue`; None for an empty result).

    Raises
    ------
    RuntimeError
        If LibreOffice fails.
    subprocess.TimeoutExpired
        If it takes longer than `timeout`.
    """
    import openpyxl

    with tempfile.TemporaryDirectory(prefix="tecmodel-recalculate-") as folder:
        [recalculated] = recalculate_with_libreoffice(
            [path], Path(folder) / "out", Path(folder) / "profile", soffice=soffice, timeout=timeout
        )
        workbook = openpyxl.load_workbook(recalculated, data_only=True)
        values = {}
        for sheet, coordinate in cells:
            cell = workbook[sheet][coordinate]
            values[(sheet, coordinate)] = (
                ErrorValue(str(cell.value)) if cell.data_type == "e" else cell.value
            )
        workbook.close()
    return values


class ErrorValue(str):
    """A spreadsheet error result (``#DIV/0!``, ``#VALUE!`` ...), stored with type ``e``."""


def store_values(source: Path, target: Path, values: Mapping[tuple[str, str], Any]) -> int:
    """Copy the workbook `source` to `target` with the given values cached in its formula cells.

    Parameters
    ----------
    source : Path
        An ``.xlsx`` file written by openpyxl (formula cells without values).
    target : Path
        Where to write the copy (any existing file is replaced).
    values : mapping
        ``(sheet title, coordinate) -> value`` from :func:`recalculated_values`.

    Returns
    -------
    int
        Number of formula cells given a value.
    """
    parts = _sheet_parts(source)
    by_part: dict[str, dict[str, Any]] = {}
    for (sheet, coordinate), value in values.items():
        by_part.setdefault(parts[sheet], {})[coordinate] = value
    stored = 0
    with zipfile.ZipFile(source) as reading, zipfile.ZipFile(target, "w") as writing:
        for info in reading.infolist():
            data = reading.read(info.filename)
            if info.filename in by_part:
                text, count = _with_values(data.decode("utf-8"), by_part[info.filename])
                data, stored = text.encode("utf-8"), stored + count
            writing.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return stored


def _with_values(xml: str, values: Mapping[str, Any]) -> tuple[str, int]:
    """The worksheet XML with the cached value of each formula cell in `values` filled in."""
    count = 0

    def fill(match: re.Match) -> str:
        nonlocal count
        reference = match.group("ref")
        if reference not in values or values[reference] is None:
            return match.group(0)
        kind, text = _cached(values[reference])
        count += 1
        attributes = re.sub(r'\s+t="[^"]*"', "", match.group("attrs"))
        kind_attribute = f' t="{kind}"' if kind != "n" else ""
        return (
            f'<c r="{reference}"{attributes}{kind_attribute}><f>{match.group("formula")}</f>'
            f"<v>{escape(text)}</v></c>"
        )

    return _FORMULA_CELL.sub(fill, xml), count


def _cached(value: Any) -> tuple[str, str]:
    """The cell type (``n``, ``str``, ``b``, ``e``) and text of a cached formula result."""
    if isinstance(value, ErrorValue):
        return "e", str(value)
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, (int, float)) and math.isfinite(value):
        return "n", repr(float(value)) if isinstance(value, float) else str(value)
    return "str", str(value)


def _sheet_parts(path: Path) -> dict[str, str]:
    """Sheet title -> the zip member holding its XML, from the workbook's relationships."""
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {
        relation.get("Id"): relation.get("Target")
        for relation in relations.findall("pkg:Relationship", _NAMESPACES)
    }
    parts = {}
    for sheet in workbook.find("main:sheets", _NAMESPACES):
        target = targets[sheet.get(f"{{{_NAMESPACES['rel']}}}id")]
        member = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        parts[sheet.get("name")] = member
    return parts


def write_workbook(
    workbook,
    path: Path,
    cells: Iterable[tuple[str, str]],
    soffice: str | None,
    note_cell: tuple[str, str] | None = None,
    required: bool = False,
) -> str:
    """Write `workbook` to `path` atomically, with its formulas' values when LibreOffice computes them.

    The workbook is saved to a temporary name beside `path`; LibreOffice recalculates a copy in
    a scratch folder; the values are written into the temporary file, which is then renamed
    onto `path`. Any failure before the rename leaves `path` as it was.

    Parameters
    ----------
    workbook : openpyxl.Workbook
    path : Path
        The ``.xlsx`` file.
    cells : iterable of (str, str)
        (sheet title, coordinate) of every formula cell.
    soffice : str or None
        The LibreOffice executable; None saves without values.
    note_cell : (str, str), optional
        (sheet title, coordinate) of the cell that says whether the values are stored; it gets
        the text of :data:`STORED_NOTES` that applies.
    required : bool
        Raise if LibreOffice is missing or fails, instead of saving without values.

    Returns
    -------
    str
        ``"libreoffice"`` if the values are stored, ``"on_load"`` if not (a key of
        :data:`STORED_NOTES`).

    Raises
    ------
    RuntimeError
        If `required` and the values cannot be computed.
    """
    if soffice is None and required:
        raise RuntimeError(
            "LibreOffice (soffice) is not installed: the workbook's values cannot be stored"
        )
    with atomic_path(path) as temporary:
        _note(workbook, note_cell, "on_load" if soffice is None else "libreoffice")
        workbook.save(temporary)
        if soffice is None:
            return "on_load"
        with tempfile.TemporaryDirectory(prefix="tecmodel-workbook-") as folder:
            source = Path(folder) / "workbook.xlsx"
            shutil.copy(temporary, source)
            try:
                values = recalculated_values(source, list(cells), soffice)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
                if required:
                    raise RuntimeError(
                        f"LibreOffice could not recalculate the workbook: {error}"
                    ) from error
                _note(workbook, note_cell, "on_load")
                workbook.save(temporary)
                return "on_load"
            store_values(source, temporary, values)
    return "libreoffice"


def _note(workbook, cell: tuple[str, str] | None, kind: str) -> None:
    """Write the note on stored values (always as text)."""
    if cell is not None:
        target = workbook[cell[0]][cell[1]]
        target.value = STORED_NOTES[kind]
        target.data_type = "s"
