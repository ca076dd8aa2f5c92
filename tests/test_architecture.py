"""The package's shape: layers import only downward, no cycles, no patching of other libraries,
no hidden imports of the package's own modules inside functions.

The layers and the cycle rule are import-linter contracts declared in ``pyproject.toml``
(``[tool.importlinter]``); the other rules are read from the source with :mod:`ast`. Each audit
is shown to find a planted violation, so none passes vacuously.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "tecmodel"


def test_import_linter_contracts_are_kept():
    """``lint-imports`` (import-linter) checks the layer order and the absence of cycles."""
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(no_cache=True, no_logo=True))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "2 kept, 0 broken" in completed.stdout


def patched_attributes(source: str) -> list[str]:
    """Assignments to an attribute (or item) of a name imported from outside the package."""
    tree = ast.parse(source)
    foreign = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            foreign |= {
                (alias.asname or alias.name).split(".")[0]
                for alias in node.names
                if not alias.name.startswith("tecmodel")
            }
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and not (node.module or "").startswith("tecmodel")
        ):
            foreign |= {alias.asname or alias.name for alias in node.names}
    found = []
    for node in ast.walk(tree):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else ([node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        )
        for target in targets:
            base = target
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if base is not target and isinstance(base, ast.Name) and base.id in foreign:
                found.append(f"{node.lineno}: {ast.unparse(target)}")
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "setattr" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Name) and first.id in foreign:
                found.append(f"{node.lineno}: setattr({first.id}, ...)")
    return found


def test_the_package_never_patches_another_library():
    """No module of the package assigns to another library's attributes (an analyst's kernel
    imports the package; it must not change xarray, dask or numpy for the whole process)."""
    found = {
        path.relative_to(ROOT).as_posix(): patched_attributes(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    assert {path: lines for path, lines in found.items() if lines} == {}


def test_the_patch_audit_finds_a_patch():
    source = textwrap.dedent("""
        import xarray
        from xarray.namedarray import pycompat
        xarray.backends.locks.get_dask_scheduler = lambda *a: None
        pycompat._cached_duck_array_modules["dask"] = object()
        setattr(xarray, "x", 1)
        local = {}
        local["fine"] = 1
    """)
    assert patched_attributes(source) == [
        "4: xarray.backends.locks.get_dask_scheduler",
        "5: pycompat._cached_duck_array_modules['dask']",
        "6: setattr(xarray, ...)",
    ]


def imports_inside_functions(source: str) -> list[str]:
    """Imports of the package's own modules inside a function body."""
    tree = ast.parse(source)
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").startswith("tecmodel")
            ):
                found.append(f"{node.lineno}: from {'.' * node.level}{node.module or ''}")
            elif isinstance(node, ast.Import) and any(
                a.name.startswith("tecmodel") for a in node.names
            ):
                found.append(f"{node.lineno}: import {node.names[0].name}")
    return found


#: The one place where the package's own modules are imported on first use, and why.
DEFERRED_IMPORTS = {
    "tecmodel/__init__.py": "the public API's analyses and reports are imported on first use (_LAZY)",
}


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*.py"))
)
def test_no_hidden_imports_of_the_package_inside_functions(path):
    """Heavy libraries (SALib, dask, zarr, openpyxl, matplotlib) may be imported inside the
    functions that use them; the package's own modules are imported at the top of a module, so
    the import graph (and import-linter) sees every dependency."""
    if path in DEFERRED_IMPORTS:
        return
    assert imports_inside_functions((ROOT / path).read_text(encoding="utf-8")) == []


def test_the_hidden_import_audit_finds_one():
    source = (
        "def f():\n    import numpy\n    from tecmodel.model import cube\n    from . import x\n"
    )
    assert imports_inside_functions(source) == ["3: from tecmodel.model", "4: from ."]


def test_no_module_is_larger_than_the_agreed_size():
    """About 800 formatted lines a module at most (one concern); the exceptions say why."""
    allowed = {
        # One declaration per model input (unit, bounds, reference values, source): a table,
        # read top to bottom, that splitting would scatter.
        "tecmodel/inputs/registry.py",
    }
    sizes = {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert {path: size for path, size in sizes.items() if size > 800 and path not in allowed} == {}


def test_the_version_needs_nothing_else():
    """``tecmodel/_version.py`` imports nothing, so any module can read the version."""
    tree = ast.parse(Path(PACKAGE / "_version.py").read_text(encoding="utf-8"))
    assert not [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
