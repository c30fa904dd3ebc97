"""Where rows come from: the one upload of the training data, chunked inference.

Every estimator reaches its rows through these functions. :func:`to_device` is
called once per fit and gives what every phase trains on and embeds from: one
tensor on the device for data in memory, or :class:`StreamedRows` for data
that is read a block at a time. :func:`apply_in_chunks` maps a function over
the rows of a tensor or an array, ``chunk_size`` rows at a time, so that memory
holds the output and one chunk.

Data read a block at a time (:func:`is_streamed`) are a :class:`numpy.memmap`,
a dask array, an h5py or zarr dataset (any 2-D array with ``shape``, ``dtype``
and row slicing) and scipy sparse matrices. :class:`StreamedArray` reads their
rows as dense float blocks, checks each block for NaN and infinity (the error
names the rows) and computes the per-feature statistics in one pass; in
training, :class:`StreamedRows` holds one block on the device at a time, the
blocks visited in a random order and the rows of each in a random order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

import numpy as np
import scipy.sparse
import torch

BLOCK_BYTES = 2**27
"""Bytes of float32 rows per block of streamed data (128 MiB): large enough that
reading a block is sequential I/O, small enough that memory stays far below
the data's size."""

INIT_SAMPLE_ROWS = 100_000
"""Rows of streamed data that clusters are initialised from, when there are
more: a seeded uniform sample, as ``MiniBatchKMeans`` initialises from
``init_size`` rows, so that no step holds a copy of the data's width."""

_STREAMED_MODULES = ("dask", "h5py", "zarr")


def to_device(
    X: np.ndarray | StreamedArray, device: torch.device
) -> torch.Tensor | StreamedRows:
    """The training rows ``X`` as one float32 tensor on ``device``.

    A :class:`StreamedArray` becomes :class:`StreamedRows` instead, which
    puts one block at a time on the device.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skdeepcluster._data import to_device
    >>> to_device(np.ones((2, 3)), torch.device("cpu")).dtype
    torch.float32
    """
    if isinstance(X, StreamedArray):
        return StreamedRows(X, device)
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


def is_streamed(X) -> bool:
    """Whether ``X`` is read a block at a time instead of validated whole.

    True for a :class:`numpy.memmap`, a scipy sparse matrix or array, and any
    2-D array that is not a numpy array but has ``shape``, ``dtype`` and row
    slicing (dask arrays, h5py and zarr datasets).

    Examples
    --------
    >>> import numpy as np, scipy.sparse
    >>> from skdeepcluster._data import is_streamed
    >>> is_streamed(np.ones((3, 2))), is_streamed(scipy.sparse.eye(3).tocsr())
    (False, True)
    """
    if isinstance(X, np.memmap) or scipy.sparse.issparse(X):
        return True
    if isinstance(X, np.ndarray):
        return False
    module = type(X).__module__.split(".")[0]
    return module in _STREAMED_MODULES or (
        module not in ("pandas", "torch", "polars")
        and hasattr(X, "dtype")
        and hasattr(X, "__getitem__")
        and len(getattr(X, "shape", ())) == 2
    )


class ColumnStats(NamedTuple):
    """Per-feature mean and variance, and the smallest and largest value."""

    mean: np.ndarray
    var: np.ndarray
    min: float
    max: float


def column_stats(X: np.ndarray | StreamedArray) -> ColumnStats:
    """:class:`ColumnStats` of ``X``, computed in one pass over a streamed array.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster._data import column_stats
    >>> column_stats(np.array([[0.0], [2.0]]))
    ColumnStats(mean=array([1.]), var=array([1.]), min=0.0, max=2.0)
    """
    if isinstance(X, StreamedArray):
        return X.stats()
    mean = X.mean(axis=0, dtype=np.float64)
    var = X.var(axis=0, dtype=np.float64)
    return ColumnStats(mean, var, float(X.min()), float(X.max()))


def merge_column_stats(parts: Iterable[tuple[int, ColumnStats]]) -> ColumnStats:
    """The :class:`ColumnStats` of the union of row sets, from each set's own.

    ``parts`` yields each set's number of rows and statistics. Means and
    squared deviations are merged by Chan et al.'s pairwise update (as
    :class:`~sklearn.preprocessing.StandardScaler`'s ``partial_fit``), so the
    variance stays exact for data far from zero.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster._data import column_stats, merge_column_stats
    >>> merge_column_stats([(1, column_stats(np.array([[0.0]]))),
    ...                     (1, column_stats(np.array([[2.0]])))])
    ColumnStats(mean=array([1.]), var=array([1.]), min=0.0, max=2.0)
    """
    count, mean, squares = 0, None, None
    low, high = np.inf, -np.inf
    for n, stats in parts:
        if n == 0:
            continue
        if mean is None:
            mean, squares = stats.mean.copy(), stats.var * n
        else:
            delta = stats.mean - mean
            squares = squares + stats.var * n + delta**2 * count * n / (count + n)
            mean = mean + delta * n / (count + n)
        count += n
        low, high = min(low, stats.min), max(high, stats.max)
    return ColumnStats(mean, squares / count, float(low), float(high))


