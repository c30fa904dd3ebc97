"""Plain PyTorch modules and losses used by skdeepcluster's estimators.

Nothing here imports scikit-learn or numpy; every module works on its own.
"""

from . import dissimilarities, losses
from ._assignment import StudentTAssignment, squared_distances
from ._augment import random_affine
from ._clustering import ClusteringAutoencoder, ScaleAutoencoder
from ._conv import ConvAutoencoder, ConvDecoder, ConvEncoder, conv_channels_for
from ._gmvae import GaussianMixtureVAE
from ._mlp import MLPAutoencoder
from ._neighbors import mutual_neighbors, nearest_neighbors, partitioned_neighbors
from .dissimilarities import DissimilarityMixture

__all__ = [
    "ClusteringAutoencoder",
    "ConvAutoencoder",
    "ConvDecoder",
    "ConvEncoder",
    "DissimilarityMixture",
    "GaussianMixtureVAE",
    "MLPAutoencoder",
    "ScaleAutoencoder",
    "StudentTAssignment",
    "conv_channels_for",
    "dissimilarities",
    "losses",
    "mutual_neighbors",
    "nearest_neighbors",
    "partitioned_neighbors",
    "random_affine",
    "squared_distances",
]
