"""Exact nearest-neighbour search on a tensor, in chunks of rows."""

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
