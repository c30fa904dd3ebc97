"""Dask: parallel inference with dask-ml, model search on a Dask cluster."""

import joblib
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import MinMaxScaler

from skdeepcluster import AutoEncoderKMeans, GMVAEClustering

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
wrappers = pytest.importorskip("dask_ml.wrappers")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return MinMaxScaler().fit_transform(X)[:600], y[:600]


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes of one thread each, on this machine."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


@pytest.mark.parametrize("estimator", [AutoEncoderKMeans, GMVAEClustering])
def test_parallel_post_fit_infers_block_by_block(digits, cluster, estimator):
    X, _ = digits
    model = estimator(
        n_clusters=10, hidden_layer_sizes=(32,), random_state=0, **_short(estimator)
    ).fit(X)
    wrapped = wrappers.ParallelPostFit(estimator=model)
    blocks = da.from_array(X, chunks=(150, X.shape[1]))
    labels = wrapped.predict(blocks)
    assert isinstance(labels, da.Array)
    # Inference runs in float64 on the CPU, so a row's result does not
    # depend on which block it is in.
    np.testing.assert_array_equal(labels.compute(), model.predict(X))
    np.testing.assert_allclose(
        wrapped.transform(blocks).compute(), model.transform(X), atol=1e-12
    )
    # ParallelPostFit's predict_proba needs a classifier's classes_; a
    # clusterer's is mapped over the blocks directly.
    proba = blocks.map_blocks(
        model.predict_proba, chunks=(blocks.chunks[0], (10,)), dtype=np.float64
    )
    np.testing.assert_allclose(proba.compute(), model.predict_proba(X), atol=1e-12)


def test_grid_search_runs_on_the_dask_backend(digits, cluster):
    X, y = digits
    search = GridSearchCV(
        AutoEncoderKMeans(
            n_clusters=10, hidden_layer_sizes=(32,), random_state=0, **_short()
        ),
        {"latent_dim": [2, 5]},
        scoring="adjusted_rand_score",
        cv=2,
    )
    with joblib.parallel_backend("dask"):
        on_dask = search.fit(X, y).cv_results_
    # The workers import torch with one thread (Dask sets OMP_NUM_THREADS=1),
    # which orders float sums; the same search here, on one thread.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        here = GridSearchCV(**search.get_params(deep=False)).fit(X, y).cv_results_
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_allclose(
        on_dask["mean_test_score"], here["mean_test_score"], atol=1e-6
    )
    assert len(cluster.scheduler_info()["workers"]) == 2


def _short(estimator=AutoEncoderKMeans):
    if estimator is GMVAEClustering:
        # "auto" would start the digits' pixels from an autoencoder of DEC's size.
        start = AutoEncoderKMeans(hidden_layer_sizes=(32,), **_short())
        return {"max_epochs": 3, "init_iterations": 20, "init_params": start}
    return {"pretrain_epochs": 3, "neighbor_weight": 0.0}
