"""The shallow model of the autoencoder estimators, and when "auto" picks it."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import MinMaxScaler

from skdeepcluster import AutoEncoderKMeans, DECClustering, DMAEClustering
from skdeepcluster._autoencoder import (
    DENSE_HIDDEN_LAYER_SIZES,
    resolve_hidden_layer_sizes,
)

AUTOENCODER_CLASSES = pytest.mark.parametrize(
    "cls", [AutoEncoderKMeans, DECClustering, DMAEClustering]
)


@pytest.fixture(scope="module")
def anisotropic_blobs():
    """scikit-learn's sheared blobs, min-max scaled: 2-D, k-means cuts them wrongly."""
    X, y = make_blobs(n_samples=600, centers=3, random_state=170)
    X = X @ np.array([[0.6, -0.6], [-0.4, 0.8]])
    return MinMaxScaler().fit_transform(X), y


@pytest.mark.parametrize(
    "n_features, latent_dim, expected",
    [
        (2, 10, ()),
        (10, 10, ()),
        (11, 10, DENSE_HIDDEN_LAYER_SIZES),
        (3, 2, DENSE_HIDDEN_LAYER_SIZES),
    ],
)
def test_auto_hidden_layers_are_none_when_there_is_nothing_to_compress(
    n_features, latent_dim, expected
):
    assert resolve_hidden_layer_sizes("auto", n_features, latent_dim) == expected
    assert resolve_hidden_layer_sizes([7, 5], n_features, latent_dim) == (7, 5)


@AUTOENCODER_CLASSES
def test_the_default_network_on_low_dimensional_data_is_no_network(
    cls, anisotropic_blobs
):
    X, _ = anisotropic_blobs
    # DEC and DMAE would otherwise scale the features by one scalar.
    unscaled = {} if cls is AutoEncoderKMeans else {"rescale_embedding": False}
    model = cls(3, random_state=0, **unscaled).fit(X)
    # No pretraining: the embedding is X itself and the centres live among it.
    assert not [h for h in model.history_ if h["phase"] == "pretrain"]
    np.testing.assert_allclose(model.transform(X), X, rtol=1e-6)
    assert model.cluster_centers_.shape == (3, 2)


def test_the_shallow_autoencoder_kmeans_is_kmeans(anisotropic_blobs):
    X, _ = anisotropic_blobs
    model = AutoEncoderKMeans(3, hidden_layer_sizes=(), random_state=0).fit(X)
    kmeans = KMeans(3, n_init=model.n_init, random_state=0).fit(X)
    assert adjusted_rand_score(kmeans.labels_, model.labels_) == 1.0
    np.testing.assert_allclose(model.score(X) * len(X), kmeans.score(X), rtol=1e-4)


@AUTOENCODER_CLASSES
def test_defaults_are_not_worse_than_kmeans_on_2d_blobs(cls, anisotropic_blobs):
    # The old default network (500-500-2000-10) fell well below k-means on
    # these blobs (low_dimensional.py on the benchmark page).
    X, y = anisotropic_blobs
    kmeans = KMeans(3, n_init=10, random_state=0).fit_predict(X)
    labels = cls(3, random_state=0).fit_predict(X)
    assert adjusted_rand_score(y, labels) >= adjusted_rand_score(y, kmeans) - 0.02
