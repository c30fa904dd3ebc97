"""Random shifts and rotations of flattened images, the augmentation of DEC-DA."""

import math

import torch
from torch.nn import functional as F

MAX_SHIFT = 0.1
MAX_ROTATION = 10.0


def random_affine(
    batch: torch.Tensor,
    image_shape: tuple[int, int, int],
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Shift and rotate each flattened image of ``batch`` at random.

    Each image is rotated about its centre by up to ``MAX_ROTATION`` (10)
    degrees, then shifted by up to ``MAX_SHIFT`` (10%) of its width and of its
    height, each drawn uniformly, with bilinear interpolation; pixels moved in from
    outside take the value of the nearest edge pixel. These are the settings
    of DEC-DA (Guo et al., 2018), which found them to help on digits.

    Parameters
    ----------
    batch : torch.Tensor of shape (n, channels * height * width)
        Flattened images, one per row.
    image_shape : tuple of int
        ``(channels, height, width)`` of one image.
    generator : torch.Generator, optional
        Source of the random shifts and angles, on the device of ``batch``.

    Returns
    -------
    torch.Tensor of the shape of ``batch``
        The transformed images, flattened.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import random_affine
    >>> images = torch.rand(4, 28 * 28)
    >>> random_affine(images, (1, 28, 28), torch.Generator().manual_seed(0)).shape
    torch.Size([4, 784])
    """
    n = batch.shape[0]
    options = {"generator": generator, "device": batch.device, "dtype": batch.dtype}
    angle = (2 * torch.rand(n, **options) - 1) * math.radians(MAX_ROTATION)
    # affine_grid works in coordinates from -1 to 1: a shift of 10% of the
    # width is 0.2 there.
    shift = (2 * torch.rand(n, 2, **options) - 1) * (2 * MAX_SHIFT)
    cos, sin = torch.cos(angle), torch.sin(angle)
    rotation = torch.stack(
        [torch.stack([cos, -sin], dim=1), torch.stack([sin, cos], dim=1)], dim=1
    )
    # Each output pixel p samples the input at R (p - shift): the image is
    # rotated about its centre, then its centre moved by ``shift``.
    offset = -(rotation @ shift.unsqueeze(2))
    theta = torch.cat([rotation, offset], dim=2)
    images = batch.reshape(n, *image_shape)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    moved = F.grid_sample(images, grid, padding_mode="border", align_corners=False)
    return moved.reshape(batch.shape)
