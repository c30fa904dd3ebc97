"""Seconds and ACC of a fit on one process and on a torch.distributed group.

``--n`` MNIST rows (scaled to [0, 1], a seeded sample) are split into as many
contiguous shards as processes. Each process is spawned here with one torch
thread; with more than one they join a gloo group through a file store and
each fits on its shard, as under ``torchrun``; with one, the process fits on
all rows with no group. The seconds are those of ``fit`` on rank 0 (all
processes start it together, after a barrier), not the start-up of the
processes; ACC is of rank 0's model on all rows. On a machine with as many
cores as processes the comparison shows what the communication costs, not a
speed-up (one thread per process either way).

Examples::

    python benchmarks/distributed.py --data ../shared/data/mnist_70k_uint8.npz
    python benchmarks/distributed.py --data mnist.npz --processes 1 2 \\
        --estimators DECClustering AutoEncoderKMeans

One JSON line per fit is appended to ``<out>/distributed.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from run import append_record, git_commit, load, machine

import skdeepcluster
from skdeepcluster.metrics import cluster_accuracy

HERE = Path(__file__).resolve().parent


def fit_on_shard(rank, world_size, store, estimator, params, X, y, results):
    """One process: fit on its shard; rank 0 reports seconds and ACC."""
    torch.set_num_threads(1)
    if world_size > 1:
        dist.init_process_group(
            "gloo", init_method=f"file://{store}", rank=rank, world_size=world_size
        )
        dist.barrier()
    shard = np.array_split(np.arange(len(X)), world_size)[rank]
    model = getattr(skdeepcluster, estimator)(n_clusters=10, **params)
    start = time.perf_counter()
    model.fit(X[shard])
    seconds = time.perf_counter() - start
    if world_size > 1:
        dist.destroy_process_group()
    if rank == 0:
        results.put(
            {
                "fit_seconds": round(seconds, 1),
                "acc": round(cluster_accuracy(y, model.predict(X)), 4),
                "n_iter": model.n_iter_,
                "n_steps": model.n_steps_,
            }
        )


def run(world_size, estimator, params, X, y) -> dict:
    """Spawn ``world_size`` processes fitting ``estimator``; rank 0's report."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store"
        processes = [
            context.Process(
                target=fit_on_shard,
                args=(rank, world_size, store, estimator, params, X, y, results),
            )
            for rank in range(world_size)
        ]
        for process in processes:
            process.start()
        report = results.get()
        for process in processes:
            process.join()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST .npz or IDX folder")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--estimators", nargs="+", default=["DECClustering"])
    parser.add_argument("--params", default="{}", help="JSON; defaults otherwise")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    name, X, y = load(args.data, args.n, args.seed)
    params = {"random_state": args.seed, **json.loads(args.params)}
    for estimator in args.estimators:
        for world_size in args.processes:
            report = run(world_size, estimator, params, X, y)
            record = {
                "data": name,
                "estimator": estimator,
                "params": json.loads(args.params),
                "seed": args.seed,
                "processes": world_size,
                "threads_per_process": 1,
                **report,
                "machine": machine(),
                "commit": git_commit(),
                "date": datetime.date.today().isoformat(),
            }
            print(json.dumps(record), flush=True)
            append_record(args.out, "distributed.jsonl", record)


if __name__ == "__main__":
    main()
