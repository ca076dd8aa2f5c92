"""The analysis notebooks run top to bottom, warning-free, and are stored without outputs.

Each notebook in ``notebooks/`` is executed in a fresh kernel (nbclient, the ``python3`` kernel
of the interpreter running the tests, so the same virtual environment and this checkout's
``tecmodel``) at ``TECMODEL_NOTEBOOK_SCALE=test``, the small sample sizes. A cell injected first
turns every warning into an error inside the kernel, so a DeprecationWarning or FutureWarning
from any library fails the notebook like an exception does. The notebooks must end with their
answer as Markdown computed in the kernel (a ``text/markdown`` output of the last code cell).

The stored notebooks carry no outputs or execution counts: ``make notebooks`` executes them at
full scale and renders HTML under ``outputs/notebooks/`` without writing the results back.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 600  # [s] per cell; the whole set takes well under a minute at test scale

#: Injected before the first cell: warnings are errors, in this virtual environment.
STRICT_CELL = (
    "import sys, warnings\n"
    "warnings.simplefilter('error')\n"
    f"assert sys.prefix == {sys.prefix!r}, "
    "f'the kernel runs in {sys.prefix}, not in the test environment'\n"
)
#: Injected after the last cell: the kernel's own shutdown may warn (ipykernel); not the notebook's.
RELAX_CELL = "warnings.resetwarnings()\n"


def kernel_environment(scale: str = "test") -> dict[str, str]:
    """The kernel's environment: this checkout first on the path, the given notebook scale."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path, TECMODEL_NOTEBOOK_SCALE=scale)


def execute_notebook(path: Path, scale: str = "test"):
    """Run a notebook in a fresh kernel with warnings as errors; return the executed notebook.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        When a cell raises (a warning included).
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(STRICT_CELL))
    notebook.cells.append(nbformat.v4.new_code_cell(RELAX_CELL))
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=kernel_environment(scale))
    return notebook


def test_there_are_five_notebooks():
    assert [path.name for path in NOTEBOOKS] == [
        "01_eur10b_case.ipynb",
        "02_sobol_sensitivity.ipynb",
        "03_monte_carlo.ipynb",
        "04_eur10b_vs_doubled.ipynb",
        "05_second_site_option.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_stored_without_outputs(path):
    """No outputs, execution counts or execution metadata: results are never stale in git."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebook.cells[0].cell_type == "markdown" and "**Question.**" in notebook.cells[0].source
    for cell in notebook.cells:
        assert "execution" not in cell.metadata, cell.id
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}, cell {cell.id}: has outputs"
            )


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_top_to_bottom_and_ends_with_its_answer(path):
    notebook = execute_notebook(path)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    answer = code[
        -2
    ]  # the last cell of the notebook itself (the relaxing cell is injected after it)
    markdown = [output for output in answer.outputs if "text/markdown" in output.get("data", {})]
    assert markdown, f"{path.name}: the last cell does not display its answer as Markdown"
    assert len(markdown[-1]["data"]["text/markdown"]) > 200


@pytest.mark.notebooks
@pytest.mark.parametrize("category", ["DeprecationWarning", "FutureWarning"])
def test_a_warning_in_a_notebook_fails_it(tmp_path, category):
    """A library's warning (issued from a module other than the notebook's) stops the run."""
    import nbformat
    from nbclient.exceptions import CellExecutionError

    path = tmp_path / "warns.ipynb"
    notebook = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
    )
    notebook.cells = [
        nbformat.v4.new_code_cell("value = 1"),
        nbformat.v4.new_code_cell(
            f"import warnings\nwarnings.warn_explicit('old API', {category}, 'library.py', 1, "
            "module='library')"
        ),
    ]
    nbformat.write(notebook, path)
    with pytest.raises(CellExecutionError, match=category):
        execute_notebook(path)
