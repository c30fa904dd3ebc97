"""Shared fixtures: small data for the test suite."""

import pytest
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler


@pytest.fixture
def blobs():
    """Three well separated standardised blobs in 4 dimensions."""
    X, y = make_blobs(n_samples=90, centers=3, n_features=4, random_state=0)
    return StandardScaler().fit_transform(X), y
