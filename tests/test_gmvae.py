"""GMVAEClustering: its loss terms, the 1-D case, score, sample, quality."""

import math

import numpy as np
import pytest
import torch
from sklearn.cluster import DBSCAN, KMeans
from sklearn.datasets import load_digits, load_iris, make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skdeepcluster import AutoEncoderKMeans, GMVAEClustering
from skdeepcluster import _gmvae as gmvae_estimator
from skdeepcluster.datasets import make_shapes
from skdeepcluster.metrics import cluster_accuracy
from skdeepcluster.nn import ConvDecoder, ConvEncoder, GaussianMixtureVAE, losses

from fast_estimators import FAST_GMVAE as FAST

# Big enough for well-separated low-dimensional mixtures, a few seconds each.
SMALL = {
    "hidden_layer_sizes": (64, 64),
    "latent_dim": 8,
    "max_epochs": 50,
    "init_iterations": 300,
}


@pytest.fixture(scope="module")
def three_gaussians_1d():
    rng = np.random.RandomState(0)
    centres = (-10.0, 0.0, 10.0)
    X = np.concatenate([rng.normal(c, 1.0, 300) for c in centres])[:, None]
    return X, np.repeat(np.arange(3), 300)


@pytest.fixture(scope="module")
def fitted_1d(three_gaussians_1d):
    X, _ = three_gaussians_1d
    return GMVAEClustering(3, random_state=0, **SMALL).fit(X)


@pytest.mark.parametrize("seed", [0, 1])
def test_three_well_separated_1d_gaussians_are_recovered(three_gaussians_1d, seed):
    X, y = three_gaussians_1d
    labels = GMVAEClustering(3, random_state=seed, **SMALL).fit_predict(X)
    assert adjusted_rand_score(y, labels) >= 0.9


def test_gaussian_scaling_keeps_the_relative_scale_of_features():
    # Three groups along the first feature, six features of tiny noise. Like
    # KMeans, the model must see the noise as tiny: standardising each feature
    # would blow it up to the first feature's size (KMeans then gets ARI 0.005).
    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(3), 100)
    X = np.column_stack([rng.normal(8.0 * y, 1.0), rng.uniform(-0.05, 0.05, (300, 6))])
    model = GMVAEClustering(3, random_state=0, **SMALL).fit(X)
    assert adjusted_rand_score(y, model.labels_) >= 0.9
    np.testing.assert_allclose(model.module_.input_mean.numpy(), X.mean(axis=0))
    # One scale for every feature: the root mean square of the centred data.
    scale = np.sqrt(np.mean((X - X.mean(axis=0)) ** 2))
    np.testing.assert_allclose(model.module_.input_scale.numpy(), scale, rtol=1e-6)


def test_categorical_kl_uses_log_k_for_any_k():
    for k in (2, 3, 10, 14):
        uniform = torch.zeros(1, k)
        confident = torch.full((1, k), -1e4)
        confident[0, 0] = 0.0
        assert losses.categorical_kl(uniform).item() == pytest.approx(0.0, abs=1e-6)
        assert losses.categorical_kl(confident).item() == pytest.approx(math.log(k))


def test_categorical_kl_of_a_confident_row_is_minus_the_log_weight():
    weights = torch.tensor([0.7, 0.2, 0.1])
    confident = torch.tensor([[-1e4, 0.0, -1e4]])
    kl = losses.categorical_kl(confident, weights.log())
    assert kl.item() == pytest.approx(-math.log(0.2))
    assert losses.categorical_kl(weights.log()[None], weights.log()).item() == (
        pytest.approx(0.0, abs=1e-6)
    )


# With 300 warm-start iterations the variances are still far too wide and the
# 90-row cluster was lost for seed 0 (ARI 0.88) with learned weights; uniform
# weights then gave 0.55-0.75 (seeds 0-2). With 2000 both gave 1.0.
UNEQUAL = {**SMALL, "init_iterations": 2000}


@pytest.fixture(scope="module")
def unequal_gaussians_1d():
    rng = np.random.RandomState(0)
    sizes = (90, 270, 540)
    parts = zip((-10, 0, 10), sizes, strict=True)
    X = np.concatenate([rng.normal(c, 1.0, n) for c, n in parts])
    return X[:, None], np.repeat(np.arange(3), sizes)


