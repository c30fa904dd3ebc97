"""Time and recall of k-nearest-neighbour graphs: exact, partitioned, libraries.

The pretraining's neighbour term needs each row's ``n_neighbors`` nearest rows
(``neighbor_algorithm``). This script measures, on MNIST rows (tiled with
small noise beyond 70,000), how long each search takes to build the whole
graph and what fraction of the true neighbours it finds (recall, on a sample
of rows whose exact neighbours are computed against all rows): the package's
exact search, its k-means-partitioned search ("partition") and its pynndescent
wrapper ("nndescent"), what ``neighbor_algorithm="auto"`` picks for the size
("auto"), and for comparison pynndescent and faiss's HNSW called directly.
A first call on 500 rows, timed apart, takes each method's one-off
costs (numba's compilation for pynndescent). It is not run by the tests.

Examples::

    python benchmarks/neighbors.py --data ../shared/data/mnist_70k_uint8.npz
    python benchmarks/neighbors.py --data mnist.npz --n 250000 --methods pynndescent
    python benchmarks/neighbors.py --data mnist.npz --n 1000000 \
        --methods partition nndescent

Each measurement is appended as a JSON line to ``<out>/neighbors.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from pathlib import Path

import numpy as np
import torch
from run import append_record, git_commit, machine

from skdeepcluster._neighbors import find_neighbors, resolve_neighbor_algorithm
from skdeepcluster.datasets import load_mnist

HERE = Path(__file__).resolve().parent
N_QUERIES = 1000
PACKAGE_METHODS = ("auto", "exact", "partition", "nndescent")


def rows(path: str, n: int, seed: int) -> np.ndarray:
    """``n`` MNIST rows in [0, 1]; beyond 70,000, copies with N(0, 0.01) noise."""
    X = load_mnist(path).data.astype(np.float32)
    X /= X.max()
    rng = np.random.RandomState(seed)
    if n <= len(X):
        return X[rng.choice(len(X), n, replace=False)]
    tiled = X[np.arange(n) % len(X)]
    for start in range(len(X), n, 100_000):
        block = tiled[start : start + 100_000]
        block += rng.normal(0, 0.01, block.shape).astype(np.float32)
    return tiled


def exact_for(X: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Exact neighbours (self excluded) of the rows ``queries`` among all of ``X``."""
    data = torch.from_numpy(X)
    found = []
    for start in range(0, len(queries), 100):
        q = queries[start : start + 100]
        distances = torch.cdist(data[q], data)
        distances[torch.arange(len(q)), torch.from_numpy(q)] = float("inf")
        found.append(distances.topk(k, largest=False).indices.numpy())
    return np.concatenate(found)


def without_self(indices: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` neighbours of each row other than the row itself."""
    own = np.arange(len(indices))[:, None]
    keep = indices != own
    return np.stack([row[mask][:k] for row, mask in zip(indices, keep, strict=True)])


def graph(method: str, X: np.ndarray, k: int, seed: int) -> np.ndarray:
    if method in PACKAGE_METHODS:
        # The package's own searches, as neighbor_algorithm runs them.
        algorithm = resolve_neighbor_algorithm(method, len(X))
        return find_neighbors(torch.from_numpy(X), k, algorithm, seed).numpy()
    if method == "pynndescent":
        from pynndescent import NNDescent

        index = NNDescent(X, n_neighbors=k + 1, random_state=seed)
        return without_self(index.neighbor_graph[0], k)
    if method == "faiss-hnsw":
        import faiss

        index = faiss.IndexHNSWFlat(X.shape[1], 32)
        index.add(X)
        index.hnsw.efSearch = 64
        return without_self(index.search(X, k + 1)[1], k)
    raise ValueError(f"unknown method {method!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST .npz or IDX folder")
    parser.add_argument("--n", type=int, nargs="*", default=[70000])
    parser.add_argument(
        "--methods", nargs="*", default=["exact", "pynndescent", "faiss-hnsw"]
    )
    parser.add_argument("--n-neighbors", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    k = args.n_neighbors
    for n in args.n:
        X = rows(args.data, n, args.seed)
        queries = np.random.RandomState(args.seed).choice(n, N_QUERIES, replace=False)
        truth = exact_for(X, queries, k)
        for method in args.methods:
            # The first call of a process pays for numba's compilation
            # (pynndescent); it is timed apart from the search, with the
            # algorithm "auto" resolves to for the whole data.
            algorithm = method
            if method in PACKAGE_METHODS:
                algorithm = resolve_neighbor_algorithm(method, n)
            start = time.perf_counter()
            graph(algorithm, X[:500], k, args.seed)
            warmup = time.perf_counter() - start
            start = time.perf_counter()
            found = graph(method, X, k, args.seed)
            seconds = time.perf_counter() - start
            recall = np.mean(
                [
                    len(set(found[q]) & set(t)) / k
                    for q, t in zip(queries, truth, strict=True)
                ]
            )
            record = {
                "n": n,
                "n_features": X.shape[1],
                "n_neighbors": k,
                "method": method,
                "algorithm": algorithm,
                "seconds": round(seconds, 1),
                "warmup_seconds": round(warmup, 1),
                "recall": round(float(recall), 4),
                "machine": machine(),
                "commit": git_commit(),
                "date": datetime.date.today().isoformat(),
            }
            print(json.dumps(record), flush=True)
            append_record(args.out, "neighbors.jsonl", record)


if __name__ == "__main__":
    main()
