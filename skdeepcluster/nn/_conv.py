"""Convolutional autoencoder (DCEC-style) for images of any height and width."""

from collections.abc import Sequence

import torch
from torch import nn

from ._init import rescale_between_, variance_scaling_


class ConvAutoencoder(nn.Module):
    """Convolutional autoencoder working on flattened image rows.

    The encoder follows DCEC (Guo et al., 2017): stride-2 convolutions with
    32, 64 and 128 channels (5x5 kernels, 3x3 for the last), ReLU, then a linear
    embedding. The decoder mirrors it with transposed convolutions and a linear
    output. Each convolution halves the side (rounding up), and each transposed
    convolution is told the exact size to restore, so any height and width work.

    Rows come in flat, ``(n, C*H*W)``, and are reshaped inside, so the module
    fits the same 2-D data interface as :class:`MLPAutoencoder`.

    Parameters
    ----------
    image_shape : tuple of int
        ``(channels, height, width)`` of one image.
    channels : sequence of int, default=(32, 64, 128)
        Output channels of the encoder's convolutions; the decoder mirrors them.
    latent_dim : int, default=10
        Size of the embedding.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import ConvAutoencoder
    >>> ae = ConvAutoencoder((1, 28, 28), channels=(4, 8), latent_dim=3)
    >>> x = torch.zeros(2, 28 * 28)
    >>> ae.encode(x).shape, ae(x).shape
    (torch.Size([2, 3]), torch.Size([2, 784]))
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        channels: Sequence[int] = (32, 64, 128),
        latent_dim: int = 10,
    ):
        super().__init__()
        self.image_shape = tuple(int(s) for s in image_shape)
        n_channels, height, width = self.image_shape
        kernels = [5] * (len(channels) - 1) + [3]
        # Spatial size before each convolution; the decoder restores them in reverse.
        self._sizes = [(height, width)]
        encoder: list[nn.Module] = []
        decoder: list[nn.Module] = []
        in_channels = [n_channels, *channels[:-1]]
        for c_in, c_out, k in zip(in_channels, channels, kernels, strict=True):
            encoder += [nn.Conv2d(c_in, c_out, k, stride=2, padding=k // 2), nn.ReLU()]
            h, w = self._sizes[-1]
            self._sizes.append(((h + 1) // 2, (w + 1) // 2))
        self.convs = nn.Sequential(*encoder)
        last_h, last_w = self._sizes[-1]
        self._bottleneck_shape = (channels[-1], last_h, last_w)
        n_flat = channels[-1] * last_h * last_w
        self.embed = nn.Linear(n_flat, latent_dim)
        self.expand = nn.Sequential(nn.Linear(latent_dim, n_flat), nn.ReLU())
        for c_in, c_out, k in reversed(
            list(zip(in_channels, channels, kernels, strict=True))
        ):
            decoder.append(nn.ConvTranspose2d(c_out, c_in, k, stride=2, padding=k // 2))
        self.deconvs = nn.ModuleList(decoder)
        variance_scaling_(self)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Embed flat image rows ``(n, C*H*W)`` into ``(n, latent_dim)``."""
        images = x.reshape(x.shape[0], *self.image_shape)
        return self.embed(self.convs(images).flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstruct flat image rows ``(n, C*H*W)`` from embeddings."""
        h = self.expand(z).reshape(z.shape[0], *self._bottleneck_shape)
        sizes = self._sizes[-2::-1]
        for i, (deconv, size) in enumerate(zip(self.deconvs, sizes, strict=True)):
            h = deconv(h, output_size=list(size))
            if i < len(self.deconvs) - 1:
                h = torch.relu(h)
        return h.flatten(1)

    def rescale_embedding_(self, factor: float) -> None:
        """Multiply the embedding by ``factor``; reconstructions stay the same."""
        rescale_between_(self.embed, self.expand[0], factor)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction of ``x``."""
        return self.decode(self.encode(x))