@pytest.mark.parametrize("learn_weights", [True, False])
def test_mixing_weights_follow_the_cluster_sizes_when_learned(
    unequal_gaussians_1d, learn_weights
):
    X, y = unequal_gaussians_1d
    model = GMVAEClustering(
        3, learn_weights=learn_weights, random_state=0, **UNEQUAL
    ).fit(X)
    assert adjusted_rand_score(y, model.labels_) >= 0.9
    if learn_weights:
        # Ordered as the labels: cluster k holds about weights_[k] of the rows.
        sizes = np.bincount(model.labels_) / len(X)
        np.testing.assert_allclose(model.weights_, sizes, atol=0.03)
        assert model.weights_.min() < 0.15 and model.weights_.max() > 0.5
    else:
        np.testing.assert_allclose(model.weights_, 1 / 3, rtol=1e-6)


def test_learned_weights_start_at_the_proportions_of_the_best_kmeans(
    unequal_gaussians_1d, monkeypatch
):
    X, _ = unequal_gaussians_1d
    restarts = []

    class RecordingKMeans(KMeans):
        def fit(self, X, y=None, sample_weight=None):
            restarts.append(self.n_init)
            return super().fit(X, y, sample_weight)

    monkeypatch.setattr(gmvae_estimator, "KMeans", RecordingKMeans)
    params = {**_no_epochs(SMALL), "init_iterations": 50, "init_params": "kmeans"}
    model = GMVAEClustering(3, n_init=4, max_epochs=0, random_state=0, **params)
    model.fit(X)
    assert restarts == [4]
    # k-means finds the 90, 270 and 540 rows; one row is added to each count.
    expected = np.array([91, 271, 541]) / 903
    np.testing.assert_allclose(np.sort(model.weights_), expected, rtol=1e-5)


@pytest.mark.parametrize(
    "n_features, latent_dim, image_shape, pixels, expected",
    [
        (1, 10, None, False, "gaussian-mixture"),
        (4, 4, None, False, "gaussian-mixture"),
        (4, 4, None, True, "gaussian-mixture"),
        (5, 4, None, False, "kmeans"),
        (5, 4, None, True, "autoencoder"),
        (4, 10, (1, 2, 2), True, "autoencoder"),
        (4, 10, (1, 2, 2), False, "kmeans"),
    ],
)
def test_auto_init_by_the_width_of_the_rows_and_whether_they_are_pixels(
    n_features, latent_dim, image_shape, pixels, expected, monkeypatch
):
    X, _ = make_blobs(n_samples=120, centers=3, n_features=n_features, random_state=0)
    if pixels:  # in [0, 1], a third of the values at 0
        X = MinMaxScaler().fit_transform(X)
        X[np.random.RandomState(0).rand(*X.shape) < 0.3] = 0.0
    fitted = []

    class RecordingKMeans(KMeans):
        def fit(self, X, y=None, sample_weight=None):
            fitted.append(("kmeans", self.n_init))
            return super().fit(X, y, sample_weight)

    class RecordingMixture(GaussianMixture):
        def fit(self, X, y=None):
            fitted.append(("gaussian-mixture", self.n_init))
            return super().fit(X, y)

    class RecordingAutoencoder(AutoEncoderKMeans):
        def fit_predict(self, X, y=None):
            # Records the autoencoder "auto" builds; k-means stands in for it.
            fitted.append(("autoencoder", self.n_init))
            assert (self.n_clusters, self.latent_dim) == (3, latent_dim)
            assert self.image_shape == image_shape and self.random_state is not None
            return KMeans(3, n_init=1, random_state=0).fit_predict(X)

    monkeypatch.setattr(gmvae_estimator, "KMeans", RecordingKMeans)
    monkeypatch.setattr(gmvae_estimator, "GaussianMixture", RecordingMixture)
    monkeypatch.setattr(gmvae_estimator, "AutoEncoderKMeans", RecordingAutoencoder)
    params = {
        **_no_epochs(SMALL),
        "init_iterations": 5,
        "latent_dim": latent_dim,
        "image_shape": image_shape,
    }
    GMVAEClustering(3, n_init=2, max_epochs=0, random_state=0, **params).fit(X)
    assert fitted == [(expected, 2)]


