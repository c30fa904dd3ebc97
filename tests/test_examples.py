"""The quick examples run as written and produce their figures."""

import json
import runpy
from pathlib import Path

import joblib
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_dmae_dissimilarities_example_draws_its_figure(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(EXAMPLES / "plot_dmae_dissimilarities.py"), run_name="__main__")
    assert (tmp_path / "dmae_dissimilarities.png").stat().st_size > 10_000


def test_image_folder_workflow_names_shapes_and_saves_its_reports(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("PIL")
    workflow = runpy.run_path(str(EXAMPLES / "plot_image_folder_workflow.py"))
    accuracy = workflow["main"](tmp_path)
    # Four shape classes at 32x32, a fixed seed, five labelled images per class.
    assert accuracy >= 0.90
    reports = tmp_path / "reports"
    assert (reports / "test" / "test_cm.png").stat().st_size > 5_000
    log = (reports / "train" / "training_log.csv").read_text().splitlines()
    assert log[0] == "phase,epoch,loss,n_iterations"
    assert {line.split(",")[0] for line in log[1:]} == {"pretrain", "cluster"}
    mapping = json.loads((reports / "train" / "class_mappings.json").read_text())
    assert sorted(set(mapping.values())) == ["circle", "cross", "square", "triangle"]
    mapper = joblib.load(reports / "train" / "model.joblib")
    test = workflow["load_image_folder"](tmp_path / "datasets" / "test")
    predicted = mapper.predict(test.data)
    assert (predicted == test.target_names[test.target]).mean() == accuracy
