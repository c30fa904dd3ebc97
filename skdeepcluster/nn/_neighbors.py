"""Nearest neighbours of rows (exact, or partitioned by k-means) and mutual ones."""

import torch

_CHUNK_ELEMENTS = 2**24


@torch.no_grad()
def nearest_neighbors(x: torch.Tensor, n_neighbors: int) -> torch.Tensor:
    """Indices of each row's ``n_neighbors`` nearest other rows of ``x``.

    Exact euclidean search, on the device of ``x``: the distances are computed
    for a chunk of rows at a time (about 2**24 of them), so memory stays
    bounded while the cost grows with ``n² · n_features``. A row is never its
    own neighbour, even when it has duplicates.

    Parameters
    ----------
    x : torch.Tensor of shape (n, n_features)
        The rows to search among.
    n_neighbors : int
        Neighbours per row, at most ``n - 1``.

    Returns
    -------
    torch.Tensor of shape (n, n_neighbors)
        Row indices of the neighbours, nearest first.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import nearest_neighbors
    >>> nearest_neighbors(torch.tensor([[0.0], [1.0], [3.0], [7.0]]), 2)
    tensor([[1, 2],
            [0, 2],
            [1, 0],
            [2, 1]])
    """
    n = x.shape[0]
    _check_n_neighbors(n_neighbors, n)
    rows = torch.arange(n, device=x.device)
    return _search(x, rows, rows, n_neighbors)


@torch.no_grad()
def partitioned_neighbors(
    x: torch.Tensor,
    n_neighbors: int,
    generator: torch.Generator,
    *,
    cell_rows: int = 2048,
    n_kmeans_iterations: int = 10,
) -> torch.Tensor:
    """Approximate ``n_neighbors`` nearest other rows of each row of ``x``.

    The rows are split into cells of about ``cell_rows`` rows by k-means (its
    centres trained for ``n_kmeans_iterations`` Lloyd iterations on a sample
    of the rows), and each row's neighbours are searched exactly among the
    rows of its cell and the rows whose second-nearest centre is that cell, so
    that rows near a cell's border also find the neighbours across it (an
    inverted-file index that stores each row in its two nearest cells). The
    cost grows with ``n · cell_rows · n_features`` instead of
    ``n² · n_features``; the neighbours missed are those beyond both cells.
    Cells smaller than ``n_neighbors + 1`` rows search all rows.

    Parameters
    ----------
    x : torch.Tensor of shape (n, n_features)
        The rows to search among.
    n_neighbors : int
        Neighbours per row, at most ``n - 1``.
    generator : torch.Generator
        Draws the k-means sample and starting centres; on the device of ``x``.
    cell_rows : int, default=2048
        Rows per cell on average; with ``n <= cell_rows`` the search is exact.
    n_kmeans_iterations : int, default=10
        Lloyd iterations of the k-means that makes the cells.

    Returns
    -------
    torch.Tensor of shape (n, n_neighbors)
        Row indices of the neighbours found, nearest first.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import partitioned_neighbors
    >>> x = torch.randn(1000, 5, generator=torch.Generator().manual_seed(0))
    >>> found = partitioned_neighbors(x, 3, torch.Generator().manual_seed(0),
    ...                               cell_rows=100)
    >>> found.shape
    torch.Size([1000, 3])
    """
    n = x.shape[0]
    _check_n_neighbors(n_neighbors, n)
    n_cells = n // cell_rows
    if n_cells < 2:
        return nearest_neighbors(x, n_neighbors)
    centres = _kmeans_centres(x, n_cells, n_kmeans_iterations, generator)
    two_nearest = _nearest_centres(x, centres, 2)
    # Every row is stored in its two nearest cells and queried in its nearest.
    stored_cell = two_nearest.T.reshape(-1)
    stored_row = torch.arange(n, device=x.device).repeat(2)
    stored_order = torch.argsort(stored_cell, stable=True)
    stored_ends = torch.bincount(stored_cell, minlength=n_cells).cumsum(0).tolist()
    query_order = torch.argsort(two_nearest[:, 0], stable=True)
    query_ends = torch.bincount(two_nearest[:, 0], minlength=n_cells).cumsum(0)
    found = torch.empty(n, n_neighbors, dtype=torch.long, device=x.device)
    all_rows = torch.arange(n, device=x.device)
    query_start = stored_start = 0
    for query_end, stored_end in zip(query_ends.tolist(), stored_ends, strict=True):
        queries = query_order[query_start:query_end]
        stored = stored_row[stored_order[stored_start:stored_end]]
        query_start, stored_start = query_end, stored_end
        if len(queries) == 0:
            continue
        candidates = stored if len(stored) > n_neighbors else all_rows
        found[queries] = _search(x, queries, candidates, n_neighbors)
    return found


