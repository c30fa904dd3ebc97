"""The quick examples run as written and produce their figures."""

import json
import runpy
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits

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


def test_torchrun_example_fits_on_two_processes_and_saves_from_rank_0(tmp_path):
    output = tmp_path / "model.joblib"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node=2",
        str(EXAMPLES / "torchrun_fit.py"),
        f"--output={output}",
        "--pretrain-epochs=2",
        "--max-epochs=2",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 processes, ACC on all digits" in done.stdout
    # Loaded here, with no process group: rank 0's shard was every other digit.
    model = joblib.load(output)
    X = (load_digits().data / 16.0).astype(np.float32)
    np.testing.assert_array_equal(model.predict(X[0::2]), model.labels_)