@pytest.mark.parametrize(
    "blank, scale, expected",
    [
        (0.3, 1.0, "bernoulli"),  # pixels: a background at 0
        (0.2, 1.0, "gaussian"),  # fewer than a quarter of the values at 0 or 1
        (0.0, 1.0, "gaussian"),  # continuous values scaled to [0, 1]
        (0.5, 2.0, "gaussian"),  # outside [0, 1]
    ],
)
def test_auto_likelihood_is_bernoulli_for_unit_interval_data_with_a_background(
    blank, scale, expected
):
    rng = np.random.RandomState(0)
    X = scale * rng.uniform(0.01, 0.99, (100, 16))
    X[rng.rand(*X.shape) < blank] = 0.0
    params = {**_no_epochs(SMALL), "init_iterations": 5, "latent_dim": 4}
    model = GMVAEClustering(2, init_params="kmeans", max_epochs=0, **params).fit(X)
    assert model.module_.likelihood == expected


def test_a_clusterer_start_is_a_seeded_clone_given_the_model_n_clusters():
    X, y = make_blobs(n_samples=150, centers=3, n_features=6, random_state=0)
    start = KMeans(n_clusters=2, n_init=3)  # n_clusters replaced, no seed
    params = {**_no_epochs(SMALL), "init_iterations": 300, "max_epochs": 0}
    models = [
        GMVAEClustering(3, init_params=start, random_state=0, **params).fit(X)
        for _ in range(2)
    ]
    assert not hasattr(start, "cluster_centers_")
    np.testing.assert_array_equal(models[0].labels_, models[1].labels_)
    assert adjusted_rand_score(y, models[0].labels_) == 1.0


@pytest.mark.parametrize("own_seed", [None, 5])
def test_a_clusterer_start_is_seeded_by_the_fit_unless_it_has_a_seed(own_seed):
    X, _ = make_blobs(n_samples=60, centers=3, n_features=6, random_state=0)
    seeds = []

    class RecordingKMeans(KMeans):
        def fit_predict(self, X, y=None, sample_weight=None):
            seeds.append(self.random_state)
            return super().fit_predict(X, y, sample_weight)

    params = {**_no_epochs(SMALL), "init_iterations": 5, "max_epochs": 0}
    start = RecordingKMeans(random_state=own_seed)
    for seed in (0, 0, 1):
        GMVAEClustering(3, init_params=start, random_state=seed, **params).fit(X)
    if own_seed is None:  # drawn from the model's random_state
        assert seeds[0] == seeds[1] != seeds[2] and None not in seeds
    else:
        assert seeds == [own_seed] * 3


def test_a_clusterer_start_records_its_history_as_init_phases():
    X, _ = make_blobs(n_samples=90, centers=3, n_features=6, random_state=0)
    start = AutoEncoderKMeans(hidden_layer_sizes=(8,), latent_dim=2, pretrain_epochs=2)
    params = {**_no_epochs(SMALL), "init_iterations": 5, "max_epochs": 0}
    model = GMVAEClustering(3, init_params=start, random_state=0, **params).fit(X)
    phases = [entry["phase"] for entry in model.history_]
    assert phases[:2] == ["init-pretrain", "init-pretrain"] and phases[-1] == "init"


def test_a_clusterer_start_must_label_every_row_with_a_cluster():
    X, _ = make_blobs(n_samples=60, centers=3, n_features=6, random_state=0)
    start = DBSCAN(eps=1e-6)  # every row is noise: label -1
    with pytest.raises(ValueError, match=r"should label every row with one of 0"):
        GMVAEClustering(3, init_params=start, **_no_epochs(SMALL)).fit(X)


def test_the_gaussian_mixture_start_cuts_elongated_clusters_as_the_mixture_does():
    # Sheared blobs: k-means cuts them across, a full-covariance mixture does not.
    X, _ = make_blobs(n_samples=600, centers=3, random_state=170)
    X = X @ np.array([[0.6, -0.6], [-0.4, 0.8]])
    mixture = GaussianMixture(3, n_init=10, random_state=0).fit_predict(X)
    kmeans = KMeans(3, n_init=10, random_state=0).fit_predict(X)
    assert adjusted_rand_score(mixture, kmeans) < 0.8
    params = {**_no_epochs(SMALL), "init_iterations": 500}
    model = GMVAEClustering(3, max_epochs=0, random_state=0, **params).fit(X)
    assert adjusted_rand_score(mixture, model.labels_) > 0.95


