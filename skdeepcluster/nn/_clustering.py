"""The autoencoder plus clustering head that deep clustering estimators train."""

import torch
from torch import nn


class ClusteringAutoencoder(nn.Module):
    """An autoencoder and a soft-assignment head on its embedding.

    Parameters
    ----------
    autoencoder : nn.Module
        Module with ``encode(x)`` and ``decode(z)`` methods.
    assignment : nn.Module
        Module mapping embeddings (n, latent_dim) to soft assignments (n, k).

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import (ClusteringAutoencoder, MLPAutoencoder,
    ...                               StudentTAssignment)
    >>> model = ClusteringAutoencoder(MLPAutoencoder(4, (8,), 2),
    ...                               StudentTAssignment(3, 2))
    >>> model(torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    """

    def __init__(self, autoencoder: nn.Module, assignment: nn.Module):
        super().__init__()
        self.autoencoder = autoencoder
        self.assignment = assignment

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Embedding of ``x``."""
        return self.autoencoder.encode(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Soft cluster assignments of ``x``."""
        return self.assignment(self.encode(x))
