"""Time ``fit`` and score ACC / NMI / ARI for each estimator on a data set.

Examples::

    python benchmarks/run.py --data digits
    python benchmarks/run.py --data ../shared/data/mnist_70k_uint8.npz --n 10000
    python benchmarks/run.py --data digits --estimators AutoEncoderKMeans --seeds 0 1 2
    python benchmarks/run.py --data shapes --params '{"image_shape": [1,32,32]}'
    python benchmarks/run.py --data path/to/mnist.npz --n 10000 --estimators DEC-DA

Each run appends one JSON line per (data, estimator, seed) to
``<out>/results.jsonl`` and rewrites ``<out>/results.md`` from all lines, so the
table accumulates measurements taken on different machines and days.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits

from skdeepcluster import (
    DECClustering,
    DMAEClustering,
    GMVAEClustering,
    all_estimators,
)
from skdeepcluster.datasets import load_mnist, make_shapes
from skdeepcluster.demo import evaluate

HERE = Path(__file__).resolve().parent

# Named settings of an estimator, benchmarked as methods of their own.
VARIANTS = {
    "IDEC": (DECClustering, {"reconstruction_weight": 10.0}),
    # Images only (square greyscale rows, or with image_shape in --params).
    "DEC-DA": (DECClustering, {"augmentation": True}),
    "DMAE-euclidean": (DMAEClustering, {"dissimilarity": "euclidean"}),
    "GMVAE-bernoulli": (GMVAEClustering, {"likelihood": "bernoulli"}),
}


def load(data: str, n: int | None, seed: int) -> tuple[str, np.ndarray, np.ndarray]:
    """``digits``, ``shapes`` or MNIST, as float32 scaled to [0, 1].

    ``shapes`` is :func:`~skdeepcluster.datasets.make_shapes` (32x32, four
    classes, ``n`` images, default 1000) seeded by ``seed``; anything else is a
    path for :func:`~skdeepcluster.datasets.load_mnist`.
    """
    if data == "digits":
        X, y = load_digits(return_X_y=True)
        name = "digits"
    elif data == "shapes":
        X, y = make_shapes(n or 1000, random_state=seed)
        return f"shapes[{n or 1000}]", X, y
    else:
        mnist = load_mnist(data)
        X, y = mnist.data, mnist.target
        name = Path(data).stem
    if n is not None and n < X.shape[0]:
        rows = np.random.RandomState(seed).choice(X.shape[0], n, replace=False)
        X, y = X[rows], y[rows]
        name = f"{name}[{n}]"
    X = X.reshape(X.shape[0], -1).astype(np.float32)
    X /= X.max()
    return name, X, y


def machine() -> str:
    """A short description of where the numbers were taken."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name()
    return f"CPU {platform.machine()}, {torch.get_num_threads()} threads"


def git_commit() -> str:
    """HEAD's short hash, with "+dirty" when the package has uncommitted changes."""
    try:
        commit = subprocess.check_output(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, text=True
        ).strip()
        changes = subprocess.check_output(
            ["git", "status", "--porcelain", "--", "skdeepcluster"],
            cwd=HERE.parent,
            text=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+dirty" if changes.strip() else commit


def append_record(out: str | Path, name: str, record: dict) -> None:
    """Append ``record`` as one JSON line to ``<out>/<name>``, creating ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / name).open("a") as f:
        f.write(json.dumps(record) + "\n")


def write_table(jsonl: Path, markdown: Path) -> None:
    """Rewrite the markdown table from every recorded line."""
    rows = [json.loads(line) for line in jsonl.read_text().splitlines() if line.strip()]
    lines = [
        "# Benchmark results",
        "",
        "Written by `benchmarks/run.py` from `results.jsonl`; ACC is Hungarian-",
        "matched, NMI arithmetic-normalised, `seconds` the wall time of `fit_predict`.",
        "",
        "| data | method | params | seed | ACC | NMI | ARI | seconds | device | commit "
        "| date |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        params = ", ".join(f"{k}={v}" for k, v in r["params"].items()) or "defaults"
        lines.append(
            f"| {r['data']} | {r['method']} | {params} | {r['seed']} "
            f"| {r['acc']:.3f} | {r['nmi']:.3f} | {r['ari']:.3f} | {r['seconds']:.1f} "
            f"| {r['machine']} | "
            f"{r['commit']} | {r['date']} |"
        )
    markdown.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        default="digits",
        help="'digits', 'shapes', or MNIST (.npz with X and y, or IDX folder)",
    )
    parser.add_argument("--n", type=int, default=None, help="seeded subset size")
    parser.add_argument(
        "--estimators", nargs="*", default=None, help="names; default all"
    )
    parser.add_argument("--seeds", nargs="*", type=int, default=[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--params",
        default="{}",
        help="JSON of parameters given to every deep estimator",
    )
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args(argv)

    params = json.loads(args.params)
    available = {name: (cls, {}) for name, cls in all_estimators()}
    available.update(VARIANTS, KMeans=(KMeans, {}))
    names = args.estimators or ["KMeans", *dict(all_estimators()), *VARIANTS]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jsonl = out / "results.jsonl"
    for seed in args.seeds:
        data_name, X, y = load(args.data, args.n, seed)
        n_clusters = len(np.unique(y))
        for name in names:
            cls, variant = available[name]
            if cls is KMeans:
                model, used = KMeans(n_clusters, n_init=20, random_state=seed), {}
            else:
                used = {"device": args.device, **variant, **params}
                model = cls(n_clusters=n_clusters, random_state=seed, **used)
                used.pop("device")
            scores = evaluate(model, X, y)
            record = {
                "data": data_name,
                "method": name,
                "params": used,
                "seed": seed,
                **scores,
                "machine": machine()
                if cls is not KMeans
                else f"CPU, {os.cpu_count()} cores",
                "commit": git_commit(),
                "date": datetime.date.today().isoformat(),
                "python": sys.version.split()[0],
                "torch": torch.__version__,
            }
            print(json.dumps(record), flush=True)
            with jsonl.open("a") as f:
                f.write(json.dumps(record) + "\n")
    write_table(jsonl, out / "results.md")


if __name__ == "__main__":
    main()
