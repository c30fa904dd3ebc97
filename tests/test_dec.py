"""DECClustering: the target schedule, tol stopping, IDEC, quality."""

import math
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score

from skdeepcluster import AutoEncoderKMeans, DECClustering, _dec
from skdeepcluster.nn import ConvAutoencoder, losses

from fast_estimators import FAST_AE


def test_target_is_computed_on_all_rows_only_every_update_interval(blobs, monkeypatch):
    X, _ = blobs
    calls = []
    target_distribution = losses.target_distribution

    def recording(q, frequencies):
        calls.append(q.shape[0])
        return target_distribution(q, frequencies)

    monkeypatch.setattr(losses, "target_distribution", recording)
    model = DECClustering(
        3,
        batch_size=16,
        update_interval=5,
        tol=0.0,
        max_epochs=4,
        random_state=0,
        **FAST_AE,
    ).fit(X)
    iterations = 4 * math.ceil(90 / 16)
    cluster = [h for h in model.history_ if h["phase"] == "cluster"]
    assert cluster[-1]["n_iterations"] == iterations
    assert model.n_iter_ == 4
    assert not model.converged_
    # Iterations 0, 5, ..., 20: five updates, each over the 90 training rows.
    assert calls == [90] * math.ceil(iterations / 5)


def test_augmentation_fits_transformed_rows_to_the_target_of_unchanged_ones(
    blobs, monkeypatch
):
    X, _ = blobs
    augmented, targets = [], []
    augment = _dec.random_affine
    target_distribution = losses.target_distribution

    def recording_augment(batch, shape, generator):
        augmented.append(batch.shape[0])
        return augment(batch, shape, generator)

    def recording_target(q, frequencies):
        # The target is computed before any cluster-phase batch of its interval.
        targets.append(len(augmented))
        return target_distribution(q, frequencies)

    monkeypatch.setattr(_dec, "random_affine", recording_augment)
    monkeypatch.setattr(losses, "target_distribution", recording_target)
    settings = {"batch_size": 16, "update_interval": 6, "tol": 0.0, "max_epochs": 2}
    model = DECClustering(3, augmentation=True, random_state=0, **settings, **FAST_AE)
    model.fit(X)
    # Only the cluster phase's batches are seen here (the pretraining's go
    # through skdeepcluster._pretraining): all of them, and the targets,
    # computed on the unchanged rows, are the ones of the interval.
    assert augmented == [16] * 5 + [10] + [16] * 5 + [10]
    assert targets == [0, 6]
    plain = DECClustering(3, random_state=0, **settings, **FAST_AE).fit(X)
    assert len(augmented) == 12
    assert not np.allclose(model.cluster_centers_, plain.cluster_centers_)


def test_update_interval_none_is_one_epoch(blobs, monkeypatch):
    X, _ = blobs
    calls = []
    target_distribution = losses.target_distribution
    monkeypatch.setattr(
        losses,
        "target_distribution",
        lambda q, frequencies: calls.append(1) or target_distribution(q, frequencies),
    )
    DECClustering(
        3, batch_size=16, update_interval=None, tol=0.0, max_epochs=3, **FAST_AE
    ).fit(X)
    assert len(calls) == 3


def test_tol_stops_training_once_labels_settle(blobs):
    X, y = blobs
    model = DECClustering(
        3, batch_size=16, update_interval=20, max_epochs=200, random_state=0, **FAST_AE
    ).fit(X)
    assert model.converged_
    assert model.n_iter_ < 200
    cluster = [h for h in model.history_ if h["phase"] == "cluster"]
    assert len(cluster) == model.n_iter_
    assert adjusted_rand_score(y, model.labels_) > 0.9


def test_running_out_of_epochs_before_tol_warns(blobs):
    X, _ = blobs
    model = DECClustering(3, max_epochs=1, update_interval=1, random_state=0, **FAST_AE)
    with pytest.warns(ConvergenceWarning, match=r"max_epochs=1 .*tol=0.001"):
        model.fit(X)
    assert not model.converged_ and model.n_iter_ == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        # tol=0 asks for every epoch: nothing to warn about.
        model.set_params(tol=0.0).fit(X)


def test_predict_proba_is_q_and_labels_are_its_argmax(blobs):
    X, _ = blobs
    model = DECClustering(3, alpha=2.0, max_epochs=5, random_state=0, **FAST_AE).fit(X)
    Z = model.transform(X).astype(np.float64)
    distances = ((Z[:, None, :] - model.cluster_centers_[None]) ** 2).sum(-1)
    kernel = (1 + distances / 2.0) ** -1.5
    q = kernel / kernel.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), q, rtol=1e-6)
    np.testing.assert_array_equal(model.labels_, q.argmax(axis=1))
    np.testing.assert_array_equal(model.labels_, model.predict(X))


def test_cluster_phase_moves_the_kmeans_centres(blobs):
    X, _ = blobs
    settings = {"random_state": 0, **FAST_AE}
    start = AutoEncoderKMeans(3, **settings).fit(X)
    dec = {"rescale_embedding": False, **settings}
    untrained = DECClustering(3, max_epochs=0, **dec).fit(X)
    model = DECClustering(3, max_epochs=20, tol=0.0, **dec).fit(X)
    # Same seed, same pretraining and k-means: DEC starts where AutoEncoderKMeans
    # ends, then trains the encoder and the centres.
    np.testing.assert_array_equal(untrained.cluster_centers_, start.cluster_centers_)
    assert not np.allclose(model.cluster_centers_, start.cluster_centers_)
    assert not np.allclose(model.transform(X), start.transform(X))


