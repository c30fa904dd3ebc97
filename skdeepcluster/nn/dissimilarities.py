"""Dissimilarities, and the dissimilarity mixture layer of DMAE (Lara & González, 2020).

Each dissimilarity is a function ``d(a, b)`` of two tensors whose last dimension
holds the coordinates and whose other dimensions broadcast; it returns one value
per pair. ``d(z[:, None], centers[None])`` is the (n, k) matrix between rows and
centres, ``d(z, z_reconstructed)`` the value per row. Every value depends only
on its own pair, so a row's result does not depend on the rest of its batch.
"""

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

# Floor under the quantities whose root is taken: the root's gradient is
# infinite at 0, which a row sitting exactly on a centre would otherwise hit.
_ROOT_FLOOR = 1e-12


def euclidean(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Euclidean distance ``sqrt(Σ (a - b)²)``, not squared (as in the DMAE paper).

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.dissimilarities import euclidean
    >>> euclidean(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]))
    tensor([5.])
    """
    return sqeuclidean(a, b).clamp_min(_ROOT_FLOOR).sqrt()


def sqeuclidean(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distance ``Σ (a - b)²`` (the k-means dissimilarity).

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.dissimilarities import sqeuclidean
    >>> sqeuclidean(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]))
    tensor([25.])
    """
    return (a - b).pow(2).sum(-1)


def cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine dissimilarity ``1 - a·b / (|a| |b|)``, in [0, 2]; blind to scale.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.dissimilarities import cosine
    >>> cosine(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 5.0]]))
    tensor([1.])
    """
    return 1.0 - F.cosine_similarity(a, b, dim=-1, eps=1e-8)


def manhattan(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Manhattan (L1, city-block) distance ``Σ |a - b|``.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.dissimilarities import manhattan
    >>> manhattan(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, -4.0]]))
    tensor([7.])
    """
    return (a - b).abs().sum(-1)


def chebyshev(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Chebyshev (L-infinity) distance ``max |a - b|``.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.dissimilarities import chebyshev
    >>> chebyshev(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, -4.0]]))
    tensor([4.])
    """
    return (a - b).abs().amax(-1)


def minkowski(a: torch.Tensor, b: torch.Tensor, p: float = 2.0) -> torch.Tensor:
    """Minkowski distance ``(Σ |a - b|^p)^(1/p)``, for ``p >= 1``.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.dissimilarities import minkowski
    >>> minkowski(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]), p=2.0)
    tensor([5.])
    """
    total = (a - b).abs().pow(p).sum(-1)
    return total.clamp_min(_ROOT_FLOOR).pow(1.0 / p)


def mahalanobis(a: torch.Tensor, b: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Squared Mahalanobis form ``(a - b)ᵀ M (a - b)`` with ``M = factor factorᵀ``.

    Writing ``M`` through its factor keeps it positive semi-definite whatever
    values training gives the factor. ``factor`` has shape (..., d, d) and
    broadcasts with the leading dimensions of ``a - b``.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.dissimilarities import mahalanobis
    >>> factor = torch.diag(torch.tensor([1.0, 0.5]))
    >>> mahalanobis(torch.tensor([[0.0, 0.0]]), torch.tensor([[1.0, 2.0]]), factor)
    tensor([2.])
    """
    projected = ((a - b).unsqueeze(-2) @ factor).squeeze(-2)
    return projected.pow(2).sum(-1)


DISSIMILARITIES: dict[str, Callable[..., torch.Tensor]] = {
    "euclidean": euclidean,
    "sqeuclidean": sqeuclidean,
    "cosine": cosine,
    "manhattan": manhattan,
    "chebyshev": chebyshev,
    "minkowski": minkowski,
    "mahalanobis": mahalanobis,
}
"""The dissimilarities :class:`DissimilarityMixture` knows by name."""

