"""Hungarian cluster accuracy and the matching behind it."""

import itertools

import numpy as np
import pytest

from skdeepcluster.metrics import cluster_accuracy, cluster_class_mapping


def _brute_force_accuracy(y_true, y_pred):
    classes, clusters = np.unique(y_true), np.unique(y_pred)
    best = 0
    padded = list(classes) + [None] * max(0, len(clusters) - len(classes))
    for perm in itertools.permutations(padded, len(clusters)):
        mapping = dict(zip(clusters, perm, strict=True))
        best = max(
            best, sum(mapping[p] == t for t, p in zip(y_true, y_pred, strict=True))
        )
    return best / len(y_true)


def test_permuted_labels_score_one():
    y = np.array([0, 0, 1, 1, 2, 2])
    assert cluster_accuracy(y, np.array([2, 2, 0, 0, 1, 1])) == 1.0


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("n_classes", "n_clusters"), [(3, 3), (3, 5), (4, 2)])
def test_matches_brute_force(seed, n_classes, n_clusters):
    rng = np.random.RandomState(seed)
    y_true = rng.randint(n_classes, size=40)
    y_pred = rng.randint(n_clusters, size=40)
    assert cluster_accuracy(y_true, y_pred) == pytest.approx(
        _brute_force_accuracy(y_true, y_pred)
    )


def test_extra_clusters_count_as_errors():
    # Hungarian matching is one-to-one: the third cluster cannot also be "a".
    assert cluster_accuracy(["a", "a", "a", "b"], [0, 0, 2, 1]) == 0.75


def test_any_label_values():
    y_true = np.array(["cat", "cat", "dog", "dog"])
    assert cluster_accuracy(y_true, np.array([-7, -7, 42, 42])) == 1.0


def test_mapping_is_the_scored_matching():
    y_true = ["a", "a", "b", "b", "b", "c"]
    y_pred = [5, 5, 9, 9, 3, 3]
    mapping = cluster_class_mapping(y_true, y_pred)
    assert mapping == {5: "a", 9: "b", 3: "c"}
    mapped = [mapping[p] for p in y_pred]
    assert np.mean(np.array(mapped) == np.array(y_true)) == cluster_accuracy(
        y_true, y_pred
    )


def test_mapping_leaves_extra_clusters_unmatched():
    mapping = cluster_class_mapping([0, 0, 1, 1], [0, 0, 1, 2])
    assert len(mapping) == 2 and mapping[0] == 0 and set(mapping.values()) == {0, 1}


def test_inconsistent_lengths_are_rejected():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        cluster_accuracy([0, 1, 1], [0, 1])


def test_empty_input_is_rejected():
    with pytest.raises(ValueError, match="must not be empty"):
        cluster_accuracy([], [])
