"""The neighbour search of the pretraining: exact, partitioned, NN-descent, "auto"."""

import importlib.util
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs

from skdeepcluster import ApproximateNeighborsWarning, AutoEncoderKMeans, _neighbors
from skdeepcluster._neighbors import find_neighbors, resolve_neighbor_algorithm
from skdeepcluster.nn import nearest_neighbors, partitioned_neighbors


def _recall(found, exact):
    return np.mean(
        [len(set(a) & set(b)) / len(b) for a, b in zip(found, exact, strict=True)]
    )


@pytest.fixture
def clustered():
    """3,000 rows in 8 dimensions around 30 centres: cells cut through groups."""
    X, _ = make_blobs(3000, n_features=8, centers=30, random_state=0)
    return torch.tensor(X, dtype=torch.float32)


def test_partitioned_search_finds_most_true_neighbours_and_never_the_row(clustered):
    exact = nearest_neighbors(clustered, 10).numpy()
    found = partitioned_neighbors(
        clustered, 10, torch.Generator().manual_seed(0), cell_rows=200
    ).numpy()
    assert found.shape == (3000, 10)
    assert not (found == np.arange(3000)[:, None]).any()
    # 0.996 here; a row's own cell alone (no second cell) found 0.95.
    assert _recall(found, exact) > 0.98


def test_partitioned_search_is_seeded_and_exact_on_one_cell(clustered):
    first, second = (
        partitioned_neighbors(clustered, 5, torch.Generator().manual_seed(1))
        for _ in range(2)
    )
    torch.testing.assert_close(first, second)
    # 3,000 rows are fewer than two cells of 2,048: the exact search.
    torch.testing.assert_close(first, nearest_neighbors(clustered, 5))


def test_rows_of_a_cell_smaller_than_n_neighbors_search_all_rows():
    # Three far outliers make a cell of their own, with too few other rows.
    x = torch.cat([torch.randn(400, 2), torch.tensor([[1e3, 1e3]] * 3)])
    found = partitioned_neighbors(x, 5, torch.Generator().manual_seed(0), cell_rows=50)
    assert not (found == torch.arange(403)[:, None]).any()
    assert set(found[-1, :2].tolist()) == {400, 401}


def test_auto_is_exact_up_to_the_limit_then_approximate(monkeypatch):
    monkeypatch.setattr(_neighbors, "EXACT_MAX_ROWS", 100)
    assert resolve_neighbor_algorithm("auto", 100) == "exact"
    assert resolve_neighbor_algorithm("partition", 10**6) == "partition"
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.warns(ApproximateNeighborsWarning, match=r"101 rows.*pynndescent"):
        assert resolve_neighbor_algorithm("auto", 101) == "partition"
    with pytest.raises(ImportError, match=r"neighbor_algorithm='nndescent'.*pip"):
        resolve_neighbor_algorithm("nndescent", 10)


def test_the_fallback_warns_once_per_fit(monkeypatch, blobs):
    X, _ = blobs
    monkeypatch.setattr(_neighbors, "EXACT_MAX_ROWS", 50)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    model = AutoEncoderKMeans(
        3, hidden_layer_sizes=(8,), latent_dim=2, pretrain_epochs=2, random_state=0
    )
    with pytest.warns(ApproximateNeighborsWarning) as caught:
        model.fit(X)
    assert len(caught) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", ApproximateNeighborsWarning)
        model.set_params(neighbor_algorithm="partition").fit(X)
        model.set_params(neighbor_weight=0.0, neighbor_algorithm="auto").fit(X)


def test_nndescent_finds_most_true_neighbours_and_never_the_row(clustered):
    pytest.importorskip("pynndescent")
    exact = nearest_neighbors(clustered, 10).numpy()
    found = find_neighbors(clustered, 10, "nndescent", seed=0).numpy()
    assert found.shape == (3000, 10) and found.dtype == np.int64
    assert not (found == np.arange(3000)[:, None]).any()
    assert _recall(found, exact) > 0.95


def test_nndescent_leaves_torch_threads_as_they_were(clustered):
    # numba restores its own thread count through the OpenMP runtime that
    # torch may share, which used to set torch's to the machine's count.
    pytest.importorskip("pynndescent")
    n_threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        find_neighbors(clustered, 10, "nndescent", seed=0)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(n_threads)