PairwiseDissimilarity = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""A user dissimilarity: ``f(embeddings (n, d), centers (k, d)) -> (n, k)``."""


class DissimilarityMixture(nn.Module):
    """The dissimilarity mixture layer of DMAE: soft assignment and soft centre.

    For embeddings ``z`` and trainable centres ``θ_j`` and mixing weights ``π_j``,
    the soft assignment is ``s_ij = softmax_j(-alpha D_ij + log π_j + c_j)`` with
    ``D_ij = d(z_i, θ_j)``; its "reconstruction" of ``z_i`` is the soft-assigned
    centre ``θ̃_i = Σ_j s_ij θ_j``. ``c_j`` is 0 except for "mahalanobis", where
    it is ``½ log det M_j``: the normaliser that makes ``exp(-alpha D_ij + c_j)``
    a Gaussian density, without which shrinking ``M_j`` to 0 would always lower
    the loss.

    Parameters
    ----------
    n_clusters : int
        Number of components.
    dim : int
        Dimension of the embeddings and centres.
    dissimilarity : str or callable, default="euclidean"
        A key of :data:`DISSIMILARITIES`, or ``f(z, centers) -> (n, k)``.
    alpha : float, default=1.0
        Inverse temperature of the softmax.
    p : float, default=2.0
        Order of the "minkowski" dissimilarity.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import DissimilarityMixture
    >>> mixture = DissimilarityMixture(2, 1, "manhattan", alpha=10.0)
    >>> with torch.no_grad():
    ...     _ = mixture.centers.copy_(torch.tensor([[0.0], [1.0]]))
    >>> mixture(torch.tensor([[0.1]])).argmax(dim=1)
    tensor([0])
    """

    def __init__(
        self,
        n_clusters: int,
        dim: int,
        dissimilarity: str | PairwiseDissimilarity = "euclidean",
        alpha: float = 1.0,
        p: float = 2.0,
    ):
        super().__init__()
        if isinstance(dissimilarity, str) and dissimilarity not in DISSIMILARITIES:
            raise ValueError(
                f"dissimilarity={dissimilarity!r} is not one of "
                f"{sorted(DISSIMILARITIES)} or a callable."
            )
        self.dissimilarity = dissimilarity
        self.alpha = float(alpha)
        self.p = float(p)
        self.centers = nn.Parameter(torch.zeros(n_clusters, dim))
        self.mixing_logits = nn.Parameter(torch.zeros(n_clusters))
        if dissimilarity == "mahalanobis":
            self.factors = nn.Parameter(torch.eye(dim).repeat(n_clusters, 1, 1))

    @torch.no_grad()
    def rescale_(self, factor: float) -> None:
        """Follow embeddings multiplied by ``factor``: centres scale with them.

        Mahalanobis matrices scale by ``1 / factor²``, which leaves their
        dissimilarities, and so the assignments, unchanged.
        """
        self.centers.mul_(factor)
        if self.dissimilarity == "mahalanobis":
            self.factors.div_(factor)

    @property
    def weights(self) -> torch.Tensor:
        """Mixing weights ``π``, positive and summing to one."""
        return self.mixing_logits.softmax(dim=0)

    def log_normalizers(self) -> torch.Tensor:
        """``c_j``: ``½ log det M_j`` for "mahalanobis", else 0; shape (k,)."""
        if self.dissimilarity != "mahalanobis":
            return self.centers.new_zeros(self.centers.shape[0])
        return torch.linalg.slogdet(self.factors).logabsdet

    def matrices(self) -> torch.Tensor:
        """The Mahalanobis matrices ``M_j = A_j A_jᵀ``, shape (k, d, d)."""
        return self.factors @ self.factors.transpose(-1, -2)

    def dissimilarities(self, z: torch.Tensor) -> torch.Tensor:
        """``D_ij = d(z_i, θ_j)``, shape (n, k)."""
        if self.dissimilarity == "mahalanobis":
            return mahalanobis(z.unsqueeze(1), self.centers.unsqueeze(0), self.factors)
        return self.between(z, self.centers)

    def between(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``d(a_i, b_j)`` for any two sets of points, shape (len(a), len(b)).

        Not defined for "mahalanobis", whose matrices belong to the centres.
        """
        if callable(self.dissimilarity):
            return self.dissimilarity(a, b)
        if self.dissimilarity == "mahalanobis":
            raise ValueError("'mahalanobis' has no dissimilarity between free points.")
        return self._distance(a.unsqueeze(1), b.unsqueeze(0))

    def check_dissimilarity(self, rows: torch.Tensor) -> None:
        """Fail early, stating the contract, when a callable dissimilarity breaks it.

        Calls it on ``rows`` and on the first ``n_clusters`` of them as centres;
        it must return a finite tensor of shape (len(rows), n_centres). Named
        dissimilarities pass unchecked.
        """
        if not callable(self.dissimilarity):
            return
        centers = rows[: self.centers.shape[0]]
        with torch.no_grad():
            values = self.dissimilarity(rows, centers)
        expected = (rows.shape[0], centers.shape[0])
        is_tensor = isinstance(values, torch.Tensor)
        if not is_tensor or tuple(values.shape) != expected:
            got = tuple(values.shape) if is_tensor else type(values)
            raise ValueError(
                "A callable dissimilarity must return a torch tensor of shape "
                f"(n_rows, n_centers); called on {expected[0]} rows and "
                f"{expected[1]} centres it returned {got}."
            )
        if not torch.isfinite(values).all():
            raise ValueError(
                "The callable dissimilarity returned NaN or infinite values."
            )

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        """``-alpha D_ij + log π_j + c_j``, the softmax's input."""
        log_prior = self.mixing_logits.log_softmax(dim=0) + self.log_normalizers()
        return -self.alpha * self.dissimilarities(z) + log_prior

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Soft assignments ``s`` of shape (n, k); rows sum to one."""
        return self.logits(z).softmax(dim=1)

    def soft_centers(self, s: torch.Tensor) -> torch.Tensor:
        """``θ̃_i = Σ_j s_ij θ_j``, the layer's reconstruction of each embedding."""
        return s @ self.centers

    def dissimilarity_to_soft_centers(
        self, z: torch.Tensor, s: torch.Tensor
    ) -> torch.Tensor:
        """``d(z_i, θ̃_i)`` per row; for "mahalanobis" with ``M̃_i = Σ_j s_ij M_j``."""
        soft_centers = self.soft_centers(s)
        if callable(self.dissimilarity):
            # A user function only gives the (rows, centres) matrix; the pairs
            # needed here are its diagonal.
            return self.dissimilarity(z, soft_centers).diagonal()
        if self.dissimilarity == "mahalanobis":
            per_matrix = mahalanobis(
                z.unsqueeze(1), soft_centers.unsqueeze(1), self.factors
            )
            return (s * per_matrix).sum(dim=1)
        return self._distance(z, soft_centers)

    def _distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """The named dissimilarity other than "mahalanobis", on broadcast pairs."""
        if self.dissimilarity == "minkowski":
            return minkowski(a, b, self.p)
        return DISSIMILARITIES[self.dissimilarity](a, b)
