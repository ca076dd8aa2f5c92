"""The reference cases shipped with the package, found by name from any folder.

The repository's ``inputs/`` folder holds them; the package links it as ``cases/`` so that a
wheel carries the same files as package data (``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

#: Folder of the bundled case files (``inputs/`` in the repository).
CASES_FOLDER = Path(__file__).resolve().parent / "cases"
#: The bundled cases, in the order the reports show them.
BUNDLED_CASES: tuple[str, ...] = ("base_10b", "doubled_20b")


def bundled_case_paths() -> list[Path]:
    """Paths of the bundled reference cases (the EUR 10B case, then the doubled case)."""
    return [CASES_FOLDER / f"{name}.yaml" for name in BUNDLED_CASES]


def bundled_case_path(name: str) -> Path | None:
    """The path of a bundled case given by name (``"base_10b"``), or None if it is not one.

    Parameters
    ----------
    name : str
        A bundled case's name, with or without ``.yaml``.
    """
    stem = name[:-5] if name.endswith(".yaml") else name
    if stem in BUNDLED_CASES and Path(name).name == name:
        return CASES_FOLDER / f"{stem}.yaml"
    return None
