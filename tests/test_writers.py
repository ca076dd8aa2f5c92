"""Nothing lost: every file the package writes goes through tecmodel/io.py, and a write that fails
part-way (an exception, or the process killed) leaves the previous file or folder as it was.

- A source audit: every call in ``tecmodel/`` that writes a file (``to_netcdf``, ``to_csv``,
  ``savefig``, ``Workbook.save``, ``write_text``, ``json.dump``, zarr groups and arrays ...) sits
  inside ``with atomic_path(...)`` or ``with atomic_directory(...)`` or in tecmodel/io.py itself.
- One test per file kind (netCDF, CSV, JSON, text, xlsx, PNG): the underlying writer is replaced
  by one that writes some bytes and then fails; the previous file must be byte-identical and no
  temporary file left behind. The zarr store's own cases are in tests/test_montecarlo.py.
- Folders: a ``tecmodel run`` or ``tecmodel report`` failing part-way leaves the previous case
  folder, workbook and figures as they were.
- A real kill (SIGKILL) in the middle of a file write and of a folder build, in a subprocess.
"""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr

from tecmodel.cli.main import main
from tecmodel.io import write_csv, write_json, write_netcdf, write_text

from .conftest import ROOT, TOY_FILE

PACKAGE = ROOT / "tecmodel"

#: Methods and functions that write a file.
WRITING_CALLS = {
    "to_netcdf",
    "to_csv",
    "to_zarr",
    "to_excel",
    "savefig",
    "save",
    "write_text",
    "write_bytes",
    "dump",
    "open_group",
    "create_array",
    "create_group",
    "copyfile",
    "copytree",
}
#: Context managers under which a write is atomic (tecmodel/io.py).
ATOMIC = {"atomic_path", "atomic_directory"}
#: Files allowed to write outside io.py, and why.
ALLOWED = {
    "tecmodel/io.py": "the atomic writers themselves",
    "tecmodel/report/excel/verify.py": "the LibreOffice recalculation check writes LibreOffice's profile and its "
    "recalculated copies into a scratch folder its caller gives; never results",
}

#: Single calls allowed outside an atomic block (file and call), and why.
ALLOWED_CALLS = {
    "tecmodel/analysis/montecarlo/store.py zarr.open_group": (
        "opens an existing store (mode r+) for its chunk writes; zarr >= 3.1.3 writes each chunk to a "
        "temporary and renames it (pyproject.toml)"
    ),
}


def _called_name(call: ast.Call) -> str | None:
    function = call.func
    return function.attr if isinstance(function, ast.Attribute) else None


def _writes_with_open(call: ast.Call) -> bool:
    """``open(path, "w" ...)`` (or any mode that writes) called as a builtin."""
    if not (isinstance(call.func, ast.Name) and call.func.id == "open"):
        return False
    modes = [argument for argument in call.args[1:2]] + [
        k.value for k in call.keywords if k.arg == "mode"
    ]
    return any(isinstance(m, ast.Constant) and set(str(m.value)) & set("wax+") for m in modes)


