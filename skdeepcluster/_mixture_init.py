"""Initialisation of DMAE's dissimilarity mixture: medoids and Mahalanobis matrices.

k-means places the centres of the dissimilarities it minimises (euclidean,
squared euclidean, and mahalanobis, whose matrices then come from the k-means
clusters' covariances, :func:`precision_factors`); for every other
dissimilarity, and for callables, :func:`medoids` seeds and refines medoids by
the dissimilarity itself.
"""

from __future__ import annotations

import numpy as np
import torch

from ._data import apply_in_chunks
from .nn import DissimilarityMixture

# Rows per chunk of the rows-by-medoids dissimilarity matrix.
_CHUNK = 4096


def medoids(
    mixture: DissimilarityMixture,
    rows: torch.Tensor,
    n_clusters: int,
    n_init: int,
    seed: int,
    max_iter: int = 20,
    max_members: int = 1000,
) -> np.ndarray:
    """k-means++-style medoids of ``rows`` for the mixture's dissimilarity.

    Each restart seeds one medoid uniformly and the others with probability
    proportional to the dissimilarity to the nearest medoid already chosen,
    then alternates assignment and medoid updates (each cluster's medoid
    becomes the member with the least total dissimilarity to a sample of at
    most ``max_members`` members). Returns the medoids of the restart with the
    least total dissimilarity.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster._mixture_init import medoids
    >>> from skdeepcluster.nn import DissimilarityMixture
    >>> rows = torch.tensor([[0.0], [0.1], [5.0], [5.2]])
    >>> found = medoids(DissimilarityMixture(2, 1, "manhattan"), rows, 2, 2, 0)
    >>> sorted(found.ravel().tolist())
    [0.0, 5.0]
    """
    rng = np.random.RandomState(seed)
    n_rows = rows.shape[0]

    def to_medoids(points: torch.Tensor) -> torch.Tensor:
        return apply_in_chunks(
            lambda chunk: mixture.between(chunk, points),
            rows,
            _CHUNK,
            dtype=rows.dtype,
        )

    def nearest_to(points: torch.Tensor) -> np.ndarray:
        return to_medoids(points).squeeze(1).clamp_min(0).double().numpy()

    best = None
    with torch.no_grad():
        for _ in range(n_init):
            chosen = [int(rng.randint(n_rows))]
            nearest = nearest_to(rows[chosen])
            for _ in range(1, n_clusters):
                total = nearest.sum()
                probabilities = nearest / total if total > 0 else None
                index = int(rng.choice(n_rows, p=probabilities))
                chosen.append(index)
                nearest = np.minimum(nearest, nearest_to(rows[[index]]))
            current = rows[chosen]
            for _ in range(max_iter):
                labels = to_medoids(current).argmin(dim=1).numpy()
                updated = current.clone()
                for cluster in range(n_clusters):
                    members = np.flatnonzero(labels == cluster)
                    if members.size == 0:
                        continue
                    if members.size > max_members:
                        members = rng.choice(members, max_members, replace=False)
                    within = mixture.between(rows[members], rows[members])
                    updated[cluster] = rows[members[within.sum(dim=1).argmin()]]
                if torch.equal(updated, current):
                    break
                current = updated
            cost = float(to_medoids(current).min(dim=1).values.sum())
            if best is None or cost < best[0]:
                best = (cost, current.numpy())
    return best[1]


def precision_factors(
    embedding: np.ndarray, labels: np.ndarray, n_clusters: int, alpha: float
) -> np.ndarray:
    """Factors ``A_j`` with ``A_j A_jᵀ = Cov_j⁻¹ / (2 alpha)`` per k-means cluster.

    ``alpha (z - θ)ᵀ M (z - θ)`` with this ``M`` is half the squared Mahalanobis
    distance of the cluster's Gaussian. Clusters with fewer rows than
    dimensions + 1 use the covariance of all rows (the identity for a single
    row). A ridge of 1e-3 times the mean variance keeps every covariance
    invertible and bounds the precision of a cluster of identical rows: with a
    much smaller ridge such a cluster is so narrow that the first optimizer
    step moves its centre off its rows, and a neighbouring cluster takes them.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster._mixture_init import precision_factors
    >>> rng = np.random.RandomState(0)
    >>> embedding = rng.normal(size=(100, 2))
    >>> precision_factors(embedding, np.zeros(100, dtype=int), 1, 0.5).shape
    (1, 2, 2)
    """
    dim = embedding.shape[1]
    if embedding.shape[0] > 1:
        pooled = np.cov(embedding, rowvar=False).reshape(dim, dim)
    else:
        pooled = np.eye(dim)
    mean_variance = float(np.trace(pooled)) / dim
    ridge = 1e-3 * (mean_variance if mean_variance > 0 else 1.0) * np.eye(dim)
    factors = []
    for cluster in range(n_clusters):
        members = embedding[labels == cluster]
        if members.shape[0] > dim:
            covariance = np.cov(members, rowvar=False).reshape(dim, dim)
        else:
            covariance = pooled
        precision = np.linalg.inv(covariance + ridge) / (2.0 * alpha)
        factors.append(np.linalg.cholesky((precision + precision.T) / 2))
    return np.stack(factors)