def test_the_gaussian_mixture_is_fitted_to_a_sample_and_labels_every_row(
    monkeypatch,
):
    centers = [[-5.0, 0.0], [0.0, 5.0], [5.0, 0.0]]
    X, y = make_blobs(n_samples=120, centers=centers, cluster_std=0.5, random_state=0)
    fitted_rows = []

    class RecordingMixture(GaussianMixture):
        def fit(self, X, y=None):
            fitted_rows.append(len(X))
            return super().fit(X, y)

    monkeypatch.setattr(gmvae_estimator, "GaussianMixture", RecordingMixture)
    monkeypatch.setattr(gmvae_estimator, "INIT_SAMPLE_ROWS", 50)
    params = {**_no_epochs(SMALL), "init_iterations": 500}
    model = GMVAEClustering(3, max_epochs=0, random_state=0, **params).fit(X)
    assert fitted_rows == [50]
    # The rows the mixture did not see got its labels too: all three blobs.
    assert adjusted_rand_score(y, model.labels_) == pytest.approx(1.0)


def test_defaults_on_iris_are_not_worse_than_the_gaussian_mixture():
    # From k-means' partition the defaults kept k-means' cut of the two
    # overlapping species, far below GaussianMixture (see the benchmark page).
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    mixture = GaussianMixture(3, n_init=5, random_state=0).fit_predict(X)
    labels = GMVAEClustering(3, random_state=0).fit_predict(X)
    assert adjusted_rand_score(y, labels) >= adjusted_rand_score(y, mixture) - 0.02


def test_sample_draws_clusters_in_proportion_to_the_weights(unequal_gaussians_1d):
    X, _ = unequal_gaussians_1d
    model = GMVAEClustering(3, random_state=0, **UNEQUAL).fit(X)
    _, clusters = model.sample(4000)
    frequencies = np.bincount(clusters, minlength=3) / 4000
    np.testing.assert_allclose(frequencies, model.weights_, atol=0.03)
    # Numbered as predict numbers them when the module's columns are reordered,
    # as an empty cluster reorders them: the weights move to other labels.
    model._label_order = np.array([2, 0, 1])
    model._set_cluster_attributes()
    _, clusters = model.sample(4000)
    frequencies = np.bincount(clusters, minlength=3) / 4000
    np.testing.assert_allclose(frequencies, model.weights_, atol=0.03)


@pytest.mark.parametrize("marginalize", [True, False])
def test_free_bits_make_the_categorical_kl_free_below_the_threshold(marginalize):
    torch.manual_seed(0)
    model = GaussianMixtureVAE(3, 4, hidden_layer_sizes=(8,), latent_dim=2)
    x = torch.rand(16, 3)
    kl = losses.categorical_kl(model.cluster_logits(x)).mean().item()

    def loss(free_bits):
        torch.manual_seed(1)  # the same Gumbel and Gaussian draws for every call
        return losses.gmvae_loss(
            model,
            x,
            temperature=1.0,
            hard=False,
            marginalize=marginalize,
            free_bits=free_bits,
        ).item()

    plain = loss(0.0)
    assert loss(kl / 2) == pytest.approx(plain)
    assert loss(kl + 0.7) == pytest.approx(plain + 0.7, abs=1e-5)


def test_marginalized_loss_has_the_gumbel_mean_and_less_variance():
    torch.manual_seed(0)
    model = GaussianMixtureVAE(2, 3, hidden_layer_sizes=(8,), latent_dim=2)
    x = torch.rand(4, 2)

    def draws(marginalize):
        with torch.no_grad():
            return torch.stack(
                [
                    losses.gmvae_loss(
                        model,
                        x,
                        temperature=1.0,
                        hard=True,  # one-hot y drawn from q(y | x)
                        marginalize=marginalize,
                        free_bits=0.0,
                    )
                    for _ in range(2000)
                ]
            )

    exact, sampled = draws(True), draws(False)
    standard_error = math.hypot(exact.std(), sampled.std()) / math.sqrt(2000)
    assert abs(exact.mean() - sampled.mean()) < 5 * standard_error
    assert exact.std() < 0.7 * sampled.std()


def test_gumbel_temperature_follows_the_schedule(three_gaussians_1d, monkeypatch):
    X, _ = three_gaussians_1d
    seen = []
    gmvae_loss = losses.gmvae_loss

    def recording(*args, temperature, **kwargs):
        seen.append(temperature)
        return gmvae_loss(*args, temperature=temperature, **kwargs)

    monkeypatch.setattr(losses, "gmvae_loss", recording)
    model = GMVAEClustering(
        3,
        marginalize=False,
        init_params="random",
        temperature=2.0,
        temperature_decay=math.log(2),
        min_temperature=0.4,
        batch_size=X.shape[0],  # one iteration per epoch
        max_epochs=4,
        hidden_layer_sizes=(8,),
        latent_dim=2,
        random_state=0,
    ).fit(X)
    assert seen == pytest.approx([2.0, 1.0, 0.5, 0.4])
    assert model.n_iter_ == 4


