"""Fast instances of every estimator, for the tests that run over all of them."""

from skdeepcluster import (
    AutoEncoderKMeans,
    DECClustering,
    DMAEClustering,
    GMVAEClustering,
)
from skdeepcluster._autoencoder import BaseAutoencoderClusterer

# Small networks and budgets: enough for the behaviour under test, quick on a CPU.
FAST_AE = {"hidden_layer_sizes": (16,), "latent_dim": 2, "pretrain_epochs": 3}
FAST_GMVAE = {
    "hidden_layer_sizes": (16,),
    "latent_dim": 2,
    "max_epochs": 10,
    "batch_size": 16,
    "learning_rate": 0.01,
    # 100 left the variances wide: 3 blobs of 45 rows were fitted at ARI 0.87.
    "init_iterations": 200,
    # "auto" starts wide pixel rows from an autoencoder of DEC's size: a small one.
    "init_params": AutoEncoderKMeans(n_init=2, **FAST_AE),
}
# DMAE's shallow model: the mixture on the features, no autoencoder.
FAST_SHALLOW_DMAE = {
    "hidden_layer_sizes": (),
    "dissimilarity": "mahalanobis",
    "n_init": 2,
    "max_epochs": 5,
}


# Convolutional networks on rows seen as one-pixel-high images whose width is
# inferred from the number of features, so every check's data fits them.
FAST_CONV = {"image_shape": (1, 1, -1), "conv_channels": (8,)}


def fast_autoencoder_estimators():
    """A new fast instance of each estimator that pretrains an autoencoder."""
    return [
        AutoEncoderKMeans(n_init=2, **FAST_AE),
        DECClustering(n_init=2, max_epochs=3, **FAST_AE),
        DMAEClustering(n_init=2, max_epochs=3, **FAST_AE),
    ]


def fast_estimators():
    """A new fast instance of each estimator (DMAE deep and shallow)."""
    return [
        *fast_autoencoder_estimators(),
        DMAEClustering(**FAST_SHALLOW_DMAE),
        GMVAEClustering(**FAST_GMVAE),
    ]


def fast_conv_estimators():
    """A new fast instance of each estimator with convolutional networks."""
    return [
        AutoEncoderKMeans(n_init=2, **FAST_AE, **FAST_CONV),
        DECClustering(n_init=2, max_epochs=3, **FAST_AE, **FAST_CONV),
        DMAEClustering(n_init=2, max_epochs=3, **FAST_AE, **FAST_CONV),
        GMVAEClustering(**FAST_GMVAE, **FAST_CONV),
    ]


def is_shallow(estimator):
    """Whether ``estimator`` is DMAE's shallow model (no autoencoder)."""
    return (
        isinstance(estimator, DMAEClustering)
        and estimator.image_shape is None
        and len(estimator.hidden_layer_sizes) == 0
    )


def first_phase(estimator):
    """Name and number of epochs of the first training phase of ``estimator``."""
    if is_shallow(estimator):
        return "cluster", estimator.max_epochs
    if isinstance(estimator, BaseAutoencoderClusterer):
        return "pretrain", estimator.pretrain_epochs
    return "train", estimator.max_epochs


def estimator_id(estimator):
    name = type(estimator).__name__
    if estimator.image_shape is not None:
        return f"{name}-conv"
    if is_shallow(estimator):
        return f"{name}-shallow"
    return name