def test_rescaled_embedding_has_unit_variance_and_same_reconstruction(blobs):
    X, _ = blobs
    settings = {"max_epochs": 0, "random_state": 0, **FAST_AE}
    raw = DECClustering(3, rescale_embedding=False, **settings).fit(X)
    scaled = DECClustering(3, **settings).fit(X)
    Z_raw, Z = raw.transform(X), scaled.transform(X)
    assert Z.var(axis=0).mean() == pytest.approx(1.0, rel=1e-5)
    factor = np.sqrt(Z_raw.var(axis=0).mean())
    np.testing.assert_allclose(Z * factor, Z_raw, rtol=1e-4, atol=1e-6)
    x = torch.tensor(X, dtype=torch.float32)
    with torch.no_grad():
        torch.testing.assert_close(
            scaled.module_.autoencoder(x), raw.module_.autoencoder(x)
        )
    # k-means does not care about the scale: the same partition.
    np.testing.assert_array_equal(scaled.labels_, raw.labels_)


def _decoder_weights(model):
    return [p.detach().clone() for p in model.module_.autoencoder.decoder.parameters()]


def test_dec_discards_the_decoder_and_idec_trains_it(blobs):
    X, _ = blobs
    settings = {"random_state": 0, "tol": 0.0, **FAST_AE}
    pretrained = DECClustering(3, max_epochs=0, **settings).fit(X)
    dec = DECClustering(3, max_epochs=10, **settings).fit(X)
    idec = DECClustering(3, max_epochs=10, reconstruction_weight=10.0, **settings)
    idec.fit(X)
    for before, after in zip(
        _decoder_weights(pretrained), _decoder_weights(dec), strict=True
    ):
        torch.testing.assert_close(before, after, rtol=0, atol=0)
    assert any(
        not torch.equal(before, after)
        for before, after in zip(
            _decoder_weights(pretrained), _decoder_weights(idec), strict=True
        )
    )
    assert not np.allclose(dec.transform(X), idec.transform(X))


def test_reconstruction_weight_keeps_the_embedding_decodable(blobs):
    X, _ = blobs
    settings = {"random_state": 0, "tol": 0.0, "max_epochs": 100, **FAST_AE}

    def reconstruction_error(model):
        module = model.module_.autoencoder
        with torch.no_grad():
            x = torch.tensor(X, dtype=torch.float32)
            return float(losses.reconstruction_loss(x, module(x)))

    dec = DECClustering(3, **settings).fit(X)
    idec = DECClustering(3, reconstruction_weight=10.0, **settings).fit(X)
    assert reconstruction_error(idec) < reconstruction_error(dec)


def test_image_shape_gives_convolutional_dec_and_idec():
    X, _ = load_digits(return_X_y=True)
    X = X[:120] / 16.0
    settings = {
        "image_shape": (1, 8, 8),
        "conv_channels": (4, 8),
        "latent_dim": 3,
        "pretrain_epochs": 2,
        "max_epochs": 2,
        "tol": 0.0,
        "random_state": 0,
    }
    for weight in (0.0, 10.0):
        model = DECClustering(4, reconstruction_weight=weight, **settings).fit(X)
        assert isinstance(model.module_.autoencoder, ConvAutoencoder)
        assert model.transform(X).shape == (120, 3)
        np.testing.assert_array_equal(model.predict(X), model.labels_)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"update_interval": 0}, r"'update_interval' parameter .* range \[1, inf\)"),
        ({"tol": -0.1}, r"'tol' parameter .* range \[0.0, 1.0\]"),
        ({"max_epochs": -1}, r"'max_epochs' parameter .* range \[0, inf\)"),
        ({"reconstruction_weight": -1.0}, r"'reconstruction_weight' parameter"),
        ({"cluster_learning_rate": 0.0}, r"'cluster_learning_rate' parameter"),
        ({"cluster_optimizer": "lbfgs"}, r"'cluster_optimizer' parameter .* among"),
        ({"rescale_embedding": "yes"}, r"'rescale_embedding' parameter"),
        ({"alpha": 0.0}, r"'alpha' parameter .* range \(0.0, inf\)"),
        ({"n_init": 0}, r"'n_init' parameter"),
    ],
)
def test_invalid_dec_parameters_are_named(blobs, params, message):
    X, _ = blobs
    with pytest.raises(ValueError, match=message):
        DECClustering(3, **FAST_AE, **params).fit(X)


@pytest.mark.slow
def test_digits_mean_accuracy_with_default_settings(digits_mean_accuracy):
    # The digits target of issue 28: a mean over seeds 0-4.
    assert digits_mean_accuracy(DECClustering) >= 0.88


def test_exploding_cluster_phase_names_cluster_learning_rate(blobs):
    X, _ = blobs
    model = DECClustering(
        3,
        cluster_learning_rate=1e30,
        reconstruction_weight=1.0,
        random_state=0,
        **FAST_AE,
    )
    with pytest.raises(
        ValueError, match=r"The cluster loss became .* Lower cluster_learning_rate"
    ):
        model.fit(X * 1e3)
