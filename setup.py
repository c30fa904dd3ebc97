"""Installation script for skdeepcluster."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(
    r'^__version__ = "([^"]+)"',
    (HERE / "skdeepcluster" / "__init__.py").read_text(),
    re.MULTILINE,
).group(1)

EXTRAS = {
    "progress": ["tqdm>=4.60"],
    "plot": ["matplotlib>=3.6"],
    "images": ["Pillow>=9.0"],
    "neighbors": ["pynndescent>=0.5"],
    # Parallel inference and model search on a Dask cluster (Scaling out).
    "dask": ["dask[array]>=2023.1", "distributed>=2023.1", "dask-ml>=2023.3"],
}
EXTRAS["test"] = [
    "pytest>=7.0",
    "ruff>=0.5",
    *EXTRAS["progress"],
    *EXTRAS["plot"],
    *EXTRAS["images"],
    *EXTRAS["neighbors"],
    *EXTRAS["dask"],
    # Out-of-core arrays the estimators stream (tests/test_streaming.py).
    "h5py>=3.8",
    "zarr>=2.14",
]
EXTRAS["doc"] = [
    "sphinx>=7.0",
    "pydata-sphinx-theme>=0.15",
    "numpydoc>=1.6",
    "sphinx-gallery>=0.15",
    *EXTRAS["plot"],
    *EXTRAS["images"],
]
EXTRAS["all"] = sorted({req for reqs in EXTRAS.values() for req in reqs})

setup(
    name="skdeepcluster",
    version=VERSION,
    description="scikit-learn compatible deep clustering estimators backed by PyTorch",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="BSD-3-Clause",
    packages=find_packages(include=["skdeepcluster", "skdeepcluster.*"]),
    python_requires=">=3.10",
    install_requires=[
        "numpy>=1.23",
        "scipy>=1.9",
        "scikit-learn>=1.6",
        "joblib>=1.2",
        "torch>=2.1",
    ],
    extras_require=EXTRAS,
    classifiers=[
        "Programming Language :: Python :: 3",
        "Intended Audience :: Science/Research",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
        "License :: OSI Approved :: BSD License",
    ],
)
