"""Plain PyTorch modules and losses used by skdeepcluster's estimators.

Nothing here imports scikit-learn or numpy; every module works on its own.
"""

from . import dissimilarities, losses
from ._assignment import StudentTAssignment, squared_distances
from ._clustering import ClusteringAutoencoder, ScaleAutoencoder
from ._conv import ConvAutoencoder
from ._gmvae import GaussianMixtureVAE
from ._mlp import MLPAutoencoder
from .dissimilarities import DissimilarityMixture

__all__ = [
    "ClusteringAutoencoder",
    "ConvAutoencoder",
    "DissimilarityMixture",
    "GaussianMixtureVAE",
    "MLPAutoencoder",
    "ScaleAutoencoder",
    "StudentTAssignment",
    "dissimilarities",
    "losses",
    "squared_distances",
]
