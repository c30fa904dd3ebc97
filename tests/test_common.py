"""scikit-learn's estimator checks over every estimator, dense and convolutional."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from fast_estimators import fast_conv_estimators, fast_estimators


@parametrize_with_checks([*fast_estimators(), *fast_conv_estimators()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
