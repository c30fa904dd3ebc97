"""Fitting from a memmap: anonymous memory, throughput against memory, labels.

Writes ``--n`` MNIST rows (tiled with N(0, 0.01) noise beyond 70,000) as a
float32 :class:`numpy.memmap` file, block by block, and drops it from the page
cache. Then AutoEncoderKMeans is fitted from the memmap while a thread samples
the process's anonymous memory (``RssAnon``: what the process holds itself,
not the page cache that reading the file fills), and again from the same rows
loaded into memory. Throughput is rows trained per second of the whole fit;
ACC is against the MNIST labels of the rows.
The budget is short (one pretraining epoch, without convergence stopping, so
both fits train on the same number of rows) and the neighbour term is off, so
that both fits do the same work and only the reading differs.

Examples::

    python benchmarks/streaming.py --data ../shared/data/mnist_70k_uint8.npz
    python benchmarks/streaming.py --data mnist.npz --n 100000 --dir /tmp

One JSON line per fit is appended to ``<out>/streaming.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import threading
import time
from pathlib import Path

import numpy as np
import torch
from run import append_record, git_commit, machine

from skdeepcluster import AutoEncoderKMeans
from skdeepcluster.datasets import load_mnist
from skdeepcluster.metrics import cluster_accuracy

HERE = Path(__file__).resolve().parent
SHORT_BUDGET = {
    "hidden_layer_sizes": [256],
    "pretrain_epochs": 1,
    "n_iter_no_change": None,
    "neighbor_weight": 0.0,
    "n_init": 1,
}


def write_memmap(path: Path, data: str, n: int, seed: int) -> np.memmap:
    """``n`` MNIST rows in [0, 1] written to ``path`` 100,000 at a time."""
    X = load_mnist(data).data.astype(np.float32) / 255.0
    rng = np.random.RandomState(seed)
    rows = np.memmap(path, dtype=np.float32, mode="w+", shape=(n, X.shape[1]))
    for start in range(0, n, 100_000):
        index = np.arange(start, min(start + 100_000, n))
        block = X[index % len(X)]
        noisy = index >= len(X)
        block[noisy] += rng.normal(0, 0.01, block[noisy].shape).astype(np.float32)
        rows[start : start + len(block)] = block
    rows.flush()
    del rows
    evict(path)
    return np.memmap(path, dtype=np.float32, mode="r", shape=(n, X.shape[1]))


def evict(path: Path) -> None:
    """Drop the file's pages from the page cache, so that the fit reads it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


class PeakAnonymousMemory:
    """Samples ``RssAnon`` of this process every 50 ms while in the block."""

    def __enter__(self):
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("RssAnon:"):
                        self.peak_kib = max(self.peak_kib, int(line.split()[1]))
            self._stop.wait(0.05)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def gib(self) -> float:
        return self.peak_kib / 2**20


def fit(X, params: dict, seed: int) -> tuple[AutoEncoderKMeans, float, float]:
    """The fitted model, its seconds and the peak anonymous memory in GiB."""
    model = AutoEncoderKMeans(n_clusters=10, random_state=seed, **params)
    with PeakAnonymousMemory() as memory:
        start = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - start
    return model, seconds, memory.gib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST .npz or IDX folder")
    parser.add_argument("--n", type=int, default=2_500_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", default="/tmp", help="where the memmap is written")
    parser.add_argument("--params", default=json.dumps(SHORT_BUDGET))
    parser.add_argument("--skip-in-memory", action="store_true")
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    params = json.loads(args.params)
    path = Path(args.dir) / f"skdeepcluster-rows-{args.n}.f32"
    rows = write_memmap(path, args.data, args.n, args.seed)
    digits = load_mnist(args.data).target
    y = digits[np.arange(args.n) % len(digits)]
    try:
        sources = ["memmap"] if args.skip_in_memory else ["memmap", "in-memory"]
        labels = {}
        for source in sources:
            X = rows if source == "memmap" else np.array(rows)
            model, seconds, anonymous_gib = fit(X, params, args.seed)
            labels[source] = model.labels_
            record = {
                "n": args.n,
                "n_features": X.shape[1],
                "source": source,
                "params": params,
                "fit_seconds": round(seconds, 1),
                "rows_per_second": round(args.n * model.n_iter_ / seconds),
                "peak_anonymous_gib": round(anonymous_gib, 3),
                "data_gib": round(rows.nbytes / 2**30, 2),
                "n_steps": model.n_steps_,
                "acc": round(cluster_accuracy(y, model.labels_), 4),
                "torch_threads": torch.get_num_threads(),
                "machine": machine(),
                "commit": git_commit(),
                "date": datetime.date.today().isoformat(),
            }
            if len(labels) == 2:
                record["labels_equal"] = bool(
                    np.array_equal(labels["memmap"], labels["in-memory"])
                )
            print(json.dumps(record), flush=True)
            append_record(args.out, "streaming.jsonl", record)
            del X
    finally:
        path.unlink()


if __name__ == "__main__":
    main()
