"""The neighbour graph of the pretraining's neighbour term, searched by data size.

``neighbor_algorithm="auto"`` resolves, once per fit, to an exact search where
it is cheap (at most :data:`EXACT_MAX_ROWS` rows) and to an approximate one
above: NN-descent from pynndescent when it is installed (the ``neighbors``
extra), otherwise the package's own partitioned search, with one
:class:`ApproximateNeighborsWarning` saying how to get the better one. The
figures behind these choices are on the benchmark page.
"""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import torch

from ._data import StreamedRows
from .nn import nearest_neighbors, partitioned_neighbors

NEIGHBOR_ALGORITHMS = ("auto", "exact", "nndescent", "partition")

EXACT_MAX_ROWS = 20_000
"""Largest data searched exactly by "auto": the exact search costs
``n² · n_features`` and takes seconds at this size on two cores."""


class ApproximateNeighborsWarning(UserWarning):
    """Warning that the neighbour search fell back to the built-in approximation.

    Given once per fit when ``neighbor_algorithm="auto"`` meets more than
    20,000 rows and pynndescent is not installed.

    Examples
    --------
    >>> import warnings
    >>> from skdeepcluster import ApproximateNeighborsWarning
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", ApproximateNeighborsWarning)
    """


def resolve_neighbor_algorithm(algorithm: str, n_samples: int) -> str:
    """The search ``algorithm`` runs on ``n_samples`` rows, with "auto" resolved.

    Warns with :class:`ApproximateNeighborsWarning` when "auto" falls back to
    "partition"; raises ImportError when "nndescent" is asked for and
    pynndescent is missing.
    """
    has_pynndescent = importlib.util.find_spec("pynndescent") is not None
    if algorithm == "nndescent" and not has_pynndescent:
        raise ImportError(
            "neighbor_algorithm='nndescent' needs pynndescent: pip install "
            "pynndescent (or skdeepcluster[neighbors]), or choose "
            "neighbor_algorithm='partition'."
        )
    if algorithm != "auto":
        return algorithm
    if n_samples <= EXACT_MAX_ROWS:
        return "exact"
    if has_pynndescent:
        return "nndescent"
    warnings.warn(
        f"X has {n_samples} rows: the neighbour search of neighbor_weight is "
        "approximate, exact within k-means cells of about 2,000 rows "
        "(neighbor_algorithm='partition'). Install pynndescent (pip install "
        "pynndescent, or skdeepcluster[neighbors]) for a faster and more "
        "accurate search; set neighbor_algorithm explicitly to silence this "
        "warning.",
        ApproximateNeighborsWarning,
        stacklevel=4,
    )
    return "partition"


def find_neighbors(
    data: torch.Tensor | StreamedRows, n_neighbors: int, algorithm: str, seed: int
) -> torch.Tensor:
    """Each row's ``n_neighbors`` nearest other rows of ``data``, nearest first.

    ``algorithm`` is resolved ("exact", "nndescent" or "partition"); ``seed``
    seeds the approximate searches. The result is on the device of ``data``.
    Streamed rows are searched block by block, among the rows of each block.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster._neighbors import find_neighbors
    >>> find_neighbors(torch.tensor([[0.0], [1.0], [3.0]]), 1, "exact", 0)
    tensor([[1],
            [0],
            [1]])
    """
    if isinstance(data, StreamedRows):
        return _within_blocks(data, n_neighbors, algorithm, seed)
    if algorithm == "exact":
        return nearest_neighbors(data, n_neighbors)
    if algorithm == "partition":
        generator = torch.Generator(device=data.device).manual_seed(seed)
        return partitioned_neighbors(data, n_neighbors, generator)
    return _nndescent(data, n_neighbors, seed)


def _within_blocks(
    data: StreamedRows, n_neighbors: int, algorithm: str, seed: int
) -> torch.Tensor:
    """The neighbours of each row among the rows of its training block.

    Training reads one block at a time, so the neighbour term can only reach
    rows of the block it trains on: each block's graph is searched on its own.
    A block with ``n_neighbors`` rows or fewer repeats its rows' nearest ones.
    """
    found = torch.empty(len(data), n_neighbors, dtype=torch.long, device=data.device)
    for start, stop in data.array.block_bounds():
        _, block = data.load(start, stop)
        if len(block) < 2:
            found[start:stop] = start
            continue
        near = find_neighbors(block, min(n_neighbors, len(block) - 1), algorithm, seed)
        columns = torch.arange(n_neighbors, device=near.device) % near.shape[1]
        found[start:stop] = start + near[:, columns]
    return found


def _nndescent(data: torch.Tensor, n_neighbors: int, seed: int) -> torch.Tensor:
    """pynndescent's graph, without each row itself (duplicates may come first).

    Runs on torch's number of threads and leaves that number as it was:
    numba, which runs pynndescent, resets its own count afterwards through the
    OpenMP runtime it may share with torch, which would change torch's too.
    """
    from pynndescent import NNDescent

    rows = data.detach().cpu().numpy()
    n_threads = torch.get_num_threads()
    try:
        index = NNDescent(
            rows, n_neighbors=n_neighbors + 1, random_state=seed, n_jobs=n_threads
        )
        graph = index.neighbor_graph[0]
    finally:
        torch.set_num_threads(n_threads)
    others = graph != np.arange(len(graph))[:, None]
    # Keep the first n_neighbors entries that are not the row itself.
    order = np.argsort(~others, axis=1, kind="stable")[:, :n_neighbors]
    graph = np.take_along_axis(graph, order, axis=1)
    # A row left with fewer neighbours (marked -1) repeats its nearest one.
    graph = np.where(graph < 0, graph[:, :1], graph)
    return torch.as_tensor(graph, dtype=torch.long).to(data.device)
