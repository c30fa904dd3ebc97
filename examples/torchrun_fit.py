"""
Fitting on several processes with torchrun
==========================================

Each process started by ``torchrun`` reads its own shard of the rows and calls
``fit`` on it. The estimator sees the process group that ``torchrun`` set up:
gradients are averaged over all shards, every statistic of the data (the
k-means initialisation, DEC's target distribution, the stopping checks) is
computed over all rows, and every process ends with the same fitted
estimator. Rank 0 saves it; it then predicts anywhere, with no process group.

On one machine with two processes::

    torchrun --standalone --nproc-per-node=2 examples/torchrun_fit.py

On two machines with four processes each (run on both, ``HOST`` being the
first machine)::

    torchrun --nnodes=2 --nproc-per-node=4 --rdzv-backend=c10d \\
        --rdzv-endpoint=HOST:29500 examples/torchrun_fit.py

The group uses NCCL when the processes have GPUs and gloo on CPUs.
"""

import argparse

import joblib
import numpy as np
import torch
import torch.distributed as dist
from sklearn.datasets import load_digits

from skdeepcluster import DECClustering
from skdeepcluster.metrics import cluster_accuracy


def main(output: str, pretrain_epochs: int, max_epochs: int) -> None:
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank, world_size = dist.get_rank(), dist.get_world_size()

    # Each process reads its own rows. Here every world_size-th digit; with
    # real data, this process's files, or its slice of a memmap or zarr array
    # (streamed a block at a time, as on one process).
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    shard = slice(rank, None, world_size)

    model = DECClustering(
        n_clusters=10,
        pretrain_epochs=pretrain_epochs,
        max_epochs=max_epochs,
        random_state=0,
    )
    model.fit(X[shard])

    if rank == 0:
        joblib.dump(model, output)
        accuracy = cluster_accuracy(y, model.predict(X))
        print(f"{world_size} processes, ACC on all digits: {accuracy:.3f}")
    dist.destroy_process_group()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="DECClustering under torchrun.")
    parser.add_argument("--output", default="dec_digits.joblib")
    parser.add_argument("--pretrain-epochs", type=int, default=100)
    parser.add_argument("--max-epochs", type=int, default=200)
    args = parser.parse_args()
    main(args.output, args.pretrain_epochs, args.max_epochs)
