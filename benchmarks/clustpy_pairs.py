"""Side by side with ClustPy at equal epochs and batch: seconds and ACC.

Fits each pair on the same rows in one process, one after the other:
AutoEncoderKMeans and ClustPy's AEC, DECClustering and ClustPy's DEC, IDEC
(``reconstruction_weight=10``, the package's IDEC setting) and ClustPy's
IDEC, with ``--pretrain-epochs`` pretraining and ``--clustering-epochs``
clustering epochs, batch 256, the d-500-500-2000-10 autoencoder, and every
other parameter at its default. The package's estimators run twice: with
every other default (the neighbour term on) and with ``neighbor_weight=0``,
the plain autoencoder ClustPy pretrains, so that both do the same work per
epoch.

ClustPy is a benchmark-only dependency, kept out of the package and of CI (it
needs torchvision, which pulls a CUDA build of torch). In a separate
environment with the package installed::

    pip download --no-deps clustpy==0.0.3
    pip install --no-deps --no-build-isolation clustpy-0.0.3.tar.gz
    pip install tqdm pandas matplotlib  # ClustPy's other imports
    python benchmarks/clustpy_pairs.py --data ../shared/data/mnist_70k_uint8.npz

ClustPy imports torchvision when it is imported, for image transforms and
pretrained ResNet weights that these fits never call; where torchvision is
missing or cannot load next to the CPU build of torch, a stand-in module
with those names is registered first.

One JSON line per fit is appended to ``<out>/clustpy_pairs.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch
from run import append_record, git_commit, load, machine

from skdeepcluster import AutoEncoderKMeans, DECClustering
from skdeepcluster.metrics import cluster_accuracy

HERE = Path(__file__).resolve().parent


def import_clustpy_deep():
    """``clustpy.deep``, with a stand-in torchvision where the real one fails."""
    try:
        importlib.import_module("torchvision")
    except Exception:  # missing, or its compiled operators do not load
        for name in [m for m in sys.modules if m.split(".")[0] == "torchvision"]:
            del sys.modules[name]
        stand_in = {
            name: types.ModuleType(name)
            for name in (
                "torchvision",
                "torchvision.transforms",
                "torchvision.models",
                "torchvision.models._api",
            )
        }
        stand_in["torchvision.models._api"].Weights = type("Weights", (), {})
        stand_in["torchvision.models._api"].WeightsEnum = type("WeightsEnum", (), {})
        stand_in["torchvision"].transforms = stand_in["torchvision.transforms"]
        stand_in["torchvision"].models = stand_in["torchvision.models"]
        sys.modules.update(stand_in)
    return importlib.import_module("clustpy.deep")


def pairs(pretrain: int, clustering: int, seed: int, n_clusters: int):
    """``(pair, library, params, estimator)`` of every fit, pair by pair."""
    deep = import_clustpy_deep()
    common = {"n_clusters": n_clusters, "batch_size": 256, "random_state": seed}
    peer = {**common, "pretrain_epochs": pretrain, "clustering_epochs": clustering}
    ours = {**common, "pretrain_epochs": pretrain}
    refining = {**ours, "max_epochs": clustering}
    package = {
        "AutoEncoderKMeans/AEC": (AutoEncoderKMeans, ours, deep.AEC),
        "DEC/DEC": (DECClustering, refining, deep.DEC),
        "IDEC/IDEC": (
            DECClustering,
            {**refining, "reconstruction_weight": 10.0},
            deep.IDEC,
        ),
    }
    for pair, (cls, params, peer_cls) in package.items():
        yield pair, "clustpy", peer, peer_cls(**peer)
        yield pair, "skdeepcluster", params, cls(**params)
        plain = {**params, "neighbor_weight": 0.0}
        yield pair, "skdeepcluster", plain, cls(**plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="MNIST .npz or IDX folder")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--pretrain-epochs", type=int, default=20)
    parser.add_argument("--clustering-epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    data_name, X, y = load(args.data, args.n, args.seed)
    fits = pairs(
        args.pretrain_epochs, args.clustering_epochs, args.seed, len(np.unique(y))
    )
    for pair, library, params, model in fits:
        start = time.perf_counter()
        labels = model.fit_predict(X)
        seconds = time.perf_counter() - start
        record = {
            "data": data_name,
            "pair": pair,
            "library": library,
            "estimator": type(model).__name__,
            "params": {k: v for k, v in params.items() if k != "random_state"},
            "seed": args.seed,
            "fit_seconds": round(seconds, 1),
            "acc": round(cluster_accuracy(y, labels), 4),
            # Epochs of the last phase (the package's stop on convergence).
            "n_iter": getattr(model, "n_iter_", None),
            "torch_threads": torch.get_num_threads(),
            "machine": machine(),
            "commit": git_commit(),
            "date": datetime.date.today().isoformat(),
        }
        print(json.dumps(record), flush=True)
        append_record(args.out, "clustpy_pairs.jsonl", record)


if __name__ == "__main__":
    main()
