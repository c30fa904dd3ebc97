"""
AutoEncoderKMeans on the digits
===============================

Pretrain a dense autoencoder on scikit-learn's 8x8 digits, run k-means on its
10-dimensional embedding, and compare with k-means on the raw pixels. The
embedding is projected to 2-D with PCA and coloured by cluster.

Run with ``python examples/plot_digits_autoencoder_kmeans.py`` (needs the
``plot`` extra for the figure).
"""

import matplotlib.pyplot as plt
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from skdeepcluster import AutoEncoderKMeans
from skdeepcluster.metrics import cluster_accuracy

X, y = load_digits(return_X_y=True)
X = X / 16.0

raw = KMeans(10, n_init=20, random_state=0).fit_predict(X)
model = AutoEncoderKMeans(n_clusters=10, random_state=0, verbose=1).fit(X)
print(f"k-means on pixels:     ACC={cluster_accuracy(y, raw):.3f}")
print(f"AutoEncoderKMeans:     ACC={cluster_accuracy(y, model.labels_):.3f}")

embedding_2d = PCA(2).fit_transform(model.transform(X))
fig, ax = plt.subplots(figsize=(6, 5))
points = ax.scatter(*embedding_2d.T, c=model.labels_, cmap="tab10", s=6)
ax.set_title("AutoEncoderKMeans embedding (PCA), coloured by cluster")
fig.colorbar(points, ax=ax, label="cluster")
fig.savefig("digits_autoencoder_kmeans.png", dpi=120)
