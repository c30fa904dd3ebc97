"""Deep estimators against their shallow counterparts on low-dimensional data.

Each deep estimator runs with every default; its shallow counterpart is the
model it adds a network to: :class:`~sklearn.cluster.KMeans` (10 restarts)
for AutoEncoderKMeans and DEC, DMAE's own shallow model
(``hidden_layer_sizes=()``, otherwise defaults) for DMAE, and
:class:`~sklearn.mixture.GaussianMixture` (5 restarts) for GMVAE. The data:
three anisotropic and three unequal-variance blobs (1,500 rows, 2-D,
min-max scaled, as scikit-learn's clustering examples make them) and the
iris, wine and breast cancer sets, standardised.

Examples::

    python benchmarks/low_dimensional.py --seeds 0 1 2
    python benchmarks/low_dimensional.py --estimators GMVAEClustering
    python benchmarks/low_dimensional.py --memory cache_dir  # one pretraining

One JSON line per (data, estimator, seed) is appended to
``<out>/low_dimensional.jsonl``: the ARI of both models and the deep fit's
seconds (pretraining included unless ``memory`` is recorded: then only
the first of the autoencoder estimators of a data set and seed pretrains).
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path

import numpy as np
import torch
from run import append_record, git_commit, machine
from sklearn.cluster import KMeans
from sklearn.datasets import load_breast_cancer, load_iris, load_wine, make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skdeepcluster import (
    AutoEncoderKMeans,
    DECClustering,
    DMAEClustering,
    GMVAEClustering,
)

HERE = Path(__file__).resolve().parent


def data_sets():
    """``(name, X, y)`` of each low-dimensional set, as float32."""
    X, y = make_blobs(1500, centers=3, random_state=170)
    X = X @ np.array([[0.6, -0.6], [-0.4, 0.8]])
    yield "anisotropic blobs", MinMaxScaler().fit_transform(X), y
    X, y = make_blobs(1500, centers=3, cluster_std=[1.0, 2.5, 0.5], random_state=170)
    yield "unequal-variance blobs", MinMaxScaler().fit_transform(X), y
    for name, loader in [
        ("iris", load_iris),
        ("wine", load_wine),
        ("breast cancer", load_breast_cancer),
    ]:
        X, y = loader(return_X_y=True)
        yield name, StandardScaler().fit_transform(X), y


def pairs(k: int, seed: int, memory: str | None = None):
    """``(deep, shallow name, shallow)`` estimators for ``k`` clusters.

    ``memory`` caches the autoencoder estimators' pretraining, which they
    share for the same data and seed.
    """
    kmeans = KMeans(k, n_init=10, random_state=seed)
    cached = {"random_state": seed, "memory": memory}
    yield AutoEncoderKMeans(k, **cached), "KMeans", kmeans
    yield DECClustering(k, **cached), "KMeans", kmeans
    shallow_dmae = DMAEClustering(k, hidden_layer_sizes=(), random_state=seed)
    yield DMAEClustering(k, **cached), "shallow DMAE", shallow_dmae
    mixture = GaussianMixture(k, n_init=5, random_state=seed)
    yield GMVAEClustering(k, random_state=seed), "GaussianMixture", mixture


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="*", type=int, default=[0])
    parser.add_argument("--estimators", nargs="*", default=None, help="class names")
    parser.add_argument("--data", nargs="*", default=None, help="set names")
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument(
        "--memory", default=None, help="cache directory of the pretraining"
    )
    args = parser.parse_args(argv)
    for name, X, y in data_sets():
        if args.data is not None and name not in args.data:
            continue
        X = X.astype(np.float32)
        k = len(np.unique(y))
        for seed in args.seeds:
            for deep, shallow_name, shallow in pairs(k, seed, args.memory):
                if args.estimators and type(deep).__name__ not in args.estimators:
                    continue
                start = time.perf_counter()
                labels = deep.fit_predict(X)
                seconds = time.perf_counter() - start
                record = {
                    "data": f"{name} ({X.shape[0]}x{X.shape[1]})",
                    "estimator": type(deep).__name__,
                    "seed": seed,
                    "ari": round(adjusted_rand_score(y, labels), 4),
                    "shallow": shallow_name,
                    "shallow_ari": round(
                        adjusted_rand_score(y, shallow.fit_predict(X)), 4
                    ),
                    "seconds": round(seconds, 1),
                    "memory": args.memory,
                    "torch_threads": torch.get_num_threads(),
                    "machine": machine(),
                    "commit": git_commit(),
                    "date": datetime.date.today().isoformat(),
                }
                print(record, flush=True)
                append_record(args.out, "low_dimensional.jsonl", record)


if __name__ == "__main__":
    main()