def _check_n_neighbors(n_neighbors: int, n: int) -> None:
    if not 0 < n_neighbors < n:
        raise ValueError(
            f"n_neighbors must be between 1 and n - 1 = {n - 1}, got {n_neighbors}."
        )


def _search(
    x: torch.Tensor, queries: torch.Tensor, candidates: torch.Tensor, k: int
) -> torch.Tensor:
    """The ``k`` nearest of the rows ``candidates`` to each row ``queries``.

    Exact, in chunks of queries of about ``_CHUNK_ELEMENTS`` distances; a row
    is never its own neighbour. Returns row indices of ``x``, nearest first.
    """
    pool = x[candidates]
    pool_norms = pool.pow(2).sum(dim=1)
    chunk = max(1, _CHUNK_ELEMENTS // len(candidates))
    found = []
    for start in range(0, len(queries), chunk):
        rows = queries[start : start + chunk]
        block = x[rows]
        distances = (
            block.pow(2).sum(dim=1)[:, None] - 2 * block @ pool.T + pool_norms[None, :]
        )
        distances.masked_fill_(rows[:, None] == candidates[None, :], float("inf"))
        found.append(candidates[distances.topk(k, dim=1, largest=False).indices])
    return torch.cat(found)


def _nearest_centres(x: torch.Tensor, centres: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the ``k`` nearest ``centres`` of each row of ``x``, in chunks."""
    centre_norms = centres.pow(2).sum(dim=1)
    chunk = max(1, _CHUNK_ELEMENTS // len(centres))
    found = []
    for start in range(0, len(x), chunk):
        block = x[start : start + chunk]
        distances = centre_norms[None, :] - 2 * block @ centres.T
        found.append(distances.topk(k, dim=1, largest=False).indices)
    return torch.cat(found)


def _kmeans_centres(
    x: torch.Tensor, n_cells: int, n_iterations: int, generator: torch.Generator
) -> torch.Tensor:
    """k-means centres of a sample of 64 rows per cell; an empty cell keeps its own."""
    n = x.shape[0]
    picked = torch.randperm(n, generator=generator, device=x.device)
    sample = x[picked[: min(n, 64 * n_cells)]]
    centres = sample[:n_cells].clone()
    for _ in range(n_iterations):
        labels = _nearest_centres(sample, centres, 1)[:, 0]
        sums = torch.zeros_like(centres).index_add_(0, labels, sample)
        counts = torch.bincount(labels, minlength=n_cells)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None].to(x.dtype)
    return centres


@torch.no_grad()
def mutual_neighbors(neighbors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each row's mutual neighbours first, and how many it has.

    Row ``j`` is a mutual neighbour of row ``i`` when each is among the other's
    neighbours. A row without one keeps its nearest neighbour, so that every
    row stays joined to the graph (as UMAP joins each point to its nearest
    neighbour).

    Parameters
    ----------
    neighbors : torch.Tensor of shape (n, n_neighbors)
        Row indices of each row's neighbours, nearest first, as returned by
        :func:`nearest_neighbors`.

    Returns
    -------
    neighbors : torch.Tensor of shape (n, n_neighbors)
        The same indices, in each row the mutual ones first, nearest first.
    counts : torch.Tensor of shape (n,)
        How many of the first indices of each row to draw from: its number
        of mutual neighbours, or 1 (its nearest neighbour) when it has none.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import mutual_neighbors, nearest_neighbors
    >>> x = torch.tensor([[0.0], [0.5], [1.0], [2.5], [4.2]])
    >>> nearest_neighbors(x, 2)[3]
    tensor([2, 4])
    >>> ordered, counts = mutual_neighbors(nearest_neighbors(x, 2))
    >>> ordered[3], counts
    (tensor([4, 2]), tensor([2, 2, 2, 1, 1]))
    """
    n = neighbors.shape[0]
    rows = torch.arange(n, device=neighbors.device)[:, None].expand_as(neighbors)
    mutual = torch.isin(neighbors * n + rows, rows * n + neighbors)
    order = torch.argsort((~mutual).to(torch.int8), dim=1, stable=True)
    return neighbors.gather(1, order), mutual.sum(dim=1).clamp(min=1)