class StreamedArray:
    """A 2-D array read as validated dense float blocks of rows.

    ``X[start:stop]`` reads those rows (densified, as float32 when the array
    is float32 and float64 otherwise) and raises a ValueError naming the rows
    where a value is NaN or infinite. ``block_rows`` rows of float32 take
    :data:`BLOCK_BYTES`.

    Examples
    --------
    >>> import scipy.sparse
    >>> from skdeepcluster._data import StreamedArray
    >>> rows = StreamedArray(scipy.sparse.eye(3, format="csr"))
    >>> rows.shape, rows[1:3].tolist()
    ((3, 3), [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    """

    def __init__(self, array):
        dtype = np.dtype(array.dtype)
        if dtype.kind not in "biuf":
            raise ValueError(
                f"X has dtype {dtype}; it must hold numbers (booleans, integers "
                "or floats)."
            )
        if len(array.shape) != 2:
            raise ValueError(
                f"Expected a 2-D array, got an array of shape {array.shape}."
            )
        self.array = array
        self.shape = (int(array.shape[0]), int(array.shape[1]))
        self.dtype = dtype if dtype in (np.float32, np.float64) else np.dtype("float64")
        self.block_rows = max(1, BLOCK_BYTES // (4 * max(1, self.shape[1])))
        self._stats: ColumnStats | None = None

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: slice) -> np.ndarray:
        start, stop, _ = rows.indices(self.shape[0])
        block = self.array[start:stop]
        if scipy.sparse.issparse(block):
            block = block.toarray()
        elif hasattr(block, "compute"):
            block = block.compute()
        # A read-only memmap's rows are copied: torch cannot share them.
        block = np.require(block, dtype=self.dtype, requirements="W")
        finite = np.isfinite(block).all(axis=1)
        if not finite.all():
            bad = start + np.flatnonzero(~finite)
            raise ValueError(
                f"Input X contains NaN or infinity in {len(bad)} of rows "
                f"{start} to {stop - 1} (the first: row {bad[0]}). Remove or "
                "impute those values, e.g. with sklearn.impute.SimpleImputer."
            )
        return block

    def block_bounds(self) -> list[tuple[int, int]]:
        """``(start, stop)`` of each block of ``block_rows`` rows, in order.

        A last block of less than half ``block_rows`` joins the one before, so
        that no block is much smaller than the others.
        """
        n = self.shape[0]
        starts = list(range(0, n, self.block_rows))
        if len(starts) > 1 and n - starts[-1] < self.block_rows // 2:
            starts.pop()
        return list(zip(starts, [*starts[1:], n], strict=True))

    def stats(self) -> ColumnStats:
        """The :class:`ColumnStats` of all rows, validating each block on the way.

        Each block's statistics are computed in float64 and merged into the
        running ones (:func:`merge_column_stats`). The result is kept.
        """
        if self._stats is None:
            self._stats = merge_column_stats(
                (stop - start, column_stats(self[start:stop]))
                for start, stop in self.block_bounds()
            )
        return self._stats


def sample_rows(rows: StreamedArray, n_rows: int, seed: int) -> np.ndarray:
    """A seeded uniform sample of ``n_rows`` of ``rows``, in order, read by block.

    Examples
    --------
    >>> import scipy.sparse
    >>> from skdeepcluster._data import StreamedArray, sample_rows
    >>> rows = StreamedArray(scipy.sparse.eye(5, format="csr"))
    >>> sample_rows(rows, 2, seed=0).shape
    (2, 5)
    """
    chosen = np.sort(
        np.random.RandomState(seed).choice(len(rows), n_rows, replace=False)
    )
    sample = np.empty((n_rows, rows.shape[1]), dtype=rows.dtype)
    for start, stop in rows.block_bounds():
        first, last = np.searchsorted(chosen, [start, stop])
        sample[first:last] = rows[start:stop][chosen[first:last] - start]
    return sample


class StreamedRows:
    """The training rows of a :class:`StreamedArray`, on a device a block at a time.

    It stands where a fit holds the data tensor. :meth:`blocks` loads the
    blocks in a random order; indexing with a tensor of row indices reads rows
    of the block loaded last, and slicing reads rows from the array.

    Examples
    --------
    >>> import scipy.sparse, torch
    >>> from skdeepcluster._data import StreamedArray, StreamedRows
    >>> rows = StreamedRows(StreamedArray(scipy.sparse.eye(3, format="csr")),
    ...                     torch.device("cpu"))
    >>> [start for start, block in rows.blocks(torch.Generator())]
    [0]
    >>> rows[torch.tensor([2])]
    tensor([[0., 0., 1.]])
    """

    def __init__(self, array: StreamedArray, device: torch.device):
        self.array = array
        self.device = device
        self.shape = array.shape
        self._start = 0
        self._block: torch.Tensor | None = None

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: slice | torch.Tensor) -> np.ndarray | torch.Tensor:
        if isinstance(rows, slice):
            return self.array[rows]
        local = rows - self._start
        if self._block is None or not (
            (local >= 0).all() and (local < len(self._block)).all()
        ):
            raise IndexError(
                "Rows of streamed data are read from the block loaded last; "
                "these rows are outside it."
            )
        return self._block[local]

    def n_batches(self, batch_size: int) -> int:
        """Mini-batches per epoch: the blocks' batches, the last of each partial."""
        bounds = self.array.block_bounds()
        return sum(math.ceil((stop - start) / batch_size) for start, stop in bounds)

    def blocks(self, generator: torch.Generator) -> Iterator[tuple[int, torch.Tensor]]:
        """``(start, rows)`` of each block, in an order drawn from ``generator``.

        With a single block no order is drawn, so that data that fit in one
        block are visited as an in-memory fit visits them.
        """
        bounds = self.array.block_bounds()
        order = range(1)
        if len(bounds) > 1:
            order = torch.randperm(
                len(bounds), generator=generator, device=generator.device
            ).tolist()
        for b in order:
            yield self.load(*bounds[b])

    def load(self, start: int, stop: int) -> tuple[int, torch.Tensor]:
        """Read rows ``start:stop`` to the device as the current block."""
        self._block = None
        self._block = torch.as_tensor(
            self.array[start:stop], dtype=torch.float32, device=self.device
        )
        self._start = start
        return start, self._block
