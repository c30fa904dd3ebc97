"""Where the seconds of each estimator's ``fit`` go.

Fits each estimator (with every default unless ``--params``) on one data set
and splits the wall time of ``fit`` into exclusive parts, timed by wrapping
the package's steps (a part's seconds exclude the parts it calls, so they add
up to the whole fit):

- ``validation``: ``_validate_for_fit`` (checks, float copies);
- ``upload``: the copy of the data to the training device;
- ``neighbour search``: the pretraining's nearest-neighbour graph;
- ``k-means``: every ``KMeans.fit`` of the fit (all ``n_init`` restarts);
- ``inference passes``: the full-data passes of the fit (``_map_rows``: the
  embedding k-means clusters, DEC's target updates, the labels' pass);
- ``<phase>: forward``, ``<phase>: backward``, ``<phase>: optimizer step``:
  the batch loss, its backward pass and the update of each training phase
  ("pretrain", "cluster", GMVAE's "init" and "train");
- ``<phase>: loop``: the rest of the training loop (batch indexing, records);
- ``fit (rest)``: everything else (building modules, fitted attributes).

Examples::

    python benchmarks/profile_fit.py --data ../shared/data/mnist_70k_uint8.npz \
        --n 10000
    python benchmarks/profile_fit.py --data digits --estimators DECClustering IDEC

One JSON line per (data, estimator, seed) is appended to
``<out>/profile.jsonl``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import json
import time
from collections import defaultdict
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from run import VARIANTS, append_record, git_commit, load, machine
from sklearn.cluster import KMeans

import skdeepcluster._autoencoder as autoencoder_module
import skdeepcluster._base as base_module
from skdeepcluster import _training, all_estimators
from skdeepcluster._base import BaseDeepClusterer
from skdeepcluster.metrics import cluster_accuracy

HERE = Path(__file__).resolve().parent


class ExclusiveTimer:
    """Seconds per named part, each excluding the parts timed inside it."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list] = []  # [name, start of its current stretch]
        self.phase = "fit"

    def enter(self, name: str) -> None:
        now = time.perf_counter()
        if self._stack:
            parent = self._stack[-1]
            self.seconds[parent[0]] += now - parent[1]
        self._stack.append([name, now])
        self.calls[name] += 1

    def leave(self) -> None:
        now = time.perf_counter()
        name, start = self._stack.pop()
        self.seconds[name] += now - start
        if self._stack:
            self._stack[-1][1] = now

    def wrap(self, fn, name):
        """``fn`` timed under ``name`` (a string, or a function of no argument)."""

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            self.enter(name() if callable(name) else name)
            try:
                return fn(*args, **kwargs)
            finally:
                self.leave()

        return timed


@contextlib.contextmanager
def profiled(timer: ExclusiveTimer):
    """Patch the package's steps so that ``timer`` times them."""

    def train(module, data, batch_loss, *, phase, **options):
        previous, timer.phase = timer.phase, phase
        try:
            loss = timer.wrap(batch_loss, f"{phase}: forward")
            return timer.wrap(original_train, f"{phase}: loop")(
                module, data, loss, phase=phase, **options
            )
        finally:
            timer.phase = previous

    def make_optimizer(*args, **kwargs):
        optimizer = original_make_optimizer(*args, **kwargs)
        optimizer.step = timer.wrap(
            optimizer.step, lambda: f"{timer.phase}: optimizer step"
        )
        return optimizer

    original_train = _training.train
    original_make_optimizer = _training.make_optimizer
    patches = [
        mock.patch.object(_training, "train", train),
        mock.patch.object(_training, "make_optimizer", make_optimizer),
        mock.patch.object(
            torch.Tensor,
            "backward",
            timer.wrap(torch.Tensor.backward, lambda: f"{timer.phase}: backward"),
        ),
        mock.patch.object(
            BaseDeepClusterer,
            "_validate_for_fit",
            timer.wrap(BaseDeepClusterer._validate_for_fit, "validation"),
        ),
        mock.patch.object(
            base_module, "to_device", timer.wrap(base_module.to_device, "upload")
        ),
        mock.patch.object(
            autoencoder_module,
            "find_neighbors",
            timer.wrap(autoencoder_module.find_neighbors, "neighbour search"),
        ),
        mock.patch.object(KMeans, "fit", timer.wrap(KMeans.fit, "k-means")),
        mock.patch.object(
            BaseDeepClusterer,
            "_map_rows",
            timer.wrap(BaseDeepClusterer._map_rows, "inference passes"),
        ),
    ]
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="digits", help="'digits' or MNIST path")
    parser.add_argument("--n", type=int, default=None, help="seeded subset size")
    parser.add_argument("--estimators", nargs="*", default=None)
    parser.add_argument("--seeds", nargs="*", type=int, default=[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--params", default="{}", help="JSON of extra parameters")
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    params = json.loads(args.params)
    available = {name: (cls, {}) for name, cls in all_estimators()}
    available.update(VARIANTS)
    names = args.estimators or [*dict(all_estimators()), "IDEC"]
    for seed in args.seeds:
        data_name, X, y = load(args.data, args.n, seed)
        for name in names:
            cls, variant = available[name]
            used = {**variant, **params}
            model = cls(n_clusters=len(np.unique(y)), random_state=seed, **used)
            timer = ExclusiveTimer()
            with profiled(timer):
                timer.enter("fit (rest)")
                start = time.perf_counter()
                model.fit(X)
                seconds = time.perf_counter() - start
                timer.leave()
            parts = {k: round(v, 2) for k, v in sorted(timer.seconds.items())}
            record = {
                "data": data_name,
                "estimator": name,
                "params": used,
                "seed": seed,
                "fit_seconds": round(seconds, 1),
                "parts": parts,
                "calls": dict(sorted(timer.calls.items())),
                "acc": round(cluster_accuracy(y, model.labels_), 4),
                "n_iter": int(model.n_iter_),
                "history_iterations": {
                    phase: max(
                        e["n_iterations"] for e in model.history_ if e["phase"] == phase
                    )
                    for phase in dict.fromkeys(e["phase"] for e in model.history_)
                },
                "torch_threads": torch.get_num_threads(),
                "machine": machine(),
                "commit": git_commit(),
                "date": datetime.date.today().isoformat(),
            }
            print(f"\n{name} on {data_name}, seed {seed}: {seconds:.1f} s")
            for part, value in sorted(parts.items(), key=lambda kv: -kv[1]):
                print(f"  {part:32s} {value:8.2f} s  {value / seconds:6.1%}")
            append_record(args.out, "profile.jsonl", record)


if __name__ == "__main__":
    main()
