"""Plain PyTorch modules and losses used by skdeepcluster's estimators.

Nothing here imports scikit-learn or numpy; every module works on its own.
"""

from . import losses
from ._assignment import StudentTAssignment, squared_distances
from ._clustering import ClusteringAutoencoder
from ._conv import ConvAutoencoder
from ._gmvae import GaussianMixtureVAE
from ._mlp import MLPAutoencoder

__all__ = [
    "ClusteringAutoencoder",
    "ConvAutoencoder",
    "GaussianMixtureVAE",
    "MLPAutoencoder",
    "StudentTAssignment",
    "losses",
    "squared_distances",
]
