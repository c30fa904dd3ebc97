"""Dense (fully connected) autoencoder."""

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import nn

from ._init import rescale_between_, variance_scaling_


def mlp(layer_sizes: Sequence[int]) -> nn.Sequential:
    """A stack of linear layers with ReLU between them and a linear last layer."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(pairwise(layer_sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(layer_sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class MLPAutoencoder(nn.Module):
    """Symmetric dense autoencoder, as in DEC: d-500-500-2000-10 and its mirror.

    Hidden layers use ReLU; the embedding and the reconstruction are linear.

    Parameters
    ----------
    n_features : int
        Size of each input row.
    hidden_layer_sizes : sequence of int, default=(500, 500, 2000)
        Widths of the encoder's hidden layers; the decoder mirrors them.
    latent_dim : int, default=10
        Size of the embedding.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import MLPAutoencoder
    >>> ae = MLPAutoencoder(8, hidden_layer_sizes=(16,), latent_dim=2)
    >>> x = torch.zeros(5, 8)
    >>> ae.encode(x).shape, ae(x).shape
    (torch.Size([5, 2]), torch.Size([5, 8]))
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int] = (500, 500, 2000),
        latent_dim: int = 10,
    ):
        super().__init__()
        sizes = [n_features, *hidden_layer_sizes, latent_dim]
        self.encoder = mlp(sizes)
        self.decoder = mlp(sizes[::-1])
        variance_scaling_(self)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Embed rows of ``x`` (n, n_features) into (n, latent_dim)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstruct rows (n, n_features) from embeddings (n, latent_dim)."""
        return self.decoder(z)

    def rescale_embedding_(self, factor: float) -> None:
        """Multiply the embedding by ``factor``; reconstructions stay the same."""
        rescale_between_(self.encoder[-1], self.decoder[0], factor)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction of ``x``."""
        return self.decode(self.encode(x))
