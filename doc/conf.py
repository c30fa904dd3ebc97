"""Sphinx configuration of the skdeepcluster documentation.

Build with ``python -m sphinx -W -b html doc doc/_build/html`` (the ``doc``
extra installs what it needs). Warnings are errors in CI, which is offline:
intersphinx inventories are used only when they can be fetched, so the build
is warning-free with or without a network.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

DOC = Path(__file__).resolve().parent
ROOT = DOC.parent
sys.path.insert(0, str(ROOT))

import skdeepcluster  # noqa: E402

project = "skdeepcluster"
author = "The skdeepcluster developers"
copyright = "2026, The skdeepcluster developers"
version = release = skdeepcluster.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "design.md", "auto_examples/*.ipynb"]
templates_path = ["_templates"]
html_theme = "pydata_sphinx_theme"
html_title = f"skdeepcluster {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []

autosummary_generate = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"  # numpydoc writes the types from the docstrings
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Every public class and function carries an Examples section (they run as
# doctests in the test suite); methods are documented through their class.
numpydoc_validation_checks = {"EX01"}
numpydoc_validation_exclude = {r"\.[A-Z]\w*\.\w+$"}

# --------------------------------------------------------------- intersphinx

_INVENTORIES = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "sklearn": "https://scikit-learn.org/stable",
    "torch": "https://docs.pytorch.org/docs/stable",
    "matplotlib": "https://matplotlib.org/stable",
}


def _reachable(url: str) -> bool:
    """Whether the inventory of ``url`` can be fetched within a few seconds."""
    if os.environ.get("SKDEEPCLUSTER_DOCS_OFFLINE"):
        return False
    try:
        with urllib.request.urlopen(f"{url}/objects.inv", timeout=5) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


intersphinx_mapping = {
    name: (url, None) for name, url in _INVENTORIES.items() if _reachable(url)
}

# ------------------------------------------------------------ example gallery

# Quick examples run during the build; the others are shown with their code.
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": (
        r"plot_(dmae_dissimilarities|gmvae_1d|grid_search|image_folder_workflow)\.py$"
    ),
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skdeepcluster",),
    "backreferences_dir": "generated/backreferences",
}

# ------------------------------------------------------- benchmark tables


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return f"{len(value)} points (raw results)"
    if isinstance(value, dict):
        text = ", ".join(f"{k}={v}" for k, v in value.items() if k != "memory")
        return text or "defaults"
    return str(value)


def _table(title: str, records: list[dict], columns: list[str]) -> list[str]:
    """An RST list-table of ``records``, one row each, under ``title``."""
    lines = [title, "~" * len(title), "", ".. list-table::", "   :header-rows: 1", ""]
    for i, row in enumerate([dict(zip(columns, columns, strict=True)), *records]):
        for j, column in enumerate(columns):
            text = column if i == 0 else _cell(row.get(column, ""))
            lines.append(f"   {'* -' if j == 0 else '  -'} {text or ' '}")
    return [*lines, ""]


def _benchmark_tables() -> str:
    """reStructuredText tables of every result line in ``benchmarks/results``."""
    results = ROOT / "benchmarks" / "results"

    def read(name: str) -> list[dict]:
        path = results / name
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line]

    by_data: dict[str, list[dict]] = {}
    for record in read("results.jsonl"):
        by_data.setdefault(record["data"], []).append(record)
    columns = [
        "method",
        "params",
        "seed",
        "acc",
        "nmi",
        "ari",
        "seconds",
        "machine",
        "commit",
        "date",
    ]
    lines: list[str] = []
    for data, records in by_data.items():
        lines += _table(data, records, columns)
    extra = [
        ("gmvae_1d.jsonl", "GMVAE on 5 million one-feature rows"),
        ("image_folder.jsonl", "Loading a folder of images"),
        ("neighbors.jsonl", "Nearest-neighbour graphs of MNIST rows"),
        ("streaming.jsonl", "Fitting from a memmap and from memory"),
        ("tfidf.jsonl", "Sparse TF-IDF rows through a Pipeline"),
        ("scaling.jsonl", "AutoEncoderKMeans with every default, by rows"),
        ("distributed.jsonl", "One process and a torch.distributed group"),
        ("profile.jsonl", "Where the seconds of a fit go"),
        ("throughput.jsonl", "Training rate against a minimal loop and the peak"),
        ("clustpy_pairs.jsonl", "Side by side with ClustPy at equal epochs"),
        ("time_to_quality.jsonl", "Accuracy against seconds during a fit"),
        ("low_dimensional.jsonl", "Deep against shallow on low-dimensional data"),
    ]
    for name, title in extra:
        records = read(name)
        if records:
            keys = list(dict.fromkeys(k for r in records for k in r))
            lines += _table(title, records, keys)
    return "\n".join(lines)


def _write_benchmark_tables(app) -> None:
    generated = DOC / "_generated"
    generated.mkdir(exist_ok=True)
    text = _benchmark_tables()
    target = generated / "benchmark_tables.rst"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


def _skip_metadata_requests(app, what, name, obj, skip, options):
    """Hide scikit-learn's generated ``set_*_request`` methods (metadata routing)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app) -> None:
    app.connect("builder-inited", _write_benchmark_tables)
    app.connect("autodoc-skip-member", _skip_metadata_requests)
