"""
Every estimator on the digits, with its embedding
=================================================

Fits k-means on the raw pixels and each skdeepcluster estimator with its
defaults on scikit-learn's 8x8 digits, prints Hungarian-matched accuracy, NMI
and ARI, and draws each estimator's embedding (``transform``, projected to 2-D
with PCA) coloured by the true digit, so you can see which digits each method
separates and which it mixes.

The three autoencoder-based estimators share one pretrained autoencoder
through ``memory``. Run with ``python examples/plot_digits_estimators.py``
(needs the ``plot`` extra); it takes about 6 minutes on two CPU cores, which
is why the documentation shows it without running it. The measured numbers
are in the benchmark results.
"""

import tempfile

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from skdeepcluster import (
    AutoEncoderKMeans,
    DECClustering,
    DMAEClustering,
    GMVAEClustering,
)
from skdeepcluster.metrics import cluster_accuracy
from skdeepcluster.plotting import plot_embedding

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixels to [0, 1]
cache = tempfile.mkdtemp()


def report(name, labels):
    acc = cluster_accuracy(y, labels)
    nmi = normalized_mutual_info_score(y, labels)
    ari = adjusted_rand_score(y, labels)
    print(f"{name:<20} ACC={acc:.3f}  NMI={nmi:.3f}  ARI={ari:.3f}")


report("k-means on pixels", KMeans(10, n_init=20, random_state=0).fit_predict(X))

models = {
    "AutoEncoderKMeans": AutoEncoderKMeans(10, random_state=0, memory=cache),
    "DECClustering": DECClustering(10, random_state=0, memory=cache),
    "DMAEClustering": DMAEClustering(10, random_state=0, memory=cache),
    "GMVAEClustering": GMVAEClustering(10, random_state=0, marginalize=False),
}
fig, axes = plt.subplots(2, 2, figsize=(10, 9), layout="constrained")
for ax, (name, model) in zip(axes.ravel(), models.items(), strict=True):
    model.fit(X)
    report(name, model.labels_)
    plot_embedding(model, X, y, ax=ax, random_state=0, title=name)
fig.suptitle("Embeddings of the digits (PCA), coloured by the true digit")
fig.savefig("digits_estimators.png", dpi=100)
