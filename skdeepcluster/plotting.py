"""Pictures of a clustering: confusion matrix, embedding, training history.

matplotlib is an optional dependency (``pip install 'skdeepcluster[plot]'``).
Every function draws on the given ``ax`` or on a new figure, returns the
figure and never calls ``show()``, so it works the same in scripts, notebooks
and on headless machines (with the Agg backend).
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.utils.validation import check_is_fitted, column_or_1d

__all__ = ["plot_confusion_matrix", "plot_embedding", "plot_history"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "Plotting needs matplotlib; install it with "
            "pip install 'skdeepcluster[plot]' (or pip install matplotlib)."
        ) from exc
    return plt


def _figure_and_axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    figure, ax = _pyplot().subplots(figsize=figsize, layout="constrained")
    return figure, ax


def plot_confusion_matrix(
    y_true,
    y_pred,
    *,
    normalize: bool = False,
    ax=None,
    title: str | None = None,
    cmap: str = "Blues",
):
    """Draw the table of true classes against predicted classes or clusters.

    Rows are the sorted values of ``y_true`` and columns those of ``y_pred``.
    When both hold the same values (class names predicted through
    :class:`~skdeepcluster.mapping.ClusterLabelMapper`) it is the usual square
    confusion matrix; with raw cluster ids the two sets differ, and the table
    shows how each class spreads over the clusters.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True classes.
    y_pred : array-like of shape (n_samples,)
        Predicted classes or cluster ids.
    normalize : bool, default=False
        Show each row as fractions of the class instead of counts.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    title : str, default=None
        Axes title; by default the accuracy when the two label sets agree.
    cmap : str, default="Blues"
        Colour map of the cells.

    Returns
    -------
    figure : matplotlib Figure
        The figure drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skdeepcluster.plotting import plot_confusion_matrix
    >>> figure = plot_confusion_matrix(["a", "a", "b"], ["a", "b", "b"])
    >>> figure.axes[0].get_title()
    'accuracy 0.667'
    """
    y_true, y_pred = column_or_1d(y_true), column_or_1d(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true has {len(y_true)} samples but y_pred has {len(y_pred)}."
        )
    rows, row_index = np.unique(y_true, return_inverse=True)
    cols, col_index = np.unique(y_pred, return_inverse=True)
    counts = np.zeros((len(rows), len(cols)), dtype=np.int64)
    np.add.at(counts, (row_index, col_index), 1)
    values = counts / counts.sum(axis=1, keepdims=True) if normalize else counts
    same_labels = set(rows.tolist()) == set(cols.tolist())

    figure, ax = _figure_and_axes(ax, (1.5 + 0.6 * len(cols), 1.2 + 0.5 * len(rows)))
    image = ax.imshow(values, cmap=cmap, aspect="auto", vmin=0)
    threshold = values.max() / 2 if values.size else 0
    for (i, j), value in np.ndenumerate(values):
        text = f"{value:.2f}" if normalize else str(value)
        colour = "white" if value > threshold else "black"
        ax.text(j, i, text, ha="center", va="center", color=colour)
    ax.set_xticks(range(len(cols)), [str(c) for c in cols], rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), [str(r) for r in rows])
    ax.set_xlabel("predicted class" if same_labels else "cluster")
    ax.set_ylabel("true class")
    if title is None and same_labels:
        title = f"accuracy {np.mean(y_true == y_pred):.3f}"
    if title is not None:
        ax.set_title(title)
    figure.colorbar(image, ax=ax)
    return figure


def plot_embedding(
    estimator,
    X,
    labels=None,
    *,
    projection: str = "pca",
    ax=None,
    random_state=None,
    title: str | None = None,
):
    """Scatter ``estimator.transform(X)`` in 2-D, coloured by cluster or class.

    Parameters
    ----------
    estimator : fitted estimator
        Has ``transform`` (the embedding) and, when ``labels`` is None,
        ``predict``.
    X : array-like of shape (n_samples, n_features)
        Samples to embed.
    labels : array-like of shape (n_samples,), default=None
        Colour of each point: classes, say. By default the predicted clusters.
    projection : {"pca", "tsne"}, default="pca"
        How embeddings with more than two dimensions are brought to 2-D:
        :class:`~sklearn.decomposition.PCA` (fast, linear) or
        :class:`~sklearn.manifold.TSNE` (slower, shows local structure).
        Two-dimensional embeddings are drawn as they are.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    random_state : int, RandomState instance or None, default=None
        Seed of the projection.
    title : str, default=None
        Axes title.

    Returns
    -------
    figure : matplotlib Figure
        The figure drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import AutoEncoderKMeans
    >>> from skdeepcluster.plotting import plot_embedding
    >>> X, _ = make_blobs(60, n_features=4, centers=3, random_state=0)
    >>> model = AutoEncoderKMeans(3, hidden_layer_sizes=(8,), latent_dim=3,
    ...                           pretrain_epochs=2, random_state=0).fit(X)
    >>> figure = plot_embedding(model, X)
    >>> len(figure.axes[0].collections)
    3
    """
    if projection not in ("pca", "tsne"):
        raise ValueError(f"projection must be 'pca' or 'tsne', got {projection!r}.")
    check_is_fitted(estimator)
    embedding = np.asarray(estimator.transform(X))
    labels = estimator.predict(X) if labels is None else column_or_1d(labels)
    if len(labels) != len(embedding):
        raise ValueError(
            f"labels has {len(labels)} values for {len(embedding)} samples."
        )
    if embedding.shape[1] > 2:
        if projection == "pca":
            reducer = PCA(2, random_state=random_state)
        else:
            perplexity = min(30.0, (len(embedding) - 1) / 3)
            reducer = TSNE(2, perplexity=perplexity, random_state=random_state)
        embedding = reducer.fit_transform(embedding)
    elif embedding.shape[1] == 1:
        embedding = np.column_stack([embedding[:, 0], np.zeros(len(embedding))])

    figure, ax = _figure_and_axes(ax, (6, 5))
    for value in np.unique(labels):
        points = embedding[labels == value]
        ax.scatter(points[:, 0], points[:, 1], s=8, alpha=0.7, label=str(value))
    ax.legend(markerscale=2, fontsize="small", loc="best")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    return figure


def plot_history(history, *, ax=None, log_scale: bool = False):
    """Plot the loss of each training phase against its epochs.

    Parameters
    ----------
    history : fitted estimator or list of dict
        An estimator with ``history_``, or such a list: one dict per epoch with
        ``"phase"``, ``"epoch"`` and ``"loss"``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None. Each phase gets its own line;
        phases follow one another along the horizontal axis.
    log_scale : bool, default=False
        Logarithmic loss axis (positive losses only).

    Returns
    -------
    figure : matplotlib Figure
        The figure drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skdeepcluster.plotting import plot_history
    >>> history = [{"phase": "pretrain", "epoch": 0, "loss": 1.0},
    ...            {"phase": "pretrain", "epoch": 1, "loss": 0.5},
    ...            {"phase": "cluster", "epoch": 0, "loss": 0.1}]
    >>> figure = plot_history(history)
    >>> [line.get_label() for line in figure.axes[0].get_lines()]
    ['pretrain', 'cluster']
    """
    if hasattr(history, "history_"):
        history = history.history_
    elif hasattr(history, "get_params"):
        check_is_fitted(history)
    if not history:
        raise ValueError("history is empty: nothing to plot.")
    figure, ax = _figure_and_axes(ax, (7, 4))
    phases = list(dict.fromkeys(record["phase"] for record in history))
    offset = 0
    for phase in phases:
        losses = [record["loss"] for record in history if record["phase"] == phase]
        steps = np.arange(offset, offset + len(losses))
        ax.plot(steps, losses, label=phase)
        offset += len(losses)
    ax.set_xlabel("epoch (phases in order)")
    ax.set_ylabel("loss")
    if log_scale:
        ax.set_yscale("log")
    ax.legend()
    return figure
