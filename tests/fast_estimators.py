"""Fast instances of every estimator, for the tests that run over all of them."""

from skdeepcluster import AutoEncoderKMeans, DECClustering

# Small networks and budgets: enough for the behaviour under test, quick on a CPU.
FAST_AE = {"hidden_layer_sizes": (16,), "latent_dim": 2, "pretrain_epochs": 3}


def fast_estimators():
    """A new fast instance of each estimator."""
    return [
        AutoEncoderKMeans(n_init=2, **FAST_AE),
        DECClustering(n_init=2, max_epochs=3, **FAST_AE),
    ]


def estimator_id(estimator):
    return type(estimator).__name__