def test_init_params_kmeans_warm_starts_the_cluster_network(three_gaussians_1d):
    X, y = three_gaussians_1d
    warm = GMVAEClustering(3, max_epochs=0, random_state=0, **_no_epochs(SMALL))
    cold = GMVAEClustering(
        3, init_params="random", max_epochs=0, random_state=0, **_no_epochs(SMALL)
    )
    warm.fit(X)
    cold.fit(X)
    assert {entry["phase"] for entry in warm.history_} == {"init"}
    assert cold.history_ == []
    # k-means finds the three Gaussians; the network reproduces its labels.
    assert adjusted_rand_score(y, warm.labels_) == pytest.approx(1.0)
    assert adjusted_rand_score(y, cold.labels_) < 0.5


def _no_epochs(params):
    return {key: value for key, value in params.items() if key != "max_epochs"}


def test_bernoulli_needs_data_in_the_unit_interval():
    X = np.random.RandomState(0).rand(30, 4)
    GMVAEClustering(2, likelihood="bernoulli", **FAST).fit(X)
    with pytest.raises(ValueError, match=r"likelihood='bernoulli' needs X in \[0, 1\]"):
        GMVAEClustering(2, likelihood="bernoulli").fit(X * 3)


def test_score_is_higher_on_the_data_than_on_shuffled_feature_noise():
    X, _ = make_blobs(n_samples=300, centers=3, n_features=4, random_state=0)
    model = GMVAEClustering(3, random_state=0, **SMALL).fit(X)
    rng = np.random.RandomState(0)
    noise = np.column_stack([rng.permutation(column) for column in X.T])
    assert model.score(X) > model.score(noise) + 1.0


def test_score_is_a_density_in_the_units_of_x(three_gaussians_1d):
    X, _ = three_gaussians_1d
    model = GMVAEClustering(3, random_state=0, **SMALL).fit(X)
    scaled = GMVAEClustering(3, random_state=0, **SMALL).fit(10 * X)
    np.testing.assert_array_equal(model.labels_, scaled.labels_)
    # Densities of 10 X are those of X divided by 10.
    expected = model.score(X) - math.log(10)
    assert scaled.score(10 * X) == pytest.approx(expected, abs=1e-2)


def test_score_is_deterministic_and_independent_of_the_other_rows(
    fitted_1d, three_gaussians_1d
):
    X, _ = three_gaussians_1d
    rows = X[::30]
    together = fitted_1d.score(rows)
    assert fitted_1d.score(rows) == together
    one_by_one = np.mean([fitted_1d.score(row[None]) for row in rows])
    assert one_by_one == pytest.approx(together, rel=1e-9)


def test_sample_draws_rows_from_the_named_clusters(fitted_1d, three_gaussians_1d):
    samples, clusters = fitted_1d.sample(600)
    assert samples.shape == (600, 1)
    assert clusters.shape == (600,)
    assert set(np.unique(clusters)) <= {0, 1, 2}
    # Each cluster generates around its own training rows (chance agreement
    # with predict would be 1/3; measured 0.63 with these settings).
    X, _ = three_gaussians_1d
    centres = [X[fitted_1d.labels_ == k].mean() for k in range(3)]
    for k in range(3):
        middle = np.median(samples[clusters == k])
        assert np.argmin(np.abs(np.subtract(centres, middle))) == k
    assert np.mean(fitted_1d.predict(samples) == clusters) >= 0.5
    again, _ = fitted_1d.sample(600)
    np.testing.assert_array_equal(samples, again)


