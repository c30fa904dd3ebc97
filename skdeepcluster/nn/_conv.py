"""Convolutional networks (DCEC-style) for images of any height and width."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._init import rescale_between_, variance_scaling_

AUTO_BOTTLENECK_SIDE = 8
"""``channels="auto"`` adds stride-2 layers until no side exceeds this."""


def _halved(size: tuple[int, int]) -> tuple[int, int]:
    return (size[0] + 1) // 2, (size[1] + 1) // 2


def conv_channels_for(
    image_shape: Sequence[int], channels: Sequence[int] | str = "auto"
) -> tuple[int, ...]:
    """The encoder's channels: ``channels`` itself, or the ``"auto"`` choice.

    ``"auto"`` is DCEC's (32, 64, 128) followed by as many 128-channel
    layers as needed for the feature map's sides to be at most
    :data:`AUTO_BOTTLENECK_SIDE`: three layers for 28x28 to 64x64 images, four
    for 128x128, five for 160x160. Each layer halves the sides, so the
    bottleneck stays small and the receptive field covers the image.

    Examples
    --------
    >>> from skdeepcluster.nn import conv_channels_for
    >>> conv_channels_for((1, 28, 28)), conv_channels_for((1, 160, 160))
    ((32, 64, 128), (32, 64, 128, 128, 128))
    """
    if not isinstance(channels, str):
        return tuple(int(c) for c in channels)
    if channels != "auto":
        raise ValueError(f"channels must be 'auto' or a sequence, got {channels!r}.")
    chosen = [32, 64, 128]
    size = tuple(int(s) for s in image_shape[1:])
    for _ in chosen:
        size = _halved(size)
    while max(size) > AUTO_BOTTLENECK_SIDE:
        chosen.append(128)
        size = _halved(size)
    return tuple(chosen)


class _ConvStack:
    """Geometry shared by an encoder and its mirrored decoder."""

    def __init__(self, image_shape: Sequence[int], channels: Sequence[int] | str):
        self.image_shape = tuple(int(s) for s in image_shape)
        self.channels = conv_channels_for(self.image_shape, channels)
        self.kernels = [5] * (len(self.channels) - 1) + [3]
        self.in_channels = [self.image_shape[0], *self.channels[:-1]]
        # Spatial size before each convolution, then after the last one.
        self.sizes = [tuple(self.image_shape[1:])]
        for _ in self.channels:
            self.sizes.append(_halved(self.sizes[-1]))
        self.output_shape = (self.channels[-1], *self.sizes[-1])
        self.n_features_out = int(torch.Size(self.output_shape).numel())


class ConvEncoder(nn.Module):
    """Stride-2 convolutions with ReLU, from flat image rows to flat feature maps.

    Each convolution halves the sides (rounding up): 5x5 kernels, 3x3 for the
    last, as in DCEC (Guo et al., 2017).

    Parameters
    ----------
    image_shape : tuple of int
        ``(channels, height, width)`` of one image.
    channels : sequence of int or "auto", default="auto"
        Output channels of each convolution; see :func:`conv_channels_for`.

    Attributes
    ----------
    n_features_out : int
        Size of each output row, ``channels[-1] * h * w``.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import ConvEncoder
    >>> encoder = ConvEncoder((3, 20, 30), channels=(4, 8))
    >>> encoder(torch.zeros(2, 3 * 20 * 30)).shape, encoder.n_features_out
    (torch.Size([2, 320]), 320)
    """

    def __init__(
        self, image_shape: Sequence[int], channels: Sequence[int] | str = "auto"
    ):
        super().__init__()
        stack = _ConvStack(image_shape, channels)
        self.image_shape = stack.image_shape
        self.n_features_out = stack.n_features_out
        layers: list[nn.Module] = []
        for c_in, c_out, k in zip(
            stack.in_channels, stack.channels, stack.kernels, strict=True
        ):
            layers += [nn.Conv2d(c_in, c_out, k, stride=2, padding=k // 2), nn.ReLU()]
        self.convs = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Flat feature maps ``(n, n_features_out)`` of flat image rows."""
        return self.convs(x.reshape(x.shape[0], *self.image_shape)).flatten(1)


class ConvDecoder(nn.Module):
    """The mirror of :class:`ConvEncoder`: flat feature maps back to image rows.

    Transposed convolutions are told the exact size to restore, so any height
    and width come back; ReLU between them and a linear output.

    Parameters
    ----------
    image_shape : tuple of int
        ``(channels, height, width)`` of one output image.
    channels : sequence of int or "auto", default="auto"
        The channels of the encoder this decoder mirrors.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import ConvDecoder
    >>> decoder = ConvDecoder((3, 20, 30), channels=(4, 8))
    >>> decoder(torch.zeros(2, 320)).shape
    torch.Size([2, 1800])
    """

    def __init__(
        self, image_shape: Sequence[int], channels: Sequence[int] | str = "auto"
    ):
        super().__init__()
        stack = _ConvStack(image_shape, channels)
        self._input_shape = stack.output_shape
        self._sizes = [list(size) for size in stack.sizes[-2::-1]]
        self.deconvs = nn.ModuleList(
            nn.ConvTranspose2d(c_out, c_in, k, stride=2, padding=k // 2)
            for c_in, c_out, k in reversed(
                list(zip(stack.in_channels, stack.channels, stack.kernels, strict=True))
            )
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """Flat image rows ``(n, C*H*W)`` from flat feature maps."""
        h = h.reshape(h.shape[0], *self._input_shape)
        for i, (deconv, size) in enumerate(zip(self.deconvs, self._sizes, strict=True)):
            h = deconv(h, output_size=size)
            if i < len(self.deconvs) - 1:
                h = torch.relu(h)
        return h.flatten(1)


class ConvAutoencoder(nn.Module):
    """Convolutional autoencoder working on flattened image rows.

    A :class:`ConvEncoder`, a linear embedding, then the mirror: a linear layer
    with ReLU back to the feature maps and a :class:`ConvDecoder` with a linear
    output (DCEC, Guo et al., 2017). Rows come in flat, ``(n, C*H*W)``, and are
    reshaped inside, so the module fits the same 2-D data interface as
    :class:`MLPAutoencoder`.

    Parameters
    ----------
    image_shape : tuple of int
        ``(channels, height, width)`` of one image.
    channels : sequence of int or "auto", default="auto"
        Output channels of the encoder's convolutions; the decoder mirrors them.
        ``"auto"`` sizes the stack to the image (:func:`conv_channels_for`).
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
        channels: Sequence[int] | str = "auto",
        latent_dim: int = 10,
    ):
        super().__init__()
        self.image_shape = tuple(int(s) for s in image_shape)
        self.encoder = ConvEncoder(self.image_shape, channels)
        n_flat = self.encoder.n_features_out
        self.embed = nn.Linear(n_flat, latent_dim)
        self.expand = nn.Sequential(nn.Linear(latent_dim, n_flat), nn.ReLU())
        self.decoder = ConvDecoder(self.image_shape, channels)
        variance_scaling_(self)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Embed flat image rows ``(n, C*H*W)`` into ``(n, latent_dim)``."""
        return self.embed(self.encoder(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstruct flat image rows ``(n, C*H*W)`` from embeddings."""
        return self.decoder(self.expand(z))

    def rescale_embedding_(self, factor: float) -> None:
        """Multiply the embedding by ``factor``; reconstructions stay the same."""
        rescale_between_(self.embed, self.expand[0], factor)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction of ``x``."""
        return self.decode(self.encode(x))
