"""
Tuning the cluster phase with GridSearchCV and a shared pretraining
===================================================================

Deep clustering estimators are scikit-learn estimators, so
:class:`~sklearn.model_selection.GridSearchCV` tunes them. Two things make it
practical:

- a scorer: with a few labels, the adjusted Rand index; without, the model's
  own likelihood (``score``) or an internal index;
- ``memory``: the pretrained autoencoder is cached, keyed on the data and the
  pretraining parameters, so the search pretrains once per training set
  instead of once per candidate.

This example searches DEC's reconstruction weight (DEC or IDEC) and Student's t
``alpha`` on the digits, scoring with ARI.

Run with ``python examples/plot_grid_search.py``; it takes about 30 seconds.
"""

import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score, make_scorer
from sklearn.model_selection import GridSearchCV

from skdeepcluster import DECClustering

X, y = load_digits(return_X_y=True)
X = X / 16.0

small_dec = DECClustering(
    n_clusters=10,
    hidden_layer_sizes=(256, 256),
    max_epochs=20,
    random_state=0,
    memory=tempfile.mkdtemp(),
)
search = GridSearchCV(
    small_dec,
    {"reconstruction_weight": [0.0, 10.0], "alpha": [0.5, 1.0]},
    scoring=make_scorer(adjusted_rand_score),
    cv=2,
).fit(X, y)

print("best parameters:", search.best_params_)
print(f"best mean ARI over the folds: {search.best_score_:.3f}")

results = search.cv_results_
labels = [
    f"w={p['reconstruction_weight']:g}, alpha={p['alpha']:g}" for p in results["params"]
]
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.barh(
    labels, results["mean_test_score"], xerr=results["std_test_score"], color="tab:blue"
)
ax.set_xlabel("ARI on held-out folds (mean and std over 2 folds)")
ax.set_xlim(0, 1)
ax.invert_yaxis()
fig.savefig("grid_search.png", dpi=100)

# One cached pretraining per distinct training set: the two folds and the
# refit on all rows, for 2 x 4 + 1 fits.
n_pretrainings = len(list(Path(small_dec.memory).rglob("output.pkl")))
n_fits = 2 * len(results["params"]) + 1
print(f"{n_fits} fits, {n_pretrainings} pretrainings")
