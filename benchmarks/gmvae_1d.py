"""GMVAEClustering on millions of one-feature rows: fit time, peak memory, ARI.

The data are a seeded mixture of five 1-D Gaussians of different widths, the
case of a seed project that clustered 5 million unlabelled single values.
The estimator keeps every default unless ``--params`` overrides some, as a
user following the seed would. Examples::

    python benchmarks/gmvae_1d.py                      # 5,000,000 rows, defaults
    python benchmarks/gmvae_1d.py --n 500000 --params '{"max_epochs": 2}'
    python benchmarks/gmvae_1d.py --params '{"batch_size": 4096}'

One JSON line is appended to ``<out>/gmvae_1d.jsonl`` and printed. ``bayes_ari``
is the ARI of the true mixture's own most probable component: the best any
method can do on these overlapping components.
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import time
from pathlib import Path

import numpy as np
import torch
from run import append_record, git_commit
from scipy.stats import norm
from sklearn.metrics import adjusted_rand_score

from skdeepcluster import GMVAEClustering

HERE = Path(__file__).resolve().parent
MEANS = np.array([-12.0, -5.0, 0.0, 4.0, 10.0])
STDS = np.array([1.5, 0.8, 1.0, 0.5, 2.0])
WEIGHTS = np.array([0.3, 0.15, 0.25, 0.1, 0.2])


def make_mixture(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows of the five-component mixture and the component of each."""
    rng = np.random.RandomState(seed)
    components = rng.choice(len(MEANS), size=n, p=WEIGHTS)
    X = rng.normal(MEANS[components], STDS[components])
    return X[:, None], components


def bayes_labels(X: np.ndarray) -> np.ndarray:
    """Most probable generating component of each row under the true mixture."""
    labels = np.empty(X.shape[0], dtype=np.int64)
    for start in range(0, X.shape[0], 1_000_000):
        x = X[start : start + 1_000_000]
        labels[start : start + x.shape[0]] = np.argmax(
            np.log(WEIGHTS) + norm.logpdf(x, MEANS, STDS), axis=1
        )
    return labels


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--params", default="{}", help="other estimator parameters, as JSON"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args(argv)

    X, components = make_mixture(args.n, args.seed)
    params = json.loads(args.params)
    model = GMVAEClustering(
        n_clusters=len(MEANS), random_state=args.seed, device=args.device, **params
    )
    start = time.perf_counter()
    labels = model.fit_predict(X)
    seconds = time.perf_counter() - start
    record = {
        "data": f"1-D mixture of 5 Gaussians [{args.n}]",
        "method": "GMVAEClustering",
        "params": params,
        "seed": args.seed,
        "ari": adjusted_rand_score(components, labels),
        "bayes_ari": adjusted_rand_score(components, bayes_labels(X)),
        "fit_seconds": seconds,
        "peak_rss_gb": peak_rss_gb(),
        "steps": {
            phase: max(h["n_iterations"] for h in model.history_ if h["phase"] == phase)
            for phase in dict.fromkeys(h["phase"] for h in model.history_)
        },
        "n_iter": model.n_iter_,
        "torch_threads": torch.get_num_threads(),
        "date": datetime.date.today().isoformat(),
        "torch": torch.__version__,
        "commit": git_commit(),
    }
    print(json.dumps(record), flush=True)
    append_record(args.out, "gmvae_1d.jsonl", record)


if __name__ == "__main__":
    main()
