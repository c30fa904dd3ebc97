"""DMAEClustering: dissimilarities end to end, initialisation, shallow model."""

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from sklearn.datasets import load_digits, make_blobs
from sklearn.metrics import adjusted_rand_score

from skdeepcluster import DMAEClustering
from skdeepcluster.nn import ConvAutoencoder, MLPAutoencoder, losses

from fast_estimators import FAST_AE

SHALLOW = {"hidden_layer_sizes": (), "random_state": 0}


@pytest.fixture(scope="module")
def anisotropic_blobs():
    """scikit-learn's anisotropic blobs: k-means cuts them wrongly."""
    X, y = make_blobs(n_samples=600, centers=3, random_state=170)
    return X @ np.array([[0.6, -0.6], [-0.4, 0.8]]), y


@pytest.fixture(scope="module")
def rays():
    """Three clusters that differ by direction only, at norms from 1 to 10."""
    rng = np.random.RandomState(0)
    angles = np.array([0.3, 1.2, 2.1])
    labels = rng.randint(3, size=450)
    theta = angles[labels] + rng.normal(scale=0.08, size=450)
    radius = rng.uniform(1, 10, size=450)
    X = radius[:, None] * np.column_stack([np.cos(theta), np.sin(theta)])
    return X, labels


@pytest.mark.parametrize("seed", [0, 1])
def test_mahalanobis_recovers_anisotropic_blobs(anisotropic_blobs, seed):
    X, y = anisotropic_blobs
    params = {**SHALLOW, "random_state": seed}
    mahalanobis = DMAEClustering(3, dissimilarity="mahalanobis", **params).fit(X)
    euclidean = DMAEClustering(3, dissimilarity="euclidean", **params).fit(X)
    assert adjusted_rand_score(y, mahalanobis.labels_) >= 0.9
    assert adjusted_rand_score(y, mahalanobis.labels_) >= adjusted_rand_score(
        y, euclidean.labels_
    )
    assert mahalanobis.mahalanobis_matrices_.shape == (3, 2, 2)
    assert np.all(np.linalg.eigvalsh(mahalanobis.mahalanobis_matrices_) >= 0)


def test_auto_dissimilarity_is_mahalanobis_on_an_embedding_euclidean_on_features(
    blobs,
):
    X, _ = blobs
    deep = {"max_epochs": 2, "random_state": 0, **FAST_AE}
    auto = DMAEClustering(3, **deep).fit(X)
    assert auto.get_params()["dissimilarity"] == "auto"
    assert auto.dissimilarity_ == "mahalanobis"
    assert auto.mahalanobis_matrices_.shape == (3, 2, 2)
    explicit = DMAEClustering(3, dissimilarity="mahalanobis", **deep).fit(X)
    np.testing.assert_array_equal(auto.predict_proba(X), explicit.predict_proba(X))

    shallow = DMAEClustering(3, max_epochs=2, **SHALLOW).fit(X)
    assert shallow.dissimilarity_ == "euclidean"
    assert not hasattr(shallow, "mahalanobis_matrices_")
    euclidean = DMAEClustering(3, dissimilarity="euclidean", max_epochs=2, **SHALLOW)
    np.testing.assert_array_equal(
        shallow.predict_proba(X), euclidean.fit(X).predict_proba(X)
    )


def test_cosine_beats_euclidean_on_clusters_that_differ_by_direction(rays):
    X, y = rays
    cosine = DMAEClustering(3, dissimilarity="cosine", **SHALLOW).fit(X)
    euclidean = DMAEClustering(3, dissimilarity="euclidean", **SHALLOW).fit(X)
    cosine_ari = adjusted_rand_score(y, cosine.labels_)
    assert cosine_ari >= 0.9
    assert cosine_ari > adjusted_rand_score(y, euclidean.labels_) + 0.2


def test_a_callable_dissimilarity_works_end_to_end(rays):
    X, y = rays

    def angle_gap(z, centers):
        return 1 - torch.nn.functional.normalize(z, dim=1) @ (
            torch.nn.functional.normalize(centers, dim=1).T
        )

    custom = DMAEClustering(3, dissimilarity=angle_gap, **SHALLOW).fit(X)
    named = DMAEClustering(3, dissimilarity="cosine", **SHALLOW).fit(X)
    assert adjusted_rand_score(y, custom.labels_) >= 0.9
    assert adjusted_rand_score(named.labels_, custom.labels_) >= 0.99
    assert custom.predict_proba(X).shape == (X.shape[0], 3)


