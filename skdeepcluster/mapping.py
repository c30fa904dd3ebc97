"""Name clusters after known classes, from a few labelled reference samples."""

from __future__ import annotations

import warnings
from numbers import Integral, Number

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._utils import HasMethods, _fit_context

__all__ = ["ClusterLabelMapper"]


class ClusterLabelMapper(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Map the clusters of a fitted clusterer to class names by majority vote.

    A handful of labelled reference samples is enough: each is assigned to a
    cluster by ``estimator.predict``, and each cluster takes the class most of
    its reference samples have. The clusterer itself is not refitted, so the
    mapper composes with any fitted clusterer or :class:`~sklearn.pipeline.Pipeline`
    ending in one; more clusters than classes is fine (several clusters then
    map to one class).

    Two cases are reported rather than hidden. A cluster that no reference
    sample falls in cannot be named: its samples are predicted as
    ``unmatched_label``, it is listed in ``unmatched_clusters_`` and a warning
    says so. A cluster whose vote is tied takes, among the tied classes, the
    one whose reference samples the cluster holds with the highest total
    probability (``estimator.predict_proba``; the first in sorted order when
    the estimator has none); it is listed in ``tied_clusters_`` and a warning
    says so.

    Parameters
    ----------
    estimator : fitted clusterer or Pipeline
        Has ``predict`` returning cluster ids ``0 .. n_clusters - 1``; it is used
        as fitted and never refitted.
    unmatched_label : str, number or None, default=None
        Prediction for samples in a cluster without reference samples. It must
        be of the same kind (string or number) as the reference labels, so that
        predictions form one plain array. None is "unknown" for string labels
        and -1 for numbers (the integer labels of
        :func:`~skdeepcluster.datasets.load_image_folder`, for example); the
        value used is ``unmatched_label_``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The reference classes, sorted.
    mapping_ : dict
        Cluster id -> class, for the clusters that hold reference samples.
    votes_ : ndarray of shape (n_clusters, n_classes)
        Number of reference samples of each class in each cluster.
    unmatched_clusters_ : list of int
        Clusters without reference samples.
    tied_clusters_ : list of int
        Clusters whose majority vote was tied.
    unmatched_label_ : str or number
        The prediction for samples in unmatched clusters.

    See Also
    --------
    skdeepcluster.metrics.cluster_accuracy : The same mapping found with the
        Hungarian method when every sample is labelled.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.cluster import KMeans
    >>> from skdeepcluster.mapping import ClusterLabelMapper
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1], [9.9], [10.0]])
    >>> kmeans = KMeans(3, n_init=3, random_state=0).fit(X)
    >>> mapper = ClusterLabelMapper(kmeans).fit([[0.05], [5.05], [10.0]],
    ...                                         ["low", "mid", "high"])
    >>> mapper.predict([[0.2], [9.0]]).tolist()
    ['low', 'high']
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["predict"])],
        "unmatched_label": [str, Number, None],
    }

    def __init__(self, estimator, *, unmatched_label: str | float | None = None):
        self.estimator = estimator
        self.unmatched_label = unmatched_label

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y) -> ClusterLabelMapper:
        """Learn the cluster -> class mapping from labelled reference samples.

        Parameters
        ----------
        X : array-like of shape (n_references, n_features)
            Reference samples, in the form ``estimator.predict`` takes.
        y : array-like of shape (n_references,)
            Their classes.

        Returns
        -------
        self : ClusterLabelMapper
            The fitted mapper.
        """
        self._check_estimator_is_fitted()
        y = column_or_1d(y, warn=True)
        clusters = self._clusters(X)
        if len(clusters) != len(y):
            raise ValueError(f"X has {len(clusters)} samples but y has {len(y)}.")
        self.classes_, y_index = np.unique(y, return_inverse=True)
        self.unmatched_label_ = self._resolve_unmatched_label()
        n_clusters = max(self._n_clusters(), int(clusters.max()) + 1)
        self.votes_ = np.zeros((n_clusters, len(self.classes_)), dtype=np.int64)
        np.add.at(self.votes_, (clusters, y_index), 1)

        proba = None
        if hasattr(self.estimator, "predict_proba"):
            proba = np.asarray(self.estimator.predict_proba(X))
        self.mapping_, self.unmatched_clusters_, self.tied_clusters_ = {}, [], []
        for cluster, votes in enumerate(self.votes_):
            if votes.sum() == 0:
                self.unmatched_clusters_.append(cluster)
                continue
            tied = np.flatnonzero(votes == votes.max())
            best = tied[0]
            if len(tied) > 1:
                self.tied_clusters_.append(cluster)
                if proba is not None:
                    mass = [proba[y_index == c, cluster].sum() for c in tied]
                    best = tied[int(np.argmax(mass))]
            self.mapping_[cluster] = self.classes_.tolist()[best]
        self._warn_about_unclear_clusters()
        return self

    def predict(self, X) -> np.ndarray:
        """Class of each sample: the class its cluster maps to.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, in the form ``estimator.predict`` takes.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Class names; ``unmatched_label`` for samples in unmatched clusters.
        """
        check_is_fitted(self)
        clusters = self._clusters(X)
        n_table = max(len(self.votes_), int(clusters.max(initial=-1)) + 1)
        table = np.array(
            [self.mapping_.get(c, self.unmatched_label_) for c in range(n_table)]
        )
        return table[clusters]

    def score(self, X, y, sample_weight=None) -> float:
        """Fraction of samples whose predicted class is their true class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, in the form ``estimator.predict`` takes.
        y : array-like of shape (n_samples,)
            Their true classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        accuracy : float
            Accuracy of :meth:`predict` (unmatched clusters count as errors).
        """
        return super().score(X, y, sample_weight=sample_weight)

    def _clusters(self, X) -> np.ndarray:
        """``estimator.predict(X)``, checked to be cluster ids 0, 1, 2, ..."""
        clusters = np.asarray(self.estimator.predict(X))
        if clusters.dtype.kind not in "iu" or (clusters < 0).any():
            raise ValueError(
                "ClusterLabelMapper needs estimator.predict to return cluster ids "
                "0, 1, 2, ...; it returned "
                f"{np.unique(clusters)[:5].tolist()} (noise labels such as -1 "
                "cannot be mapped)."
            )
        return clusters

    def _final_estimator(self):
        """The clusterer itself: the last step of a Pipeline."""
        if isinstance(self.estimator, Pipeline):
            return self.estimator[-1]
        return self.estimator

    def _n_clusters(self) -> int:
        n_clusters = getattr(self._final_estimator(), "n_clusters", None)
        return int(n_clusters) if isinstance(n_clusters, Integral) else 0

    def _check_estimator_is_fitted(self) -> None:
        try:
            check_is_fitted(self._final_estimator())
        except NotFittedError as exc:
            raise NotFittedError(
                "ClusterLabelMapper maps the clusters of a fitted estimator and "
                "never fits it; call estimator.fit(X_train) first."
            ) from exc

    def _resolve_unmatched_label(self) -> str | float:
        """``unmatched_label``, None made the default of the references' kind."""
        classes_are_str = self.classes_.dtype.kind in "US" or all(
            isinstance(c, str) for c in self.classes_
        )
        if self.unmatched_label is None:
            return "unknown" if classes_are_str else -1
        label_is_str = isinstance(self.unmatched_label, str)
        if label_is_str != classes_are_str:
            kind = "strings" if classes_are_str else "numbers"
            raise ValueError(
                f"unmatched_label={self.unmatched_label!r} must be of the same kind "
                f"as the reference labels, which are {kind}; pass e.g. "
                f"unmatched_label={'unknown' if classes_are_str else -1!r}."
            )
        return self.unmatched_label

    def _warn_about_unclear_clusters(self) -> None:
        if self.unmatched_clusters_:
            warnings.warn(
                f"Clusters {self.unmatched_clusters_} hold none of the reference "
                f"samples; their samples are predicted as {self.unmatched_label_!r}. "
                "Add reference samples from those clusters to name them.",
                UserWarning,
                stacklevel=4,
            )
        if self.tied_clusters_:
            warnings.warn(
                f"Clusters {self.tied_clusters_} have tied votes between classes; "
                "each took the tied class whose reference samples it holds with "
                "the most probability (the first in sorted order without "
                "predict_proba).",
                UserWarning,
                stacklevel=4,
            )