@pytest.fixture(scope="module")
def digits_split():
    """The digits' pixels in [0, 1]: 1,500 training images, 297 held out."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    order = np.random.RandomState(0).permutation(len(X))
    X, y = X[order], y[order]
    return X[:1500], y[:1500], X[1500:]


@pytest.fixture(scope="module")
def fitted_digits(digits_split):
    """A small GMVAE with the pixel defaults: Bernoulli, an autoencoder start."""
    X, _, _ = digits_split
    start = AutoEncoderKMeans(hidden_layer_sizes=(128,), pretrain_epochs=20, n_init=3)
    return GMVAEClustering(
        10,
        hidden_layer_sizes=(128,),
        init_params=start,
        init_iterations=1000,
        max_epochs=5,
        random_state=0,
    ).fit(X)


def test_score_is_higher_on_held_out_digits_than_on_shuffled_pixels(
    fitted_digits, digits_split
):
    _, _, held_out = digits_split
    rng = np.random.RandomState(0)
    shuffled = np.array([rng.permutation(image) for image in held_out])
    # Each shuffled image keeps its ink; only where the ink lies is lost.
    assert fitted_digits.score(held_out) > fitted_digits.score(shuffled) + 10.0


def test_sampled_images_are_assigned_to_the_cluster_they_were_drawn_from(
    fitted_digits,
):
    assert fitted_digits.module_.likelihood == "bernoulli"  # pixels in [0, 1]
    samples, clusters = fitted_digits.sample(1000)
    assert set(np.unique(samples)) <= {0.0, 1.0}
    # Chance agreement is about 1/10.
    assert np.mean(fitted_digits.predict(samples) == clusters) >= 0.5


@pytest.mark.parametrize("n_samples", [0, -1, 2.5])
def test_sample_rejects_bad_counts(fitted_1d, n_samples):
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        fitted_1d.sample(n_samples)


def test_log_variances_are_clamped_on_extreme_input():
    model = GaussianMixtureVAE(3, 2, hidden_layer_sizes=(8,), latent_dim=2)
    x = torch.full((4, 3), 1e6)
    y = torch.eye(2)[[0, 1, 0, 1]]
    _, log_var = model.latent_posterior(x, y)
    assert log_var.abs().max() <= 10.0
    assert torch.isfinite(model.latent_prior(y)[1]).all()


def test_image_shape_gives_convolutional_networks_with_the_same_api():
    X, _ = make_shapes(24, image_size=(6, 8), random_state=0)
    model = GMVAEClustering(
        2,
        image_shape=(1, 6, -1),
        conv_channels=(3, 4),
        likelihood="bernoulli",
        max_epochs=2,
        init_iterations=5,
        random_state=0,
        hidden_layer_sizes=FAST["hidden_layer_sizes"],
        latent_dim=FAST["latent_dim"],
    ).fit(X)
    module = model.module_
    assert isinstance(module.features, ConvEncoder)
    assert isinstance(module.decoder[-1], ConvDecoder)
    assert model.predict_proba(X).shape == (24, 2)
    assert model.transform(X).shape == (24, FAST["latent_dim"])
    assert np.isfinite(model.score(X))
    rows, clusters = model.sample(3)
    assert clusters.shape == (3,) and set(clusters) <= {0, 1}
    assert rows.shape == (3, 48) and set(np.unique(rows)) <= {0.0, 1.0}
    # The image features are computed once and shared by q(y|x) and q(z|x,y):
    # a marginalised loss runs the convolutions on n rows, not K * n.
    calls = []
    module.features.register_forward_hook(lambda m, i, o: calls.append(len(i[0])))
    losses.gmvae_loss(
        module,
        torch.as_tensor(X),
        temperature=1.0,
        hard=False,
        marginalize=True,
        free_bits=0.0,
    )
    assert calls == [24]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"likelihood": "poisson"}, r"'likelihood' parameter .* among"),
        ({"init_params": "kmeans++"}, r"'init_params' parameter .* among"),
        ({"init_iterations": 0}, r"'init_iterations' parameter .* range \[1, inf\)"),
        ({"n_init": 0}, r"'n_init' parameter .* range \[1, inf\)"),
        ({"learn_weights": "yes"}, r"'learn_weights' parameter"),
        ({"temperature": 0.0}, r"'temperature' parameter .* range \(0.0, inf\)"),
        ({"min_temperature": -1.0}, r"'min_temperature' parameter"),
        ({"temperature_decay": -0.1}, r"'temperature_decay' parameter"),
        ({"free_bits": -0.5}, r"'free_bits' parameter .* range \[0.0, inf\)"),
        ({"marginalize": "yes"}, r"'marginalize' parameter"),
        ({"max_epochs": -1}, r"'max_epochs' parameter"),
    ],
)
def test_invalid_gmvae_parameters_are_named(params, message):
    X = np.random.RandomState(0).rand(20, 2)
    with pytest.raises(ValueError, match=message):
        GMVAEClustering(2, **params).fit(X)


@pytest.mark.slow
def test_digits_accuracy_with_default_settings():
    # Pixels in [0, 1]: the Bernoulli decoder and the autoencoder's start.
    # The digits target of issue 27.
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)  # as benchmarks/run.py scales them
    labels = GMVAEClustering(n_clusters=10, random_state=0).fit_predict(X)
    assert cluster_accuracy(y, labels) >= 0.85
