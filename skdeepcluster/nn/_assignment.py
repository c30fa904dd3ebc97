"""Soft cluster assignments of embeddings to trainable centres."""

import torch
from torch import nn


def squared_distances(z: torch.Tensor, centers: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances, (n, d) x (k, d) -> (n, k).

    Computed by explicit differences rather than the ``|a|^2 + |b|^2 - 2ab``
    expansion used by ``torch.cdist``: each row's result then depends only on
    that row, whatever else is in the batch, and it never goes negative.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import squared_distances
    >>> squared_distances(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]))
    tensor([[25.]])
    """
    return (z.unsqueeze(1) - centers.unsqueeze(0)).pow(2).sum(-1)


class StudentTAssignment(nn.Module):
    """Student's t kernel soft assignment of DEC (Xie et al., 2016, eq. 1).

    ``q_ij = (1 + |z_i - mu_j|^2 / alpha)^(-(alpha + 1) / 2)``, normalised over j.

    Parameters
    ----------
    n_clusters : int
        Number of centres ``mu_j``.
    latent_dim : int
        Dimension of the embeddings and centres.
    alpha : float, default=1.0
        Degrees of freedom of the Student's t distribution.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import StudentTAssignment
    >>> assign = StudentTAssignment(2, 1)
    >>> with torch.no_grad():
    ...     _ = assign.centers.copy_(torch.tensor([[0.0], [1.0]]))
    ...     q = assign(torch.tensor([[0.0]]))
    >>> q
    tensor([[0.6667, 0.3333]])
    """

    def __init__(self, n_clusters: int, latent_dim: int, alpha: float = 1.0):
        super().__init__()
        self.alpha = float(alpha)
        self.centers = nn.Parameter(torch.zeros(n_clusters, latent_dim))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Soft assignments ``q`` of shape (n, n_clusters); rows sum to 1."""
        kernel = (1.0 + squared_distances(z, self.centers) / self.alpha).pow(
            -(self.alpha + 1.0) / 2.0
        )
        return kernel / kernel.sum(dim=1, keepdim=True)
