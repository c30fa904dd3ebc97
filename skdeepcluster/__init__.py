"""skdeepcluster: scikit-learn compatible deep clustering estimators on PyTorch."""

from . import datasets, mapping, metrics, plotting
from ._autoencoder_kmeans import AutoEncoderKMeans
from ._base import BaseDeepClusterer
from ._dec import DECClustering
from ._discovery import all_estimators
from ._dmae import DMAEClustering
from ._gmvae import GMVAEClustering
from ._neighbors import ApproximateNeighborsWarning
from ._utils import DeviceWarning

__version__ = "0.1.0.dev0"

__all__ = [
    "ApproximateNeighborsWarning",
    "AutoEncoderKMeans",
    "BaseDeepClusterer",
    "DECClustering",
    "DMAEClustering",
    "DeviceWarning",
    "GMVAEClustering",
    "__version__",
    "all_estimators",
    "datasets",
    "mapping",
    "metrics",
    "plotting",
]
