"""Evaluation of clusterings against known classes.

Cluster ids are arbitrary, so accuracy needs a matching between clusters and
classes. :func:`cluster_accuracy` uses the one-to-one (Hungarian) matching that
maximises the number of correctly matched samples, the "unsupervised clustering
accuracy" of DEC, IDEC, DMAE and most of the deep clustering literature. NMI and
ARI are available from :mod:`sklearn.metrics`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import linear_sum_assignment
from sklearn.utils import check_consistent_length, column_or_1d

__all__ = ["cluster_accuracy", "cluster_class_mapping"]


def _matching(y_true: ArrayLike, y_pred: ArrayLike):
    """Hungarian matching of cluster ids to classes on a padded contingency table."""
    y_true = column_or_1d(y_true, warn=True)
    y_pred = column_or_1d(y_pred, warn=True)
    check_consistent_length(y_true, y_pred)
    if y_true.shape[0] == 0:
        raise ValueError("y_true and y_pred must not be empty.")
    classes, true_index = np.unique(y_true, return_inverse=True)
    clusters, pred_index = np.unique(y_pred, return_inverse=True)
    size = max(len(classes), len(clusters))
    contingency = np.zeros((size, size), dtype=np.int64)
    np.add.at(contingency, (pred_index, true_index), 1)
    rows, cols = linear_sum_assignment(contingency, maximize=True)
    return classes, clusters, contingency, rows, cols


def cluster_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Unsupervised clustering accuracy with the best one-to-one matching.

    Builds the contingency table of clusters against classes, padded to a square
    so that extra clusters (or classes) stay unmatched, and solves the linear
    assignment problem that maximises the matched count. Unmatched clusters count
    as errors. Labels may be of any type (integers, strings) and need not be
    contiguous.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Known classes.
    y_pred : array-like of shape (n_samples,)
        Cluster labels.

    Returns
    -------
    accuracy : float
        Fraction of samples whose cluster is matched to their class, in [0, 1].

    See Also
    --------
    cluster_class_mapping : the matching itself.
    sklearn.metrics.normalized_mutual_info_score
    sklearn.metrics.adjusted_rand_score

    Examples
    --------
    >>> from skdeepcluster.metrics import cluster_accuracy
    >>> cluster_accuracy(["a", "a", "b", "b"], [1, 1, 0, 2])
    0.75
    """
    _, _, contingency, rows, cols = _matching(y_true, y_pred)
    return float(contingency[rows, cols].sum() / contingency.sum())


def cluster_class_mapping(y_true: ArrayLike, y_pred: ArrayLike) -> dict:
    """The cluster -> class matching that :func:`cluster_accuracy` scores.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Known classes.
    y_pred : array-like of shape (n_samples,)
        Cluster labels.

    Returns
    -------
    mapping : dict
        Maps each cluster label to its matched class. Clusters left unmatched
        (there are more clusters than classes) are absent.

    Examples
    --------
    >>> from skdeepcluster.metrics import cluster_class_mapping
    >>> mapping = cluster_class_mapping(["a", "a", "b", "b"], [1, 1, 0, 2])
    >>> {int(k): str(v) for k, v in mapping.items()}
    {0: 'b', 1: 'a'}
    """
    classes, clusters, _, rows, cols = _matching(y_true, y_pred)
    return {
        clusters[r].item(): classes[c].item()
        for r, c in zip(rows, cols, strict=True)
        if r < len(clusters) and c < len(classes)
    }
