"""Accuracy against seconds during one fit: when does each estimator get there?

Fits an estimator (every default unless ``--params``) and, every ``--every``
iterations of each training phase, stops the clock and scores the model as
it stands: during pretraining, k-means (``n_init`` restarts, as the fit's own)
on the embedding of all rows; during a cluster phase, the argmax of the
module's cluster probabilities (layer-wise pretraining stages are not
scored). The clock excludes these evaluations, so
``seconds`` is the fit's own time up to that point. The last point is the
fitted estimator's ``labels_``. From the curve, ``seconds_to_final`` is the
first point whose ACC is within ``--margin`` of the final one.

Examples::

    python benchmarks/time_to_quality.py --data ../shared/data/mnist_70k_uint8.npz \
        --n 10000 --estimators DECClustering DMAEClustering

One JSON line per (data, estimator, seed) is appended to
``<out>/time_to_quality.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from run import VARIANTS, append_record, git_commit, load, machine
from sklearn.cluster import KMeans

from skdeepcluster import _training, all_estimators
from skdeepcluster.metrics import cluster_accuracy

HERE = Path(__file__).resolve().parent


class Curve:
    """ACC of the model in training every ``every`` iterations, off the clock."""

    def __init__(self, model, X, y, every: int):
        self.model = model
        self.n_init = getattr(model, "n_init", 10)
        self.X = torch.from_numpy(np.asarray(X, dtype=np.float32))
        self.y = y
        self.every = every
        self.points: list[dict] = []
        self.excluded = 0.0
        self.start = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.start - self.excluded

    def score(self, module, phase: str, iteration: int) -> None:
        paused = time.perf_counter()
        was_training = module.training
        module.eval()
        with torch.inference_mode():
            if phase == "pretrain":
                z = torch.cat([module.encode(x) for x in self.X.split(4096)])
                labels = KMeans(
                    len(np.unique(self.y)), n_init=self.n_init, random_state=0
                ).fit_predict(z.double().numpy())
            else:
                proba = torch.cat(
                    [self.model._proba_tensor(module, x) for x in self.X.split(4096)]
                )
                labels = proba.argmax(1).numpy()
        module.train(was_training)
        acc = cluster_accuracy(self.y, labels)
        self.excluded += time.perf_counter() - paused
        self.points.append(
            {
                "phase": phase,
                "iteration": iteration,
                "seconds": round(self.seconds(), 1),
                "acc": round(acc, 4),
            }
        )

    def train(self, original):
        """``_training.train`` that scores every ``every`` iterations."""

        def train(module, data, batch_loss, *, phase, **options):
            iteration = 0

            def scored(batch, indices):
                nonlocal iteration
                if iteration % self.every == 0 and not phase.startswith("pretrain-"):
                    self.score(module, phase, iteration)
                iteration += 1
                return batch_loss(batch, indices)

            return original(module, data, scored, phase=phase, **options)

        return train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="digits", help="'digits' or MNIST path")
    parser.add_argument("--n", type=int, default=None, help="seeded subset size")
    parser.add_argument("--estimators", nargs="*", default=["DECClustering"])
    parser.add_argument("--seeds", nargs="*", type=int, default=[0])
    parser.add_argument("--every", type=int, default=200, help="iterations")
    parser.add_argument("--margin", type=float, default=0.01)
    parser.add_argument("--params", default="{}", help="JSON of extra parameters")
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    params = json.loads(args.params)
    available = {name: (cls, {}) for name, cls in all_estimators()}
    available.update(VARIANTS)
    for seed in args.seeds:
        data_name, X, y = load(args.data, args.n, seed)
        for name in args.estimators:
            cls, variant = available[name]
            used = {**variant, **params}
            model = cls(n_clusters=len(np.unique(y)), random_state=seed, **used)
            curve = Curve(model, X, y, args.every)
            with mock.patch.object(_training, "train", curve.train(_training.train)):
                model.fit(X)
            final = cluster_accuracy(y, model.labels_)
            curve.points.append(
                {
                    "phase": "fitted",
                    "iteration": None,
                    "seconds": round(curve.seconds(), 1),
                    "acc": round(final, 4),
                }
            )
            reached = next(p for p in curve.points if p["acc"] >= final - args.margin)
            record = {
                "data": data_name,
                "estimator": name,
                "params": used,
                "seed": seed,
                "fit_seconds": curve.points[-1]["seconds"],
                "final_acc": round(final, 4),
                "seconds_to_final": reached["seconds"],
                "reached_in": f"{reached['phase']} iteration {reached['iteration']}",
                "margin": args.margin,
                "curve": curve.points,
                "torch_threads": torch.get_num_threads(),
                "machine": machine(),
                "commit": git_commit(),
                "date": datetime.date.today().isoformat(),
            }
            print(json.dumps({k: v for k, v in record.items() if k != "curve"}))
            for point in curve.points:
                print("   ", point)
            append_record(args.out, "time_to_quality.jsonl", record)


if __name__ == "__main__":
    main()