def unprotected_writes() -> list[str]:
    """Every file-writing call in the package outside an atomic block (``file:line call``)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not (
                _called_name(node) in WRITING_CALLS or _writes_with_open(node)
            ):
                continue
            ancestor, protected = parents.get(node), False
            while ancestor is not None and not protected:
                if isinstance(ancestor, ast.With):
                    protected = any(
                        isinstance(item.context_expr, ast.Call)
                        and getattr(
                            item.context_expr.func,
                            "id",
                            getattr(item.context_expr.func, "attr", None),
                        )
                        in ATOMIC
                        for item in ancestor.items
                    )
                ancestor = parents.get(ancestor)
            if not protected and f"{relative} {ast.unparse(node.func)}" not in ALLOWED_CALLS:
                found.append(f"{relative}:{node.lineno} {ast.unparse(node.func)}")
    return found


def test_every_file_write_in_the_package_is_atomic():
    assert unprotected_writes() == []


def test_the_audit_finds_an_unprotected_write(tmp_path, monkeypatch):
    """The audit is not vacuous: a plain ``frame.to_csv(path)`` in a package module is reported."""
    fake_root = tmp_path / "root"
    (fake_root / "tecmodel").mkdir(parents=True)
    (fake_root / "tecmodel" / "bad.py").write_text(
        textwrap.dedent("""
        def save(frame, path, figure):
            frame.to_csv(path)
            with open(path, "w") as handle:
                handle.write("x")
            with atomic_path(path) as temporary:
                figure.savefig(temporary)
    """)
    )
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake_root / "tecmodel")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", fake_root)
    assert unprotected_writes() == ["tecmodel/bad.py:3 frame.to_csv", "tecmodel/bad.py:4 open"]


# --------------------------------------------------------------------------- failing writers


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones included) and its bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


class PartialWrite(OSError):
    """The failure injected after some bytes were written."""


def partial_then_fail(calls: list):
    """A writer that writes some bytes to the file it is given, then fails (disk full)."""

    def writer(*args, **kwargs):
        target = next(
            a for a in args if isinstance(a, (str, os.PathLike))
        )  # method: args[0] is the object
        Path(target).write_bytes(b"half a file: ")
        calls.append(Path(target))
        raise PartialWrite("disk full")

    return writer


def _figure(result):
    from tecmodel.report.figures.cash_flows import cash_flow_waterfall

    return cash_flow_waterfall(result)


def _write_png(path, result):
    from tecmodel.report.figures.files import save_figure

    save_figure(_figure(result), path)


def _write_xlsx(path, result):
    from tecmodel.report.excel import export_excel

    export_excel(result, path)


def _write_netcdf(path, result):
    from tecmodel.report.files import cash_flow_dataset

    write_netcdf(path, cash_flow_dataset(result))


def _write_json(path, result):
    from tecmodel.report.files import run_manifest

    write_json(path, run_manifest([result.case]))


def _underlying(kind: str):
    """(object, attribute) of the library writer a file kind ends in."""
    if kind == "png":
        from matplotlib.figure import Figure

        return Figure, "savefig"
    if kind == "xlsx":
        from openpyxl import Workbook

        return Workbook, "save"
    return {
        "netcdf": (xr.Dataset, "to_netcdf"),
        "csv": (pd.DataFrame, "to_csv"),
        "json": (Path, "write_text"),
        "text": (Path, "write_text"),
    }[kind]


#: file kind -> (file name, how the package writes it)
FILE_KINDS = {
    "netcdf": ("cashflow.nc", _write_netcdf),
    "csv": ("metrics.csv", lambda path, result: write_csv(path, result.summary())),
    "json": ("manifest.json", _write_json),
    "text": ("README.md", lambda path, result: write_text(path, f"# {result.case.title}\n")),
    "xlsx": ("report.xlsx", _write_xlsx),
    "png": ("waterfall_toy.png", _write_png),
}


@pytest.mark.parametrize("kind", list(FILE_KINDS))
def test_a_writer_failing_part_way_leaves_the_previous_file(
    kind, tmp_path, monkeypatch, toy_result
):
    name, write = FILE_KINDS[kind]
    path = tmp_path / name
    write(path, toy_result)  # the previous file, written normally
    before = snapshot(tmp_path)
    assert list(before) == [name] and len(before[name]) > 0
    calls: list[Path] = []
    owner, attribute = _underlying(kind)
    monkeypatch.setattr(owner, attribute, partial_then_fail(calls))
    with pytest.raises(PartialWrite):
        write(path, toy_result)
    assert (
        calls and calls[0] != path and calls[0].parent == tmp_path
    )  # it wrote beside, not onto, the file
    assert snapshot(tmp_path) == before  # byte-identical, and no temporary file left


# --------------------------------------------------------------------------- failing commands


def test_a_run_failing_part_way_leaves_the_previous_results(tmp_path, monkeypatch, capsys):
    """The second run dies while writing the case folder: the case folder, the workbook and the
    figures of the first run are untouched, nothing temporary is left, exit status 1."""
    assert main(["run", str(TOY_FILE), "--out", str(tmp_path), "--quiet", "--report"]) == 0
    before = snapshot(tmp_path)
    assert {"toy/cashflow.nc", "toy/metrics.csv", "toy/manifest.json", "report.xlsx"} <= set(before)
    calls: list[Path] = []
    monkeypatch.setattr(pd.DataFrame, "to_csv", partial_then_fail(calls))
    assert main(["run", str(TOY_FILE), "--out", str(tmp_path), "--quiet", "--report"]) == 1
    assert "disk full" in capsys.readouterr().err and calls
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plots", "report.xlsx", "toy"]


def test_a_report_failing_in_the_figures_leaves_the_previous_figures(tmp_path, monkeypatch):
    """The figures folder is built aside: a figure failing part-way keeps every previous figure."""
    from matplotlib.figure import Figure

    xlsx, plots = tmp_path / "report.xlsx", tmp_path / "plots"
    argv = ["report", str(TOY_FILE), "--xlsx", str(xlsx), "--plots", str(plots), "--quiet"]
    assert main(argv) == 0
    before = snapshot(plots)
    assert len(before) == 3
    original, calls = Figure.savefig, []

    def second_figure_fails(self, target, *args, **kwargs):
        if len(calls) == 1:
            return partial_then_fail(calls)(self, target)
        calls.append(Path(target))
        return original(self, target, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", second_figure_fails)
    assert main(argv) == 1
    assert len(calls) == 2
    assert snapshot(plots) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plots", "report.xlsx"]


# --------------------------------------------------------------------------- a real kill


KILLED_FILE_WRITE = """
import os, signal, sys
import pandas as pd
from tecmodel.io import write_csv

def killed_midway(self, target, *args, **kwargs):
    with open(target, "wb") as handle:
        handle.write(b"half a file")
        handle.flush()
        os.fsync(handle.fileno())
    os.kill(os.getpid(), signal.SIGKILL)

pd.DataFrame.to_csv = killed_midway
write_csv(sys.argv[1], pd.DataFrame({"npv": [2.0]}))
"""

KILLED_FOLDER_BUILD = """
import os, signal, sys
from pathlib import Path
from tecmodel.io import atomic_directory, write_text

with atomic_directory(sys.argv[1]) as building:
    write_text(Path(building) / "metrics.csv", "new")
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize(
    "script, target",
    [(KILLED_FILE_WRITE, "metrics.csv"), (KILLED_FOLDER_BUILD, "toy")],
    ids=["file", "folder"],
)
def test_a_kill_during_a_write_leaves_the_previous_result(tmp_path, script, target):
    """SIGKILL in the middle of writing a file (or building a case folder): the previous file (or
    folder) is byte-identical; the only trace is the hidden temporary beside it, which no reader
    takes for a result (its name starts with '.')."""
    path = tmp_path / target
    if target == "toy":
        path.mkdir()
        (path / "metrics.csv").write_text("old")
    else:
        path.write_text("old")
    before = snapshot(tmp_path)
    completed = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        check=False,
    )
    assert completed.returncode == -signal.SIGKILL, completed.stderr.decode()
    after = snapshot(tmp_path)
    assert {name: data for name, data in after.items() if not name.startswith(".")} == before
    leftovers = [name for name in after if name.startswith(".")]
    assert leftovers and all(name.startswith(f".{target}.") for name in leftovers), leftovers
