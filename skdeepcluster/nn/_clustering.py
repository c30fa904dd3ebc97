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


class ScaleAutoencoder(nn.Module):
    """The autoencoder of a shallow model: the embedding is the input times a scalar.

    Lets a clustering head run on the features themselves (DMAE's shallow
    dissimilarity mixture model) through the same code as a deep model. The
    scale starts at 1; :meth:`rescale_embedding_` changes it, as it does for
    the other autoencoders, so the head can work in standardised units.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import ScaleAutoencoder
    >>> ae = ScaleAutoencoder()
    >>> ae.rescale_embedding_(0.5)
    >>> x = torch.ones(1, 2)
    >>> ae.encode(x), ae.decode(ae.encode(x))
    (tensor([[0.5000, 0.5000]]), tensor([[1., 1.]]))
    """

    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.ones(()))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` times the scale."""
        return x * self.scale

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """``z`` divided by the scale."""
        return z / self.scale

    def rescale_embedding_(self, factor: float) -> None:
        """Multiply the embedding by ``factor``; reconstructions stay the same."""
        self.scale.mul_(factor)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction of ``x``: ``x`` itself."""
        return self.decode(self.encode(x))
