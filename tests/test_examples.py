"""The quick examples run as written and produce their figures."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_dmae_dissimilarities_example_draws_its_figure(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(EXAMPLES / "plot_dmae_dissimilarities.py"), run_name="__main__")
    assert (tmp_path / "dmae_dissimilarities.png").stat().st_size > 10_000
