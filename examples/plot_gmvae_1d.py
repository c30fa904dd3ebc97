"""
GMVAE on one-dimensional data, with its fitted density
======================================================

A seed project clustered millions of single unlabelled values with a Gaussian
mixture VAE. This example does the same on 3,000 values drawn from three
Gaussians of different widths, then draws the histogram of the data, the
density the model assigns (``exp`` of its per-row evidence lower bound, a
lower bound of the density) and the cluster it predicts along the line.

Run with ``python examples/plot_gmvae_1d.py`` (needs the ``plot`` extra); it
takes about 40 seconds on two CPU cores.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import adjusted_rand_score

from skdeepcluster import GMVAEClustering

rng = np.random.RandomState(0)
means, stds, sizes = [-6.0, 0.0, 5.0], [1.0, 0.6, 1.5], [1000, 800, 1200]
parts = zip(means, stds, sizes, strict=True)
X = np.concatenate([rng.normal(m, s, n) for m, s, n in parts]).reshape(-1, 1)
y = np.repeat([0, 1, 2], sizes)

model = GMVAEClustering(
    n_clusters=3,
    hidden_layer_sizes=(32, 32),
    latent_dim=1,
    max_epochs=30,
    random_state=0,
).fit(X)
ari = adjusted_rand_score(y, model.labels_)
print(f"ARI against the generating components: {ari:.3f}")
print(f"mean ELBO per value: {model.score(X):.3f} nats")
# The mixing weights are learned: the generating proportions are 0.33, 0.27, 0.4.
print("mixing weights:", np.round(model.weights_, 3))

grid = np.linspace(X.min() - 1, X.max() + 1, 400).reshape(-1, 1)
density = np.exp(model.score_samples(grid))
clusters = model.predict(grid)

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
ax.hist(X[:, 0], bins=80, density=True, color="0.8", label="data")
ax.plot(grid[:, 0], density, color="black", label="exp(ELBO), model density")
for cluster in range(model.n_clusters):
    inside = clusters == cluster
    ax.fill_between(
        grid[:, 0],
        0,
        density,
        where=inside,
        alpha=0.3,
        label=f"predicted cluster {cluster}",
    )
ax.set_xlabel("x")
ax.set_ylabel("density")
ax.legend()
fig.savefig("gmvae_1d.png", dpi=100)
