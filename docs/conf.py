"""Sphinx configuration of the tecmodel documentation (``make docs-html``).

The API reference is generated from the docstrings (autosummary, recursive, numpydoc); the
notebooks in ``notebooks/`` (linked here as ``docs/notebooks``, stored without outputs) are
executed by myst-nb at ``TECMODEL_NOTEBOOK_SCALE=test`` and rendered with their outputs. An
execution error fails the build like a warning does (``-W``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import types
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# This checkout's package first, for autodoc here and for the notebooks' kernels (the same
# environment as tests/test_notebooks.py: this checkout on the path, the small sample sizes).
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
os.environ["TECMODEL_NOTEBOOK_SCALE"] = "test"
os.environ.setdefault("MPLBACKEND", "agg")

import tecmodel  # noqa: E402

project = "tecmodel"
author = "tecmodel developers"
copyright = "tecmodel developers"  # noqa: A001 (Sphinx's name)
release = tecmodel.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
    "sphinx_copybutton",
]

exclude_patterns = ["_build", "_templates", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]
root_doc = "index"
default_role = "py:obj"

# -- API reference ----------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # numpydoc's Parameters and Returns sections carry the types
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": True}
add_module_names = False

numpydoc_show_class_members = False  # autodoc's :members: documents them on the module page
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- MyST and notebooks ---------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 3

nb_execution_mode = "cache"
nb_execution_timeout = 600  # [s] per cell, as tests/test_notebooks.py
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_in_temp = False  # the notebooks find the repository from their own folder
nb_merge_streams = True


def _source_fingerprint() -> str:
    """Hash of the package and the bundled cases: what the notebooks' outputs depend on."""
    digest = hashlib.sha256()
    files = sorted([*(ROOT / "tecmodel").rglob("*.py"), *(ROOT / "inputs").glob("*.yaml")])
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


#: A change of the package re-reads every page (a config value with ``rebuild="env"``),
#: regenerates the API stubs (a removed module leaves no page behind) and executes the notebooks
#: afresh (a new cache folder), so no stale page or output is ever shown; the notebooks alone
#: changing re-executes just them (the cache is keyed on their code cells).
tecmodel_source_fingerprint = _source_fingerprint()
_CACHES = ROOT / "outputs" / "docs" / "jupyter_cache"  # beside the Makefile's outputs/docs/html
nb_execution_cache_path = str(_CACHES / tecmodel_source_fingerprint)
for _stale in _CACHES.glob("*"):
    if _stale.name != tecmodel_source_fingerprint:
        shutil.rmtree(_stale, ignore_errors=True)
_GENERATED = DOCS / "api" / "generated"  # autosummary's stubs (git-ignored)
_STUBS_OF = _GENERATED / ".fingerprint"
if not _STUBS_OF.is_file() or _STUBS_OF.read_text() != tecmodel_source_fingerprint:
    shutil.rmtree(_GENERATED, ignore_errors=True)
    _GENERATED.mkdir(parents=True)
    _STUBS_OF.write_text(tecmodel_source_fingerprint)

# -- HTML -------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"tecmodel {release}"
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}


def _skip_type_aliases(app, what, name, obj, skip, options):
    """Leave out module-level type aliases (``Group = tuple[str, bool]``): not API objects."""
    return True if isinstance(obj, types.GenericAlias) else None


def setup(app):
    app.add_config_value("tecmodel_source_fingerprint", "", "env")
    app.connect("autodoc-skip-member", _skip_type_aliases)