def test_a_callable_with_the_wrong_output_is_reported(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match=r"shape \(n_rows, n_centers\).* returned"):
        DMAEClustering(3, dissimilarity=lambda z, c: z.sum(1), **SHALLOW).fit(X)


def test_a_callable_returning_nan_is_reported(blobs):
    X, _ = blobs

    def broken(z, centers):
        return torch.full((z.shape[0], centers.shape[0]), float("nan"))

    with pytest.raises(ValueError, match="returned NaN or infinite values"):
        DMAEClustering(3, dissimilarity=broken, **SHALLOW).fit(X)


def test_unknown_dissimilarity_lists_the_valid_names(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match=r"'dissimilarity' parameter .*'mahalanobis'"):
        DMAEClustering(3, dissimilarity="hamming").fit(X)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"p": 0.5}, r"'p' parameter .* range \[1.0, inf\)"),
        ({"alpha": 0}, r"'alpha' parameter .* range \(0.0, inf\)"),
        ({"reconstruction_weight": -1}, r"'reconstruction_weight' parameter"),
        ({"dissimilarity_weight": -1}, r"'dissimilarity_weight' parameter"),
        ({"tol": 2.0}, r"'tol' parameter .* range \[0.0, 1.0\]"),
        ({"update_interval": 0}, r"'update_interval' parameter"),
        ({"cluster_learning_rate": "fast"}, r"'cluster_learning_rate' parameter"),
    ],
)
def test_invalid_dmae_parameters_are_named(blobs, params, message):
    X, _ = blobs
    with pytest.raises(ValueError, match=message):
        DMAEClustering(3, **params).fit(X)


def test_predict_proba_is_the_softmax_over_the_fitted_parameters(anisotropic_blobs):
    X, _ = anisotropic_blobs
    model = DMAEClustering(
        3, dissimilarity="mahalanobis", alpha=2.0, max_epochs=3, **SHALLOW
    ).fit(X)
    diff = model.transform(X)[:, None, :] - model.cluster_centers_[None]
    quadratic = np.einsum("nkd,kde,nke->nk", diff, model.mahalanobis_matrices_, diff)
    normaliser = 0.5 * np.linalg.slogdet(model.mahalanobis_matrices_)[1]
    logits = -2.0 * quadratic + np.log(model.weights_) + normaliser
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected, atol=1e-6)
    np.testing.assert_allclose(model.weights_.sum(), 1.0)
    assert np.all(model.weights_ > 0)


def test_mahalanobis_starts_as_the_gaussian_mixture_of_the_kmeans_partition(
    anisotropic_blobs,
):
    X, _ = anisotropic_blobs
    start = {"dissimilarity": "mahalanobis", "max_epochs": 0, **SHALLOW}
    model = DMAEClustering(3, alpha=5.0, **start).fit(X)
    Z = model.transform(X)
    # Before training the centres are k-means': its partition is the nearest one.
    kmeans_labels = ((Z[:, None] - model.cluster_centers_[None]) ** 2).sum(-1).argmin(1)
    # Each covariance gets a ridge of 1e-3 times the mean variance of all rows.
    ridge = 1e-3 * np.trace(np.cov(Z, rowvar=False)) / Z.shape[1] * np.eye(2)
    for j in range(3):
        members = Z[kmeans_labels == j]
        covariance = np.cov(members, rowvar=False) + ridge
        expected = np.linalg.inv(covariance) / (2 * 5.0)
        np.testing.assert_allclose(model.mahalanobis_matrices_[j], expected, rtol=1e-3)
    # alpha only rescales the matrices: the same model, the same assignments.
    other = DMAEClustering(3, alpha=0.5, **start).fit(X)
    np.testing.assert_allclose(
        other.predict_proba(X), model.predict_proba(X), atol=1e-6
    )


def test_medoid_initialisation_starts_from_data_rows(blobs):
    X, y = blobs
    model = DMAEClustering(3, dissimilarity="manhattan", max_epochs=0, **SHALLOW).fit(X)
    Z = model.transform(X)
    distances = np.abs(model.cluster_centers_[:, None] - Z[None]).sum(-1)
    np.testing.assert_allclose(distances.min(axis=1), 0.0, atol=1e-6)
    assert adjusted_rand_score(y, model.labels_) > 0.9


