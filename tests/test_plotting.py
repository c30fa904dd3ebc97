"""Tests of skdeepcluster.plotting with the Agg backend."""

import sys

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.datasets import make_blobs

from skdeepcluster import AutoEncoderKMeans
from skdeepcluster.plotting import (
    plot_confusion_matrix,
    plot_embedding,
    plot_history,
)

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures_and_forbid_show(monkeypatch):
    def show(*args, **kwargs):
        raise AssertionError("plotting functions must not call show()")

    monkeypatch.setattr(plt, "show", show)
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted():
    X, y = make_blobs(90, n_features=5, centers=3, random_state=0)
    model = AutoEncoderKMeans(
        3, hidden_layer_sizes=(8,), latent_dim=3, pretrain_epochs=3, random_state=0
    ).fit(X)
    return model, X, y


def _cell_texts(ax):
    return [text.get_text() for text in ax.texts]


def test_confusion_matrix_counts_classes_against_predictions():
    y_true = ["cat", "cat", "dog", "dog", "dog"]
    y_pred = ["cat", "dog", "dog", "dog", "cat"]
    figure = plot_confusion_matrix(y_true, y_pred)
    ax = figure.axes[0]
    assert _cell_texts(ax) == ["1", "1", "1", "2"]
    assert ax.get_title() == "accuracy 0.600"
    assert ax.get_xlabel() == "predicted class"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog"]


def test_confusion_matrix_of_clusters_normalized_on_given_axes():
    figure, ax = plt.subplots()
    returned = plot_confusion_matrix([0, 0, 1, 1], [5, 6, 6, 6], normalize=True, ax=ax)
    assert returned is figure
    assert _cell_texts(ax) == ["0.50", "0.50", "0.00", "1.00"]
    assert ax.get_xlabel() == "cluster" and ax.get_title() == ""


def test_confusion_matrix_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="y_true has 2 samples but y_pred has 1"):
        plot_confusion_matrix([0, 1], [0])


def test_embedding_colours_by_cluster_or_by_given_labels(fitted):
    model, X, y = fitted
    ax = plot_embedding(model, X, random_state=0).axes[0]
    sizes = sorted(len(c.get_offsets()) for c in ax.collections)
    assert sizes == sorted(np.bincount(model.predict(X)).tolist())
    ax = plot_embedding(model, X, y, projection="tsne", random_state=0).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2"]
    with pytest.raises(ValueError, match="projection must be 'pca' or 'tsne'"):
        plot_embedding(model, X, projection="umap")
    with pytest.raises(ValueError, match="labels has 2 values for 90 samples"):
        plot_embedding(model, X, [0, 1])


def test_two_dimensional_embeddings_are_drawn_as_they_are(fitted):
    _, X, _ = fitted
    model = AutoEncoderKMeans(
        3, hidden_layer_sizes=(8,), latent_dim=2, pretrain_epochs=2, random_state=0
    ).fit(X)
    ax = plot_embedding(model, X).axes[0]
    drawn = np.concatenate([c.get_offsets() for c in ax.collections])
    labels = model.predict(X)
    expected = np.concatenate(
        [model.transform(X)[labels == k] for k in np.unique(labels)]
    )
    np.testing.assert_allclose(drawn, expected)


def test_history_draws_one_line_per_phase_in_order(fitted):
    model, _, _ = fitted
    lines = plot_history(model).axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["pretrain"]
    np.testing.assert_allclose(
        lines[0].get_ydata(), [r["loss"] for r in model.history_]
    )
    history = [
        {"phase": "pretrain", "epoch": 0, "loss": 2.0},
        {"phase": "cluster", "epoch": 0, "loss": 0.5},
        {"phase": "cluster", "epoch": 1, "loss": 0.25},
    ]
    cluster_line = plot_history(history, log_scale=True).axes[0].get_lines()[1]
    assert cluster_line.get_xdata().tolist() == [1, 2]
    with pytest.raises(ValueError, match="history is empty"):
        plot_history([])


def test_missing_matplotlib_gives_an_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skdeepcluster\[plot\]"):
        plot_confusion_matrix([0], [0])
