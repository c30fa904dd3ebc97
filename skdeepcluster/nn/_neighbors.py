"""Nearest neighbours of rows (exact, searched in chunks) and mutual neighbours."""

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
    if not 0 < n_neighbors < n:
        raise ValueError(
            f"n_neighbors must be between 1 and n - 1 = {n - 1}, got {n_neighbors}."
        )
    squared_norms = x.pow(2).sum(dim=1)
    chunk = max(1, _CHUNK_ELEMENTS // n)
    found = []
    for start in range(0, n, chunk):
        rows = torch.arange(start, min(start + chunk, n), device=x.device)
        distances = (
            squared_norms[rows, None] - 2 * x[rows] @ x.T + squared_norms[None, :]
        )
        distances[torch.arange(len(rows), device=x.device), rows] = float("inf")
        found.append(distances.topk(n_neighbors, dim=1, largest=False).indices)
    return torch.cat(found)


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
