"""Where rows come from: the one upload of the training data, chunked inference.

Every estimator reaches its rows through these two functions. :func:`to_device`
is called once per fit and gives the tensor that every phase trains on and
embeds from. :func:`apply_in_chunks` maps a function over the rows of a tensor
or an array, ``chunk_size`` rows at a time, so that memory holds the output and
one chunk.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch


def to_device(X: np.ndarray, device: torch.device) -> torch.Tensor:
    """The training rows ``X`` as one float32 tensor on ``device``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skdeepcluster._data import to_device
    >>> to_device(np.ones((2, 3)), torch.device("cpu")).dtype
    torch.float32
    """
    return torch.as_tensor(X, dtype=torch.float32, device=device)


def apply_in_chunks(
    fn: Callable[[torch.Tensor], torch.Tensor],
    rows: np.ndarray | torch.Tensor,
    chunk_size: int,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | None = None,
    out_device: torch.device | None = None,
) -> torch.Tensor:
    """``fn(chunk)`` over the rows of ``rows``, ``chunk_size`` at a time.

    Each chunk is converted to ``dtype`` on ``device`` (by default the device
    of ``rows``, the CPU for an array) and the results fill one preallocated
    tensor on ``out_device`` (by default that of the results), without a list
    of chunks next to their concatenation. Runs under
    :func:`torch.inference_mode`: no gradients are recorded.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster._data import apply_in_chunks
    >>> apply_in_chunks(lambda x: 2 * x, torch.arange(5.0)[:, None], 2).ravel()
    tensor([0., 2., 4., 6., 8.])
    """
    n_rows = rows.shape[0]
    out = None
    with torch.inference_mode():
        for start in range(0, n_rows, chunk_size):
            chunk = torch.as_tensor(
                rows[start : start + chunk_size], dtype=dtype, device=device
            )
            result = fn(chunk)
            if out is None:
                out = result.new_empty(
                    (n_rows, *result.shape[1:]), device=out_device or result.device
                )
            out[start : start + result.shape[0]] = result
    return out
