"""Training throughput of the d-500-500-2000-10 autoencoder against its floor.

Three figures in one process, on the same rows, interleaved (``--repeats``
rounds of each) so that drift of the machine hits all alike:

- ``peak``: the machine's float32 matrix-multiply rate (the best of several
  2048 x 2048 products), in GFLOP/s;
- ``minimal``: a hand-written torch loop, the floor any library pays: the
  same network (``MLPAutoencoder``'s layers), ``torch.optim.Adam``, mean
  squared error, one permutation per epoch indexed in batches;
  ``minimal_with_neighbors`` adds the neighbour-embedding term (one random
  neighbour of each row from an exact 10-nearest-neighbour graph, encoded in
  the same pass), the same work as the package's default;
- ``package``: ``AutoEncoderKMeans`` pretraining the same number of epochs
  (``n_iter_no_change=None`` so that both do the same work), without
  (``package``) and with (``package_with_neighbors``) the default neighbour
  term; its pretraining seconds are the loop's (``_training.train``), the
  neighbour search, k-means and the rest of the fit excluded.

Samples per second and GFLOP/s (a training step counted as three forward
passes of 2 FLOPs per weight and row, the neighbour term adding the
encoder's) are written for each, and the package's as a fraction of the
minimal loop doing the same work and of the peak.

Examples::

    python benchmarks/throughput.py --data ../shared/data/mnist_70k_uint8.npz \
        --n 10000 --epochs 5

One JSON line per run is appended to ``<out>/throughput.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import time
from pathlib import Path
from unittest import mock

import torch
from run import append_record, git_commit, load, machine

from skdeepcluster import AutoEncoderKMeans, _training
from skdeepcluster.nn import MLPAutoencoder, nearest_neighbors
from skdeepcluster.nn.losses import neighbor_embedding_loss

HERE = Path(__file__).resolve().parent
HIDDEN = (500, 500, 2000)
LATENT = 10
BATCH = 256


def matmul_peak(size: int = 2048, repeats: int = 10) -> float:
    """Best float32 GFLOP/s of ``size``-square matrix products."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def minimal_loop(
    X: torch.Tensor, epochs: int, seed: int, neighbors: torch.Tensor | None = None
) -> float:
    """Seconds of ``epochs`` epochs of a plain torch training loop.

    With ``neighbors`` (a k-nearest-neighbour graph of ``X``), each batch adds
    the package's neighbour-embedding term at its default weight, for one
    random neighbour of each row encoded in the same pass: the same work as
    the package's default pretraining.
    """
    torch.manual_seed(seed)
    model = MLPAutoencoder(X.shape[1], HIDDEN, LATENT)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _ in range(epochs):
        for index in torch.randperm(len(X)).split(BATCH):
            batch = X[index]
            if neighbors is None:
                loss = (model(batch) - batch).pow(2).mean()
            else:
                pick = torch.randint(neighbors.shape[1], (len(index),))
                rows = torch.cat([batch, X[neighbors[index, pick]]])
                z, z_neighbors = model.encode(rows).split(len(index))
                negatives = torch.randint(len(index), (len(index), 5))
                loss = (model.decode(z) - batch).pow(2).mean() + 0.1 * (
                    neighbor_embedding_loss(z, z_neighbors, negatives)
                )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return time.perf_counter() - start


def package_pretraining(X, epochs: int, seed: int, neighbor_weight: float) -> float:
    """Seconds AutoEncoderKMeans spends in its pretraining loop."""
    seconds = 0.0
    original = _training.train

    def timed(*args, **kwargs):
        nonlocal seconds
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds += time.perf_counter() - start

    model = AutoEncoderKMeans(
        n_clusters=10,
        hidden_layer_sizes=HIDDEN,
        latent_dim=LATENT,
        batch_size=BATCH,
        pretrain_epochs=epochs,
        n_iter_no_change=None,
        neighbor_weight=neighbor_weight,
        random_state=seed,
    )
    with mock.patch.object(_training, "train", timed):
        model.fit(X)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST .npz or IDX folder")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data_name, X, _ = load(args.data, args.n, 0)
    X_tensor = torch.from_numpy(X)
    sizes = [X.shape[1], *HIDDEN, LATENT]
    # A training step costs about three forward passes of 2 FLOPs per weight
    # and row: the encoder and its mirror, and the encoder again for the
    # neighbours.
    encoder = sum(a * b for a, b in itertools.pairwise(sizes))
    flops = {
        "minimal": 3 * 2 * 2 * encoder,
        "package": 3 * 2 * 2 * encoder,
        "minimal_with_neighbors": 3 * 2 * 3 * encoder,
        "package_with_neighbors": 3 * 2 * 3 * encoder,
    }
    rows = args.n * args.epochs
    graph = nearest_neighbors(X_tensor, 10)
    timings: dict[str, list[float]] = {
        "minimal": [],
        "package": [],
        "minimal_with_neighbors": [],
        "package_with_neighbors": [],
    }
    peak = 0.0
    minimal_loop(X_tensor[: 4 * BATCH], 1, 0)  # warm-up
    for repeat in range(args.repeats):
        peak = max(peak, matmul_peak())
        timings["minimal"].append(minimal_loop(X_tensor, args.epochs, repeat))
        timings["package"].append(package_pretraining(X, args.epochs, repeat, 0.0))
        timings["minimal_with_neighbors"].append(
            minimal_loop(X_tensor, args.epochs, repeat, graph)
        )
        timings["package_with_neighbors"].append(
            package_pretraining(X, args.epochs, repeat, 0.1)
        )
    best = {name: min(values) for name, values in timings.items()}
    record = {
        "data": data_name,
        "epochs": args.epochs,
        "batch_size": BATCH,
        "network": f"d-{'-'.join(map(str, HIDDEN))}-{LATENT}",
        "peak_gflops": round(peak, 1),
        "seconds": {k: [round(v, 2) for v in vs] for k, vs in timings.items()},
        "samples_per_second": {k: round(rows / v) for k, v in best.items()},
        "gflops": {k: round(rows * flops[k] / v / 1e9, 1) for k, v in best.items()},
        "fraction_of_minimal": {
            "package": round(best["minimal"] / best["package"], 3),
            "package_with_neighbors": round(
                best["minimal_with_neighbors"] / best["package_with_neighbors"], 3
            ),
        },
        "fraction_of_peak": {
            k: round(rows * flops[k] / v / 1e9 / peak, 3) for k, v in best.items()
        },
        "torch_threads": torch.get_num_threads(),
        "machine": machine(),
        "commit": git_commit(),
        "date": datetime.date.today().isoformat(),
    }
    print(json.dumps(record, indent=1))
    append_record(args.out, "throughput.jsonl", record)


if __name__ == "__main__":
    main()
