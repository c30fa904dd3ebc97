"""Loading a folder of images: seconds and peak memory against the output size.

Writes ``--n`` synthetic 160x160 shape images as PNG files in class folders
(once; reused on later runs), then loads them with
:func:`skdeepcluster.datasets.load_image_folder` in a fresh process and records
the process's peak resident memory above its level before loading, next to
the size of the returned array. Examples::

    python benchmarks/image_folder.py                 # 10,000 images of 160x160
    python benchmarks/image_folder.py --n 1000 --size 64

One JSON line is appended to ``<out>/image_folder.jsonl`` and printed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Peak (ru_maxrss, KiB) after loading minus the resident size just before it
# (VmRSS, KiB): the most memory loading added at any moment. Linux only.
_LOAD = """
import json, resource, sys, time
from skdeepcluster.datasets import load_image_folder
status = open("/proc/self/status").read().split("VmRSS:")[1]
before = int(status.split()[0])
start = time.perf_counter()
images = load_image_folder(sys.argv[1])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"n_images": len(images.data), "image_shape": images.image_shape,
                  "load_seconds": round(seconds, 2),
                  "output_mib": round(images.data.nbytes / 2**20, 1),
                  "peak_rss_above_start_mib": round((peak - before) / 1024, 1)}))
"""


def write_images(folder: Path, n: int, size: int) -> float:
    """Write ``n`` shape images of ``size`` x ``size`` in chunks; return seconds."""
    from skdeepcluster.datasets import make_shapes, save_image_folder

    start = time.perf_counter()
    names = ["circle", "square", "triangle", "cross"]
    chunk = 1000  # bounded memory while writing, too
    for first in range(0, n, chunk):
        X, y = make_shapes(min(chunk, n - first), image_size=size, random_state=first)
        # A class folder per shape and chunk: file names restart in each chunk.
        chunk_names = [f"{name}_{first // chunk}" for name in names]
        save_image_folder(folder, X, (1, size, size), y, class_names=chunk_names)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=160)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()

    folder = args.folder or Path(tempfile.gettempdir()) / f"shapes_{args.n}_{args.size}"
    write_seconds = None
    if not folder.exists():
        write_seconds = round(write_images(folder, args.n, args.size), 1)
    output = subprocess.run(
        [sys.executable, "-c", _LOAD, str(folder)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    record = json.loads(output)
    record.update(
        write_seconds=write_seconds,
        machine=f"{platform.machine()}, {platform.python_version()}",
        date=datetime.date.today().isoformat(),
    )
    args.out.mkdir(exist_ok=True)
    with open(args.out / "image_folder.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")
    print(json.dumps(record))


if __name__ == "__main__":
    main()
