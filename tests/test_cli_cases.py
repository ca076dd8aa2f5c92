"""The `tecmodel` command as a new user meets it: the bundled cases from any folder, a new case
started from one, usage errors as argparse writes them, every problem of every file, a missing
optional library named with its install command, and no folder left behind by a failed command."""

from __future__ import annotations

import sys
import tomllib

import pytest

from tecmodel.cli.extras import OPTIONAL_MODULES, install_command
from tecmodel.cli.main import main
from tecmodel.errors import InputError, Problem
from tecmodel.inputs.bundled import BUNDLED_CASES

from .conftest import BASE_FILE, ROOT, TOY_FILE


def test_cases_lists_every_bundled_case_with_its_sites_and_years(capsys):
    assert main(["cases"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["name", "sites", "years"]
    rows = {line.split()[0]: line for line in lines[1 : 1 + len(BUNDLED_CASES)]}
    assert list(rows) == list(BUNDLED_CASES)
    # the sites and years as the case files state them (inputs/base_10b.yaml, doubled_20b.yaml)
    assert "fluidstack_fr " in rows["base_10b"] and "2025-2045" in rows["base_10b"]
    assert "fluidstack_fr, campus_ia_site2" in rows["doubled_20b"]


def test_run_by_bundled_name_from_an_empty_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "base_10b", "--quiet"]) == 0
    assert sorted(p.name for p in (tmp_path / "outputs").iterdir()) == ["base_10b"]


def test_init_writes_a_renamed_copy_and_refuses_to_overwrite(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "my_campus", "--from", "base_10b"]) == 0
    written = (tmp_path / "my_campus.yaml").read_text()
    original = BASE_FILE.read_text()
    assert "name: my_campus\n" in written and "name: base_10b\n" not in written
    # everything but the name line is the bundled file, comments and sources included
    assert written.replace("name: my_campus\n", "name: base_10b\n", 1) == original
    assert main(["validate", "my_campus.yaml"]) == 0
    capsys.readouterr()

    (tmp_path / "my_campus.yaml").write_text("edited")
    assert main(["init", "my_campus"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "exists already" in error and "Traceback" not in error
    assert (tmp_path / "my_campus.yaml").read_text() == "edited"


def test_init_refuses_a_name_that_cannot_name_a_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "my campus"]) == 2
    assert "expected a case name" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["rn"], "argument COMMAND: invalid choice: 'rn'"),
        (["run", "--bogus"], "unrecognized arguments: --bogus"),
        (["montecarlo", "-n", "abc"], "argument -n: expected a whole number"),
    ],
)
def test_usage_errors_read_like_argparse(argv, message, capsys):
    assert main(argv) == 2
    error = capsys.readouterr().err
    usage, reason = error.rstrip("\n").rsplit("\n", 1)
    assert usage.startswith("usage: tecmodel")
    assert reason.startswith("tecmodel") and f": error: {message}" in reason
    assert "(whole file)" not in error


def test_validate_reports_every_problem_of_every_file(tmp_path, capsys):
    text = TOY_FILE.read_text()
    first = tmp_path / "first.yaml"
    first.write_text(
        text.replace("market_price: {value: 100,", "market_price: {value: -5,").replace(
            "gpu_hour_price: {value: 2.0,", "gpu_hour_price: {value: -1,"
        )
    )
    second = tmp_path / "second.yaml"
    second.write_text("name: x\n  bad: [\n")
    missing = tmp_path / "missing.yaml"
    assert main(["validate", str(first), str(TOY_FILE), str(second), str(missing)]) == 2
    captured = capsys.readouterr()
    assert f"{TOY_FILE}: OK" in captured.out
    errors = captured.err.splitlines()
    assert sum("first.yaml" in line for line in errors) == 2
    assert any("sites[0].power.market_price" in line for line in errors)
    assert any("gpu_hour_price" in line for line in errors)
    assert any("second.yaml, line" in line and "invalid YAML" in line for line in errors)
    assert any(f"{missing}: file not found" in line for line in errors)
    assert errors[-1] == "4 problems in 3 of 4 files"
    assert "(whole file)" not in captured.err


def test_values_in_messages_are_plain():
    """numpy 2 writes np.str_('a') and np.float64(0.5) for scalars inside lists and messages."""
    np = pytest.importorskip("numpy")
    message = str(
        InputError(
            Problem(
                "site",
                f"expected one of {[np.str_('fr'), np.str_('portfolio')]}",
                np.float64(0.5),
            )
        )
    )
    assert message == "site = 0.5: expected one of ['fr', 'portfolio']"


def test_compare_names_the_sites_plainly(capsys):
    assert main(["compare", "base_10b", "doubled_20b", "--site", "nosuch"]) == 2
    error = capsys.readouterr().err
    assert "np." not in error and "no site" in error and "'fluidstack_fr'" in error


def test_failed_command_leaves_no_new_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "missing.yaml"]) == 2
    assert main(["run", "missing.yaml", "--out", "results"]) == 2
    assert main(["tornado", str(TOY_FILE), "--factors", "nosuch", "--out", "t"]) == 2
    assert list(tmp_path.iterdir()) == []


def test_missing_optional_library_names_the_install_command(tmp_path, monkeypatch, capsys):
    """A module set to None in sys.modules cannot be imported: as if the extra were missing."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "zarr", None)
    assert main(["montecarlo", str(TOY_FILE), "-n", "64", "--store", "s.zarr"]) == 2
    # one line (after the note on a first compilation, printed when the kernels are not cached)
    lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("note:")]
    assert len(lines) == 1
    error = lines[0]
    assert error.startswith("error: ") and "--store" in error and "'zarr'" in error
    assert 'pip install "tecmodel[scale]"' in error
    assert list(tmp_path.iterdir()) == []


def test_optional_modules_are_installed_by_their_extra():
    """Every optional module the command names belongs to the extra it names (pyproject.toml)."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for module, extra in OPTIONAL_MODULES.items():
        requirements = " ".join(extras[extra]).replace("[", " ").replace("]", " ")
        assert module in requirements.split() or f"{module}>" in requirements, (module, extra)
    assert install_command("scale") == 'pip install "tecmodel[scale]"'


def test_every_run_states_its_discount_rate_horizon_and_conventions(tmp_path, capsys):
    """tests/data/toy.yaml: discount rate 10 %, 2025-2030 (six years), inflation 0 %/yr."""
    expected = (
        "Discount rate 10.00 %/yr (nominal, post-tax); horizon 2025-2030 (6 years); nominal EUR, "
        "year-end cash flows, discounted to 2025 (t = 0); inflation 0.00 %/yr"
    )
    assert main(["run", str(TOY_FILE), "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[1] == expected
    # inputs/base_10b.yaml: discount rate 9 %, 2025-2045 (21 years), inflation 2 %/yr
    argv = ["montecarlo", str(BASE_FILE), "-n", "256", "--out", str(tmp_path), "--no-progress"]
    assert main(argv) == 0
    assert (
        "Discount rate 9.00 %/yr (nominal, post-tax); horizon 2025-2045 (21 years); nominal EUR, "
        "year-end cash flows, discounted to 2025 (t = 0); inflation 2.00 %/yr"
    ) in capsys.readouterr().out.splitlines()