def test_the_decoder_reconstructs_from_the_soft_assigned_centre(blobs):
    X, _ = blobs
    settings = {
        "reconstruction_weight": 0.7,
        "dissimilarity_weight": 1.3,
        "batch_size": 128,
        "tol": 0.0,
        "random_state": 0,
        **FAST_AE,
    }
    start = DMAEClustering(3, max_epochs=0, **settings).fit(X)
    trained = DMAEClustering(3, max_epochs=1, **settings).fit(X)
    # One batch holds every row: the first epoch's loss is the loss at the start.
    first_loss = next(h for h in trained.history_ if h["phase"] == "cluster")["loss"]
    module = start.module_.double()
    x = torch.as_tensor(X)
    with torch.no_grad():
        z = module.encode(x)
        s = module.assignment(z)
        term = losses.dissimilarity_mixture_nll(module.assignment, z).mean()
        from_centres = module.autoencoder.decode(module.assignment.soft_centers(s))
        from_embedding = module.autoencoder.decode(z)
        expected = 1.3 * term + 0.7 * losses.reconstruction_loss(x, from_centres)
        other = 1.3 * term + 0.7 * losses.reconstruction_loss(x, from_embedding)
    assert first_loss == pytest.approx(expected.item(), rel=1e-5)
    assert first_loss != pytest.approx(other.item(), rel=1e-3)


def test_network_learning_rate_zero_keeps_the_pretrained_autoencoder(blobs):
    X, _ = blobs
    settings = {"tol": 0.0, "random_state": 0, **FAST_AE}
    start = DMAEClustering(3, max_epochs=0, **settings).fit(X)
    fixed = DMAEClustering(3, max_epochs=3, **settings).fit(X)
    tuned = DMAEClustering(3, max_epochs=3, network_learning_rate=1e-3, **settings)
    tuned.fit(X)
    np.testing.assert_array_equal(fixed.transform(X), start.transform(X))
    assert not np.allclose(fixed.cluster_centers_, start.cluster_centers_)
    assert not np.allclose(tuned.transform(X), start.transform(X))
    # Fine-tuning keeps the embedding at unit mean variance.
    np.testing.assert_allclose(
        np.sqrt(tuned.transform(X).var(axis=0).mean()), 1.0, rtol=1e-2
    )


def test_a_fixed_network_encodes_the_training_rows_once_per_cluster_phase(
    blobs, monkeypatch
):
    X, _ = blobs
    encoded = []
    encode = MLPAutoencoder.encode

    def counting(self, x):
        encoded.append(x.shape[0])
        return encode(self, x)

    monkeypatch.setattr(MLPAutoencoder, "encode", counting)

    def rows_encoded(**params):
        encoded.clear()
        DMAEClustering(3, tol=0.0, batch_size=16, random_state=0, **FAST_AE).set_params(
            **params
        ).fit(X)
        return sum(encoded)

    # The epochs of a fixed network's cluster phase encode nothing more; a
    # trained network encodes every batch.
    assert rows_encoded(max_epochs=3) == rows_encoded(max_epochs=0)
    trained = rows_encoded(max_epochs=3, network_learning_rate=1e-3)
    assert trained >= rows_encoded(max_epochs=0) + 3 * len(X)


def test_a_refit_with_another_dissimilarity_drops_the_mahalanobis_matrices(blobs):
    X, _ = blobs
    model = DMAEClustering(3, dissimilarity="mahalanobis", **SHALLOW).fit(X)
    assert model.mahalanobis_matrices_.shape == (3, 4, 4)
    model.set_params(dissimilarity="euclidean").fit(X)
    assert not hasattr(model, "mahalanobis_matrices_")


def test_tol_stops_training_once_labels_settle(blobs):
    X, y = blobs
    model = DMAEClustering(
        3, update_interval=5, batch_size=16, max_epochs=200, **SHALLOW
    ).fit(X)
    assert model.converged_
    assert model.n_iter_ < 200
    assert adjusted_rand_score(y, model.labels_) > 0.9


