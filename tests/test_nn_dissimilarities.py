"""The dissimilarities and the dissimilarity mixture layer of DMAE."""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from skdeepcluster.nn import DissimilarityMixture
from skdeepcluster.nn import dissimilarities as dis
from skdeepcluster.nn.losses import dissimilarity_mixture_loss

RNG = np.random.RandomState(0)
A = RNG.randn(7, 3)
B = RNG.randn(4, 3)


def _pairwise(fn, a, b, *args):
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    return fn(a.unsqueeze(1), b.unsqueeze(0), *args).numpy()


@pytest.mark.parametrize(
    "fn, metric, kwargs",
    [
        (dis.euclidean, "euclidean", {}),
        (dis.sqeuclidean, "sqeuclidean", {}),
        (dis.cosine, "cosine", {}),
        (dis.manhattan, "cityblock", {}),
        (dis.chebyshev, "chebyshev", {}),
    ],
)
def test_dissimilarities_match_scipy(fn, metric, kwargs):
    np.testing.assert_allclose(_pairwise(fn, A, B), cdist(A, B, metric), rtol=1e-10)


@pytest.mark.parametrize("p", [1.0, 1.5, 3.0])
def test_minkowski_matches_scipy(p):
    np.testing.assert_allclose(
        _pairwise(dis.minkowski, A, B, p), cdist(A, B, "minkowski", p=p), rtol=1e-10
    )


def test_mahalanobis_is_the_squared_form_of_factor_factor_transpose():
    factor = RNG.randn(3, 3)
    matrix = factor @ factor.T
    expected = cdist(A, B, "mahalanobis", VI=matrix) ** 2
    got = _pairwise(dis.mahalanobis, A, B, torch.as_tensor(factor))
    np.testing.assert_allclose(got, expected, rtol=1e-10)


@pytest.mark.parametrize("name", ["euclidean", "minkowski"])
def test_roots_have_finite_gradients_at_zero_distance(name):
    z = torch.zeros(1, 2, requires_grad=True)
    mixture = DissimilarityMixture(1, 2, name)
    mixture.dissimilarities(z).sum().backward()
    assert torch.isfinite(z.grad).all()


def test_mixture_is_the_softmax_of_the_paper():
    mixture = DissimilarityMixture(4, 3, "manhattan", alpha=2.5).double()
    with torch.no_grad():
        mixture.centers.copy_(torch.as_tensor(B))
        mixture.mixing_logits.copy_(torch.tensor([0.0, 1.0, -1.0, 0.5]))
        s = mixture(torch.as_tensor(A)).numpy()
    pi = np.exp([0.0, 1.0, -1.0, 0.5])
    pi /= pi.sum()
    logits = -2.5 * cdist(A, B, "cityblock") + np.log(pi)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(s, expected, rtol=1e-10)
    np.testing.assert_allclose(mixture.weights.detach().sum().item(), 1.0)


def test_mahalanobis_logits_carry_the_gaussian_normaliser():
    # With M_j = Cov_j^-1 / (2 alpha) the mixture is a Gaussian mixture.
    alpha = 3.0
    covariances = [np.diag([1.0, 4.0, 0.25]), np.eye(3) * 2.0]
    mixture = DissimilarityMixture(2, 3, "mahalanobis", alpha=alpha).double()
    with torch.no_grad():
        mixture.centers.copy_(torch.as_tensor(B[:2]))
        for j, cov in enumerate(covariances):
            precision = np.linalg.inv(cov) / (2 * alpha)
            mixture.factors[j] = torch.as_tensor(np.linalg.cholesky(precision))
        s = mixture(torch.as_tensor(A)).numpy()
    from scipy.stats import multivariate_normal

    densities = np.stack(
        [multivariate_normal(B[j], cov).pdf(A) for j, cov in enumerate(covariances)],
        axis=1,
    )
    np.testing.assert_allclose(s, densities / densities.sum(axis=1, keepdims=True))


def test_mahalanobis_loss_does_not_reward_shrinking_the_matrices():
    mixture = DissimilarityMixture(1, 3, "mahalanobis", alpha=1.0).double()
    z = torch.as_tensor(RNG.randn(200, 3) * 2.0)

    def loss_at(scale):
        with torch.no_grad():
            mixture.factors.copy_(torch.eye(3, dtype=torch.float64) * scale)
            return dissimilarity_mixture_loss(mixture, z, mixture(z)).mean().item()

    # The quadratic form alone falls to 0 with the scale; with the normaliser
    # the loss has its minimum near M = Cov^-1 / 2 = I / 8, i.e. scale ~0.35.
    losses = {scale: loss_at(scale) for scale in [0.01, 0.1, 0.35, 1.0, 3.0]}
    assert min(losses, key=losses.get) == 0.35
    assert losses[0.01] > losses[0.35] + 1.0


def test_loss_uses_the_soft_assigned_centre_and_mixing_weight():
    mixture = DissimilarityMixture(2, 1, "euclidean", alpha=2.0).double()
    with torch.no_grad():
        mixture.centers.copy_(torch.tensor([[0.0], [4.0]]))
        mixture.mixing_logits.copy_(torch.log(torch.tensor([0.25, 0.75])))
    z = torch.tensor([[1.0]], dtype=torch.float64)
    s = torch.tensor([[0.5, 0.5]], dtype=torch.float64)
    # θ̃ = 2, π̃ = 0.5: |1 - 2| - log(0.5) / 2.
    expected = 1.0 - np.log(0.5) / 2.0
    np.testing.assert_allclose(
        dissimilarity_mixture_loss(mixture, z, s).item(), expected, rtol=1e-12
    )


def test_callable_dissimilarity_gives_the_pairwise_matrix_and_its_diagonal():
    def squared(a, b):
        return torch.cdist(a, b) ** 2

    named = DissimilarityMixture(3, 2, "sqeuclidean").double()
    custom = DissimilarityMixture(3, 2, squared).double()
    custom.load_state_dict(named.state_dict())
    z = torch.as_tensor(RNG.randn(5, 2))
    with torch.no_grad():
        named.centers.normal_()
        custom.centers.copy_(named.centers)
        s = named(z)
        np.testing.assert_allclose(custom(z), s, rtol=1e-8)
        np.testing.assert_allclose(
            custom.dissimilarity_to_soft_centers(z, s),
            named.dissimilarity_to_soft_centers(z, s),
            rtol=1e-8,
        )


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"'hamming' is not one of \['chebyshev'"):
        DissimilarityMixture(2, 2, "hamming")


@pytest.mark.parametrize("name", ["euclidean", "mahalanobis"])
def test_rescale_follows_a_rescaled_embedding(name):
    mixture = DissimilarityMixture(3, 2, name, alpha=2.0).double()
    with torch.no_grad():
        mixture.centers.normal_()
        if name == "mahalanobis":
            mixture.factors.add_(0.3 * torch.randn(3, 2, 2, dtype=torch.float64))
    z = torch.as_tensor(A[:, :2])
    with torch.no_grad():
        before = mixture.dissimilarities(z)
        mixture.rescale_(0.5)
        after = mixture.dissimilarities(0.5 * z)
    # Distances scale with the embedding; Mahalanobis forms do not change.
    expected = before if name == "mahalanobis" else 0.5 * before
    np.testing.assert_allclose(after, expected, rtol=1e-10)


def test_mahalanobis_has_no_dissimilarity_between_free_points():
    with pytest.raises(ValueError, match="no dissimilarity between free points"):
        DissimilarityMixture(2, 2, "mahalanobis").between(
            torch.zeros(1, 2), torch.zeros(1, 2)
        )
