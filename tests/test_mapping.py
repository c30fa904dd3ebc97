"""Tests of ClusterLabelMapper: majority votes, ties, unmatched clusters."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeepcluster import AutoEncoderKMeans
from skdeepcluster.mapping import ClusterLabelMapper
from skdeepcluster.metrics import cluster_accuracy


class NoProba(ClusterMixin, BaseEstimator):
    """Cluster = the first feature."""

    def __init__(self, n_clusters=4):
        self.n_clusters = n_clusters

    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def predict(self, X):
        return np.asarray(X)[:, 0].astype(int)


class FixedClusters(NoProba):
    """Cluster = the first feature, held with the probability in the second."""

    def predict_proba(self, X):
        X = np.asarray(X)
        proba = np.full((len(X), self.n_clusters), 0.1)
        proba[np.arange(len(X)), X[:, 0].astype(int)] = X[:, 1]
        return proba


def test_majority_vote_with_more_clusters_than_classes():
    clusterer = FixedClusters(n_clusters=5).fit(None)
    X = [[0, 1], [0, 1], [1, 1], [2, 1], [2, 1], [2, 1], [3, 1], [4, 1]]
    y = ["cat", "cat", "dog", "dog", "dog", "cat", "cat", "dog"]
    mapper = ClusterLabelMapper(clusterer).fit(X, y)
    assert mapper.mapping_ == {0: "cat", 1: "dog", 2: "dog", 3: "cat", 4: "dog"}
    assert mapper.classes_.tolist() == ["cat", "dog"]
    assert mapper.votes_.tolist() == [[2, 0], [0, 1], [1, 2], [1, 0], [0, 1]]
    assert mapper.unmatched_clusters_ == [] and mapper.tied_clusters_ == []
    assert mapper.predict([[4, 0], [3, 0], [2, 0]]).tolist() == ["dog", "cat", "dog"]
    assert mapper.score([[4, 0], [3, 0]], ["dog", "dog"]) == 0.5


def test_unmatched_clusters_are_reported_and_predicted_as_unmatched_label():
    clusterer = FixedClusters(n_clusters=4).fit(None)
    with pytest.warns(UserWarning, match=r"Clusters \[1, 3\] hold none"):
        mapper = ClusterLabelMapper(clusterer, unmatched_label="?").fit(
            [[0, 1], [2, 1]], ["a", "b"]
        )
    assert mapper.unmatched_clusters_ == [1, 3]
    assert mapper.predict([[0, 0], [1, 0], [3, 0]]).tolist() == ["a", "?", "?"]


def test_ties_go_to_the_class_held_with_most_probability_and_are_reported():
    clusterer = FixedClusters(n_clusters=1).fit(None)
    X, y = [[0, 0.2], [0, 0.9]], ["a", "b"]
    with pytest.warns(UserWarning, match=r"Clusters \[0\] have tied votes"):
        mapper = ClusterLabelMapper(clusterer).fit(X, y)
    assert mapper.mapping_ == {0: "b"} and mapper.tied_clusters_ == [0]
    # Without predict_proba: the first tied class in sorted order.
    with pytest.warns(UserWarning, match="tied votes"):
        mapper = ClusterLabelMapper(NoProba(n_clusters=1).fit(None)).fit(X, y)
    assert mapper.mapping_ == {0: "a"}


def test_numeric_classes_need_a_numeric_unmatched_label():
    clusterer = FixedClusters(n_clusters=2).fit(None)
    with pytest.raises(ValueError, match=r"numbers; pass e.g. unmatched_label=-1"):
        ClusterLabelMapper(clusterer, unmatched_label="?").fit([[0, 1]], [7])
    with pytest.warns(UserWarning, match="hold none"):
        mapper = ClusterLabelMapper(clusterer, unmatched_label=-1).fit([[0, 1]], [7])
    predicted = mapper.predict([[0, 0], [1, 0]])
    assert predicted.tolist() == [7, -1] and predicted.dtype.kind == "i"


@pytest.mark.parametrize(("classes", "unmatched"), [([7], -1), (["seven"], "unknown")])
def test_default_unmatched_label_follows_the_kind_of_the_classes(classes, unmatched):
    # Integer classes are what load_image_folder(...).target gives.
    clusterer = FixedClusters(n_clusters=2).fit(None)
    with pytest.warns(UserWarning, match="hold none"):
        mapper = ClusterLabelMapper(clusterer).fit([[0, 1]], classes)
    assert mapper.unmatched_label_ == unmatched and mapper.unmatched_label is None
    assert mapper.predict([[0, 0], [1, 0]]).tolist() == [classes[0], unmatched]


def test_cluster_ids_must_be_non_negative_integers():
    clusterer = FixedClusters(n_clusters=2).fit(None)
    with pytest.raises(ValueError, match=r"returned \[-1, 0\] \(noise labels"):
        ClusterLabelMapper(clusterer).fit([[-1, 1], [0, 1]], ["a", "b"])


def test_unfitted_estimator_and_bad_parameters_get_clear_errors():
    with pytest.raises(NotFittedError, match=r"call estimator.fit\(X_train\) first"):
        ClusterLabelMapper(KMeans(2)).fit([[0.0], [1.0]], ["a", "b"])
    with pytest.raises(ValueError, match="'estimator' parameter"):
        ClusterLabelMapper(object()).fit([[0.0]], ["a"])
    with pytest.raises(ValueError, match="'unmatched_label' parameter"):
        ClusterLabelMapper(KMeans(2), unmatched_label=[1]).fit([[0.0]], ["a"])
    with pytest.raises(NotFittedError):
        ClusterLabelMapper(KMeans(2)).predict([[0.0]])


def test_mapper_names_clusters_of_a_fitted_pipeline_with_a_deep_clusterer():
    rng = np.random.RandomState(0)
    centres = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]])
    labels = np.repeat(np.arange(3), 40)
    X = centres[labels] + rng.normal(size=(120, 2))
    pipeline = make_pipeline(
        StandardScaler(),
        AutoEncoderKMeans(
            3,
            hidden_layer_sizes=(16,),
            latent_dim=2,
            pretrain_epochs=20,
            random_state=0,
        ),
    ).fit(X)
    names = np.array(["origin", "east", "north"])
    reference = [0, 1, 40, 41, 80, 81]  # two labelled samples per class
    mapper = ClusterLabelMapper(pipeline).fit(X[reference], names[labels[reference]])
    assert mapper.unmatched_clusters_ == []
    # Six references find the mapping the Hungarian method finds with all labels.
    accuracy = cluster_accuracy(labels, pipeline.predict(X))
    assert accuracy >= 0.9
    assert mapper.score(X, names[labels]) == pytest.approx(accuracy)