def test_shallow_model_embeds_rows_as_themselves(blobs):
    X, _ = blobs
    model = DMAEClustering(3, dissimilarity="cosine", max_epochs=2, **SHALLOW).fit(X)
    Z = model.transform(X)
    # One scalar brings the features to unit mean variance.
    np.testing.assert_allclose(Z, X / np.sqrt(X.var(axis=0).mean()), rtol=1e-5)
    unscaled = DMAEClustering(3, rescale_embedding=False, max_epochs=0, **SHALLOW)
    np.testing.assert_allclose(unscaled.fit(X).transform(X), X)
    assert model.cluster_centers_.shape == (3, X.shape[1])
    assert model.get_feature_names_out().shape == (X.shape[1],)
    assert [h["phase"] for h in model.history_] == ["cluster", "cluster"]


def test_score_is_the_mixture_log_likelihood_over_alpha(anisotropic_blobs):
    X, _ = anisotropic_blobs
    model = DMAEClustering(3, dissimilarity="mahalanobis", max_epochs=2, **SHALLOW)
    model.fit(X)
    Z = model.transform(X)
    density = sum(
        weight * multivariate_normal(center, np.linalg.inv(2 * model.alpha * M)).pdf(Z)
        for weight, center, M in zip(
            model.weights_,
            model.cluster_centers_,
            model.mahalanobis_matrices_,
            strict=True,
        )
    )
    # log p(z) = alpha * score + a constant: (d / 2) log(pi / alpha) for a Gaussian.
    constant = Z.shape[1] / 2 * np.log(np.pi / model.alpha)
    expected = (np.log(density) + constant) / model.alpha
    assert model.score(X) == pytest.approx(expected.mean(), rel=1e-6)
    noise = np.random.RandomState(0).uniform(-20, 20, size=X.shape)
    assert model.score(X) > model.score(noise)


@pytest.mark.parametrize("mixture_loss", ["nll", "soft-center"])
def test_both_mixture_losses_train_and_differ(rays, mixture_loss):
    X, _ = rays
    model = DMAEClustering(
        3, dissimilarity="cosine", mixture_loss=mixture_loss, max_epochs=3, **SHALLOW
    ).fit(X)
    first = next(h for h in model.history_ if h["phase"] == "cluster")["loss"]
    assert np.isfinite(first)
    other = "soft-center" if mixture_loss == "nll" else "nll"
    again = DMAEClustering(
        3, dissimilarity="cosine", mixture_loss=other, max_epochs=3, **SHALLOW
    ).fit(X)
    assert next(h for h in again.history_ if h["phase"] == "cluster")["loss"] != first


def test_soft_center_loss_lets_mixing_weights_collapse_where_nll_does_not(rays):
    # Rays with cosine at alpha=10 give soft assignments: the paper's term
    # rewards the largest cluster for growing, the likelihood does not.
    X, y = rays
    settings = {"dissimilarity": "cosine", "tol": 0.0, "max_epochs": 100, **SHALLOW}
    nll = DMAEClustering(3, mixture_loss="nll", **settings).fit(X)
    paper = DMAEClustering(3, mixture_loss="soft-center", **settings).fit(X)
    assert adjusted_rand_score(y, nll.labels_) >= 0.95
    assert nll.weights_.min() > 0.25
    assert paper.weights_.min() < nll.weights_.min()


def test_image_shape_gives_a_convolutional_dmae_even_without_hidden_layers():
    X, _ = load_digits(return_X_y=True)
    X = X[:120] / 16.0
    model = DMAEClustering(
        4,
        image_shape=(1, 8, 8),
        conv_channels=(4, 8),
        hidden_layer_sizes=(),
        latent_dim=3,
        pretrain_epochs=2,
        max_epochs=2,
        random_state=0,
    ).fit(X)
    assert isinstance(model.module_.autoencoder, ConvAutoencoder)
    assert model.transform(X).shape == (120, 3)
    assert model.cluster_centers_.shape == (4, 3)
    np.testing.assert_array_equal(model.predict(X), model.labels_)


@pytest.mark.slow
def test_digits_mean_accuracy_with_default_settings(digits_mean_accuracy):
    # The digits target of issue 28: a mean over seeds 0-4.
    assert digits_mean_accuracy(DMAEClustering) >= 0.85
