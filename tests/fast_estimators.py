"""Fast instances of every estimator, for the tests that run over all of them."""

from skdeepcluster import AutoEncoderKMeans, DECClustering, GMVAEClustering
from skdeepcluster._base import BaseAutoencoderClusterer

# Small networks and budgets: enough for the behaviour under test, quick on a CPU.
FAST_AE = {"hidden_layer_sizes": (16,), "latent_dim": 2, "pretrain_epochs": 3}
FAST_GMVAE = {
    "hidden_layer_sizes": (16,),
    "latent_dim": 2,
    "max_epochs": 10,
    "batch_size": 16,
    "learning_rate": 0.01,
    "init_iterations": 100,
}


def fast_autoencoder_estimators():
    """A new fast instance of each estimator that pretrains an autoencoder."""
    return [
        AutoEncoderKMeans(n_init=2, **FAST_AE),
        DECClustering(n_init=2, max_epochs=3, **FAST_AE),
    ]


def fast_estimators():
    """A new fast instance of each estimator."""
    return [*fast_autoencoder_estimators(), GMVAEClustering(**FAST_GMVAE)]


def first_phase(estimator):
    """Name and number of epochs of the first training phase of ``estimator``."""
    if isinstance(estimator, BaseAutoencoderClusterer):
        return "pretrain", estimator.pretrain_epochs
    return "train", estimator.max_epochs


def estimator_id(estimator):
    return type(estimator).__name__
