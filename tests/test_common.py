"""scikit-learn's estimator checks over every estimator, dense and convolutional."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from fast_estimators import fast_conv_estimators, fast_estimators

# scikit-learn's sparse checks read classifier tags whenever an estimator has
# predict_proba, and a clusterer has none: the checks crash in their own code
# after fit and predict have run on the sparse input. tests/test_streaming.py
# checks sparse input against dense input instead.
SPARSE_CHECK_CRASHES = (
    "scikit-learn's check reads classifier tags of any estimator with "
    "predict_proba; sparse input is tested in tests/test_streaming.py"
)


def expected_failed_checks(estimator):
    return {
        "check_estimator_sparse_array": SPARSE_CHECK_CRASHES,
        "check_estimator_sparse_matrix": SPARSE_CHECK_CRASHES,
    }


@parametrize_with_checks(
    [*fast_estimators(), *fast_conv_estimators()],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
