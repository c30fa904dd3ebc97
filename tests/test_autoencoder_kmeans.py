"""AutoEncoderKMeans: k-means on the embedding, convolutional path, quality."""

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import MinMaxScaler

from skdeepcluster import AutoEncoderKMeans, _autoencoder
from skdeepcluster.nn import ConvAutoencoder, MLPAutoencoder

from fast_estimators import FAST_AE, FAST_CONV


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


def test_predict_is_the_nearest_centre_in_the_embedding(blobs):
    X, _ = blobs
    model = AutoEncoderKMeans(3, random_state=0, **FAST_AE).fit(X)
    Z = model.transform(X).astype(np.float64)
    distances = ((Z[:, None, :] - model.cluster_centers_[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(distances.argmin(axis=1), model.predict(X))
    assert model.score(X) == pytest.approx(-distances.min(axis=1).mean(), rel=1e-6)


def test_predict_proba_is_the_student_t_kernel(blobs):
    X, _ = blobs
    model = AutoEncoderKMeans(3, alpha=3.0, random_state=0, **FAST_AE).fit(X)
    Z = model.transform(X).astype(np.float64)
    distances = ((Z[:, None, :] - model.cluster_centers_[None]) ** 2).sum(-1)
    kernel = (1 + distances / 3.0) ** -2.0
    expected = kernel / kernel.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-6)


def test_centres_are_kmeans_on_the_pretrained_embedding(blobs):
    X, _ = blobs
    model = AutoEncoderKMeans(3, random_state=0, **FAST_AE).fit(X)
    Z = model.transform(X)
    # Each centre is the mean of its cluster's embeddings (a k-means fixed point).
    for k in range(3):
        np.testing.assert_allclose(
            model.cluster_centers_[k], Z[model.labels_ == k].mean(axis=0), atol=1e-5
        )


def test_n_iter_counts_the_epochs_of_the_last_phase_the_pretraining(blobs):
    X, _ = blobs
    model = AutoEncoderKMeans(3, random_state=0, **FAST_AE).fit(X)
    assert model.n_iter_ == FAST_AE["pretrain_epochs"]
    layerwise = AutoEncoderKMeans(
        3, pretraining="layerwise", random_state=0, **FAST_AE
    ).fit(X)
    # One stage per layer pair (two here), then the end-to-end fine-tuning,
    # the last phase, which n_iter_ counts.
    assert len(layerwise.history_) == 3 * FAST_AE["pretrain_epochs"]
    assert layerwise.n_iter_ == FAST_AE["pretrain_epochs"]


def test_auto_pretrain_epochs_give_small_data_a_number_of_updates(blobs, monkeypatch):
    X, _ = blobs
    # The rule at a scale a test can afford: at least 3 epochs, and from 60
    # rows enough of them for 60 updates.
    monkeypatch.setattr(_autoencoder, "PRETRAIN_EPOCHS", 3)
    monkeypatch.setattr(_autoencoder, "MIN_PRETRAIN_UPDATES", 60)
    monkeypatch.setattr(_autoencoder, "MIN_ROWS_FOR_MORE_UPDATES", 60)
    settings = {**FAST_AE, "pretrain_epochs": "auto", "n_iter_no_change": None}
    batches = -(-len(X) // 64)
    small = AutoEncoderKMeans(3, batch_size=64, random_state=0, **settings).fit(X)
    assert small.n_iter_ == -(-60 // batches)
    assert small.n_steps_ >= 60
    large = AutoEncoderKMeans(3, batch_size=2, random_state=0, **settings).fit(X)
    assert large.n_iter_ == 3
    assert large.n_steps_ > 60
    # Fewer rows keep the epochs of large data, as convolutional networks do.
    few = AutoEncoderKMeans(3, batch_size=64, random_state=0, **settings)
    assert few.fit(X[:45]).n_iter_ == 3
    conv = AutoEncoderKMeans(
        3, batch_size=64, random_state=0, **settings, **FAST_CONV
    ).fit(X)
    assert conv.n_iter_ == 3


def test_dense_network_by_default(blobs):
    X, _ = blobs
    model = AutoEncoderKMeans(3, random_state=0, **FAST_AE).fit(X)
    assert isinstance(model.module_.autoencoder, MLPAutoencoder)


def test_image_shape_switches_to_a_convolutional_network(digits):
    X, _ = digits
    model = AutoEncoderKMeans(
        10,
        image_shape=(1, 8, 8),
        conv_channels=(8, 16),
        latent_dim=6,
        pretrain_epochs=2,
        n_init=2,
        random_state=0,
    ).fit(X[:300])
    assert isinstance(model.module_.autoencoder, ConvAutoencoder)
    assert model.transform(X[:7]).shape == (7, 6)
    assert model.predict(X[300:310]).shape == (10,)
    assert model.score(X[:50]) < 0


def test_recovers_blobs_hidden_in_many_dimensions():
    X, y = make_blobs(
        n_samples=300, centers=4, n_features=30, cluster_std=4.0, random_state=1
    )
    X = MinMaxScaler().fit_transform(X)
    model = AutoEncoderKMeans(
        4, hidden_layer_sizes=(64,), latent_dim=4, pretrain_epochs=100, random_state=0
    ).fit(X)
    assert adjusted_rand_score(y, model.labels_) >= 0.9


@pytest.mark.slow
def test_digits_mean_accuracy_with_default_settings(digits_mean_accuracy):
    # The digits target of issue 28: a mean over seeds 0-4.
    assert digits_mean_accuracy(AutoEncoderKMeans) >= 0.85
