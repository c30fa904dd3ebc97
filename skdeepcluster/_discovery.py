"""Listing the package's estimators, for the demo and the benchmarks."""

from __future__ import annotations

import inspect


def all_estimators() -> list[tuple[str, type]]:
    """The public deep clustering estimators of skdeepcluster.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs, sorted by name.

    Examples
    --------
    >>> from skdeepcluster import all_estimators
    >>> [name for name, _ in all_estimators()][:1]
    ['AutoEncoderKMeans']
    """
    import skdeepcluster

    from ._base import BaseDeepClusterer

    return sorted(
        (name, obj)
        for name, obj in vars(skdeepcluster).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseDeepClusterer)
        and obj is not BaseDeepClusterer
    )
