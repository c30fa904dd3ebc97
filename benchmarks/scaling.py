"""Rows → seconds → peak memory of AutoEncoderKMeans with every default.

Fits ``AutoEncoderKMeans(n_clusters=10, random_state=seed)`` (nothing else
set) on ``--n`` MNIST rows in [0, 1], tiled with N(0, 0.01) noise beyond
70,000 (the rows of ``neighbors.py``), held in memory. Records the whole fit's
seconds, the seconds of its neighbour search (timed by wrapping the search the
pretraining calls, so the share it takes as rows grow is visible), the
pretraining epochs the convergence stopping let run, the peak anonymous memory
(``RssAnon``, sampled as in ``streaming.py``) and ACC against the MNIST labels.

Examples::

    python benchmarks/scaling.py --data ../shared/data/mnist_70k_uint8.npz
    python benchmarks/scaling.py --data mnist.npz --n 100000 1000000

One JSON line per fit is appended to ``<out>/scaling.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import time
from pathlib import Path

import numpy as np
import torch
from neighbors import rows
from run import append_record, git_commit, machine
from streaming import PeakAnonymousMemory

import skdeepcluster._autoencoder as autoencoder_module
from skdeepcluster import AutoEncoderKMeans
from skdeepcluster.datasets import load_mnist
from skdeepcluster.metrics import cluster_accuracy

HERE = Path(__file__).resolve().parent


class TimedSearch:
    """Wraps the pretraining's neighbour search and adds up its seconds."""

    def __init__(self):
        self.seconds = 0.0
        self._search = autoencoder_module.find_neighbors

    def __enter__(self):
        @functools.wraps(self._search)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return self._search(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        autoencoder_module.find_neighbors = timed
        return self

    def __exit__(self, *exc):
        autoencoder_module.find_neighbors = self._search


def labels_for(path: str, n: int, seed: int) -> np.ndarray:
    """The MNIST labels of the rows that :func:`neighbors.rows` returns."""
    y = load_mnist(path).target
    if n <= len(y):
        return y[np.random.RandomState(seed).choice(len(y), n, replace=False)]
    return y[np.arange(n) % len(y)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST .npz or IDX folder")
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    for n in args.n:
        X = rows(args.data, n, args.seed)
        y = labels_for(args.data, n, args.seed)
        model = AutoEncoderKMeans(n_clusters=10, random_state=args.seed)
        with PeakAnonymousMemory() as memory, TimedSearch() as search:
            start = time.perf_counter()
            model.fit(X)
            seconds = time.perf_counter() - start
        record = {
            "n": n,
            "n_features": X.shape[1],
            "fit_seconds": round(seconds, 1),
            "neighbor_seconds": round(search.seconds, 1),
            "neighbor_share": round(search.seconds / seconds, 3),
            "neighbor_algorithm": model._neighbor_algorithm,
            "pretrain_epochs_run": model.n_iter_,
            "pretrain_steps": model.n_steps_,
            "stopped_before_budget": model.n_iter_ < model.pretrain_epochs,
            "peak_anonymous_gib": round(memory.gib, 3),
            "data_gib": round(X.nbytes / 2**30, 3),
            "acc": round(cluster_accuracy(y, model.labels_), 4),
            "seed": args.seed,
            "torch_threads": torch.get_num_threads(),
            "machine": machine(),
            "commit": git_commit(),
            "date": datetime.date.today().isoformat(),
        }
        print(json.dumps(record), flush=True)
        append_record(args.out, "scaling.jsonl", record)
        del X


if __name__ == "__main__":
    main()
