"""The scikit-learn face of every estimator and the one fit template.

``BaseDeepClusterer.fit`` validates ``X``, resolves the settings that depend on
it once (``_check_params_vs_input``), draws the fit's seeds, puts ``X`` on the
device once, and then runs the same steps for every method:

``_pretrain(X, data, state)``
    train what the method starts from (default: nothing, returns None);
``_build_module(X, pretrained)``
    the method's torch module, seeded by the fit's ``train`` seed;
``_initialize_clusters(module, data, state)``
    place the clusters (k-means on an embedding, a warm start);
``_cluster_phase(module, data, state)``
    train the clustering objective through the one training loop (default:
    nothing).

Then the fitted attributes are set from the module. In a torch.distributed
process group (``distributed``), ``X`` is this process's shard, and the steps
reach the other processes through ``_collectives``
(:class:`~skdeepcluster._distributed.Collectives`): rank 0's module is sent to
all after it is built and after the clusters are placed, and the loop averages
the gradients. Inference (``predict``,
``predict_proba``, ``transform``, ``score_samples``) runs the per-chunk hooks
``_proba_tensor``, ``_transform_tensor`` and ``_score_tensor`` over the rows in
chunks of at least ``batch_size`` rows.
"""

from __future__ import annotations

import copy
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _training
from ._data import (
    INIT_SAMPLE_ROWS,
    StreamedArray,
    StreamedRows,
    apply_in_chunks,
    is_streamed,
    sample_rows,
    to_device,
)
from ._distributed import Collectives
from ._utils import (
    DeviceWarning,
    Interval,
    StrOptions,
    _fit_context,
    device_is_available,
    draw_seeds,
    resolve_device,
    seeded_torch,
)

_CHUNK_VALUES = 2**22

ModuleFn = Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]
"""``fn(module, rows)``: a computation of ``module`` on a chunk of rows."""


class FitSeeds(NamedTuple):
    """The integer seeds of one fit, drawn in this order from ``random_state``.

    ``pretrain`` seeds the pretraining (so that a cached pretraining and a new
    one give the same cluster phase), ``train`` the module's construction and
    every torch draw after it, ``init`` the cluster initialisation (k-means).
    Every fit draws all three, whether or not the method uses them.
    """

    pretrain: int
    train: int
    init: int


@dataclass
class FitState:
    """What the fit hooks share during one call to ``fit``.

    ``n_samples`` counts the training rows of all processes; ``generator``
    is seeded by ``seeds.train`` for the steps after pretraining; ``history``
    becomes ``history_``; ``result`` is the
    :class:`~skdeepcluster._training.TrainingResult` of the last phase run;
    ``initial_labels`` is a partition of this process's training rows found
    before the module is built (GMVAE's start from a clusterer).
    """

    seeds: FitSeeds
    n_samples: int
    generator: torch.Generator | None = None
    history: list[dict] = field(default_factory=list)
    result: _training.TrainingResult | None = None
    initial_labels: np.ndarray | None = None


class BaseDeepClusterer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """Base class for skdeepcluster's estimators; not for direct use.

    See :class:`~skdeepcluster.AutoEncoderKMeans` for the shared parameters.
    """

    # Completes the warning given when fit ends with empty clusters.
    _merged_clusters_advice = "another random_state"

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "image_shape": ["array-like", None],
        "conv_channels": ["array-like", StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), None],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(_training.OPTIMIZERS))],
        "device": [str, torch.device],
        "distributed": [StrOptions({"auto"}), "boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_clusters,
        *,
        hidden_layer_sizes,
        latent_dim,
        image_shape,
        conv_channels,
        batch_size,
        n_iter_no_change,
        learning_rate,
        optimizer,
        device,
        distributed,
        random_state,
        verbose,
    ):
        self.n_clusters = n_clusters
        self.hidden_layer_sizes = hidden_layer_sizes
        self.latent_dim = latent_dim
        self.image_shape = image_shape
        self.conv_channels = conv_channels
        self.batch_size = batch_size
        self.n_iter_no_change = n_iter_no_change
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.device = device
        self.distributed = distributed
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: None = None) -> BaseDeepClusterer:
        """Train the networks and the clusters on ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows. Images are passed flattened, with ``image_shape`` set.
            A :class:`numpy.memmap`, a scipy sparse matrix, a dask array or an
            h5py or zarr dataset is read a block of rows at a time, checked
            block by block, and never held whole in memory: training visits
            the blocks in a random order and the rows of each in a random
            order, so rows stored sorted (by class, by time) should be
            shuffled once when written. In a torch.distributed process group
            (see ``distributed``), this process's shard of the training rows.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        collectives = self._collectives = Collectives.resolve(self.distributed)
        # A shard that fails a check stops every process, not only its own.
        with collectives.agreement("Validating X"):
            X = self._validate_for_fit(X)
        n_samples = collectives.sum_int(X.shape[0])
        with collectives.agreement("Checking the parameters against X"):
            self._check_params_vs_input(X, n_samples)
        seeds = collectives.broadcast_seeds(draw_seeds(self.random_state, 3))
        state = FitState(FitSeeds(*seeds), n_samples)
        data = to_device(X, self._device)
        pretrained = self._pretrain(X, data, state)
        with seeded_torch(state.seeds.train, self._device) as state.generator:
            module = self._build_module(X, pretrained).to(self._device)
            collectives.broadcast_module(module)
            self._initialize_clusters(module, data, state)
            collectives.broadcast_module(module)
            self._cluster_phase(module, data, state)
        module.eval()
        self._set_fitted_attributes(module, X, state)
        return self

    def _validate_for_fit(self, X: ArrayLike) -> np.ndarray | StreamedArray:
        """``X`` validated whole, or as a :class:`StreamedArray` in one pass.

        Streamed data are checked block by block (NaN and infinity, with the
        rows named) while their per-feature statistics are computed; their
        first row goes through ``validate_data``, which records the number of
        features.
        """
        if not is_streamed(X):
            return validate_data(self, X, dtype=[np.float64, np.float32])
        rows = StreamedArray(X)
        validate_data(self, rows[:1], dtype=[np.float64, np.float32])
        rows.stats()
        return rows

    def _check_params_vs_input(
        self, X: np.ndarray | StreamedArray, n_samples: int
    ) -> None:
        """Check what needs the data, and resolve the settings of this fit.

        ``n_samples`` counts the training rows of all processes (``X``'s
        own without a process group). Sets ``_device`` and ``_image_shape``;
        subclasses add what they resolve, so that the fit reads each setting
        once. Runs on each process without collectives: a process that raises
        here stops the others.
        """
        n_features = X.shape[1]
        if n_samples < self.n_clusters:
            raise ValueError(
                f"n_samples={n_samples} should be >= n_clusters={self.n_clusters}. "
                "Lower n_clusters or pass more samples."
            )
        if not isinstance(self.hidden_layer_sizes, str):
            _check_sizes(
                "hidden_layer_sizes", self.hidden_layer_sizes, allow_empty=True
            )
        if not isinstance(self.conv_channels, str):
            _check_sizes("conv_channels", self.conv_channels, allow_empty=False)
        self._image_shape = _resolve_image_shape(self.image_shape, n_features)
        self._device = self._collectives.device(resolve_device(self.device))

    def _set_fitted_attributes(
        self, module: torch.nn.Module, X: np.ndarray, state: FitState
    ) -> None:
        """Set ``module_``, ``labels_`` (as ``predict(X)``) and the history.

        ``n_iter_`` and ``n_steps_`` are the epochs begun and the mini-batch
        updates of the last training phase.
        """
        self.module_ = module
        self._inference_copy = None
        self._n_features_out = self._embed(X[:1]).shape[1]
        self.history_ = state.history
        result = state.result
        self.n_iter_ = 0 if result is None else result.n_epochs
        self.n_steps_ = 0 if result is None else result.n_iterations
        # The argmax of predict(X)'s probabilities, taken chunk by chunk so
        # that the n_samples x n_clusters probabilities are never held.
        columns = self._apply(
            lambda module, x: self._proba_tensor(module, x).argmax(dim=1), X
        )
        # Clusters are numbered by the rows of all processes, the same on each.
        counts = torch.as_tensor(np.bincount(columns, minlength=self.n_clusters))
        counts = self._collectives.sum(counts.double()).numpy()
        self._label_order = _label_order(counts)
        self.labels_ = _relabel(columns, self._label_order)
        self._set_cluster_attributes()
        _warn_if_clusters_are_empty(
            counts, self.n_clusters, self._merged_clusters_advice
        )

    # --------------------------------------------------------- fit hooks

    def _pretrain(
        self, X: np.ndarray, data: torch.Tensor, state: FitState
    ) -> torch.nn.Module | None:
        """What the module is built from, trained before it; default: nothing."""
        return None

    def _build_module(
        self, X: np.ndarray, pretrained: torch.nn.Module | None
    ) -> torch.nn.Module:
        """The method's torch module, built from ``pretrained`` when there is one."""
        raise NotImplementedError

    def _initialize_clusters(
        self, module: torch.nn.Module, data: torch.Tensor, state: FitState
    ) -> None:
        """Place the clusters before the cluster phase."""
        raise NotImplementedError

    def _cluster_phase(
        self, module: torch.nn.Module, data: torch.Tensor, state: FitState
    ) -> None:
        """Train the clustering objective; methods without one leave this empty."""

    def _set_cluster_attributes(self) -> None:
        """Set method-specific fitted attributes once ``_label_order`` is known."""

    def _train(
        self,
        module: torch.nn.Module,
        data: torch.Tensor,
        batch_loss: _training.BatchLoss,
        state: FitState,
        *,
        phase: str,
        n_epochs: int,
        **options,
    ) -> _training.TrainingResult:
        """Run the one training loop with this estimator's shared settings.

        ``options`` override ``optimizer``/``learning_rate``/``batch_size``/
        ``n_iter_no_change`` or add
        the loop's hooks (see :func:`skdeepcluster._training.train`). The
        result is recorded as the fit's last phase.
        """
        settings = {
            "batch_size": self.batch_size,
            "n_iter_no_change": self.n_iter_no_change,
            "optimizer": self.optimizer,
            "learning_rate": self.learning_rate,
            "verbose": self.verbose,
            "collectives": self._collectives,
            **options,
        }
        state.result = _training.train(
            module,
            data,
            batch_loss,
            phase=phase,
            n_epochs=n_epochs,
            generator=state.generator,
            history=state.history,
            **settings,
        )
        return state.result

    def _initialization_rows(
        self, data: torch.Tensor | StreamedRows, state: FitState
    ) -> torch.Tensor | StreamedRows:
        """The rows the clusters are initialised from.

        All training rows, except for streamed data of more than
        ``INIT_SAMPLE_ROWS`` rows: a sample of that many, seeded by the fit's
        ``init`` seed, on the device. In a process group, the rows of every
        process, or of more than ``INIT_SAMPLE_ROWS`` rows in all a sample of
        that many drawn from each shard in proportion to its rows, gathered
        on every process.
        """
        if not self._collectives.active:
            if not isinstance(data, StreamedRows) or len(data) <= INIT_SAMPLE_ROWS:
                return data
            sample = sample_rows(data.array, INIT_SAMPLE_ROWS, state.seeds.init)
            return to_device(sample, data.device)
        share = len(data)
        if state.n_samples > INIT_SAMPLE_ROWS:
            share = max(1, round(INIT_SAMPLE_ROWS * len(data) / state.n_samples))
        if isinstance(data, StreamedRows):
            local = to_device(
                sample_rows(data.array, share, state.seeds.init), data.device
            )
        elif share < len(data):
            generator = torch.Generator().manual_seed(state.seeds.init)
            chosen = torch.randperm(len(data), generator=generator)[:share].sort()
            local = data[chosen.values.to(data.device)]
        else:
            local = data
        return self._collectives.gather_rows(local)

    def _map_rows(
        self, module: torch.nn.Module, fn: ModuleFn, data: torch.Tensor
    ) -> torch.Tensor:
        """``fn(module, rows)`` over the training tensor, in chunks, in eval mode.

        For the fit's steps (k-means on the embedding, DEC's targets): the
        module is in eval mode during the call and back in its mode after.
        """
        was_training = module.training
        module.eval()
        try:
            return apply_in_chunks(
                lambda rows: fn(module, rows), data, self._chunk_rows()
            )
        finally:
            module.train(was_training)

    # --------------------------------------------------- inference hooks

    def _proba_tensor(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        return module(x)

    def _transform_tensor(
        self, module: torch.nn.Module, x: torch.Tensor
    ) -> torch.Tensor:
        return module.encode(x)

    def _score_tensor(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    # ------------------------------------------------------ public inference

    def _inference_module(self) -> tuple[torch.nn.Module, torch.dtype]:
        """The module inference runs, and the dtype of its rows.

        On the CPU this is a float64 copy of ``module_``, made on first use and
        kept (not pickled): float32 matrix products differ by ~1e-7 with the
        number of rows in the call, float64 ones only by ~1e-16, so a row's
        result does not depend on which other rows share its chunk.
        Accelerators run ``module_`` itself in float32.
        """
        if self._device.type != "cpu":
            return self.module_, torch.float32
        if getattr(self, "_inference_copy", None) is None:
            self._inference_copy = copy.deepcopy(self.module_).to(torch.float64).eval()
        return self._inference_copy, torch.float64

    def _apply(self, fn: ModuleFn, X: np.ndarray) -> np.ndarray:
        """``fn(module, rows)`` over the rows of ``X`` in chunks, as numpy."""
        module, dtype = self._inference_module()
        result = apply_in_chunks(
            lambda rows: fn(module, rows),
            X,
            self._chunk_rows(),
            dtype=dtype,
            device=self._device,
            out_device=torch.device("cpu"),
        )
        return result.numpy()

    def _chunk_rows(self) -> int:
        """Rows per chunk of the computations without gradients.

        ``batch_size``, or more for narrow rows (up to 4,096 rows of at most
        2**22 values in all): a training batch of a few dozen rows would
        leave most of the time to per-call overheads on millions of rows.
        """
        widest = max(self.batch_size, _CHUNK_VALUES // self.n_features_in_)
        return min(widest, max(self.batch_size, 4096))

    def _embed(self, X: np.ndarray) -> np.ndarray:
        return self._apply(self._transform_tensor, X)

    def _validate_for_inference(self, X: ArrayLike) -> np.ndarray | StreamedArray:
        """``X`` validated whole, or streamed: its blocks are checked as read."""
        check_is_fitted(self)
        if not is_streamed(X):
            return validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        rows = StreamedArray(X)
        if rows.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {rows.shape[1]} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input."
            )
        return rows

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Soft cluster assignments of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to assign; streamed as in :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_clusters)
            Rows sum to one; column ``j`` is cluster ``j`` of :meth:`predict`.
        """
        X = self._validate_for_inference(X)
        proba = self._apply(self._proba_tensor, X)
        return proba[:, self._label_order].astype(np.float64, copy=False)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Cluster of each row of ``X``: the argmax of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to assign; streamed as in :meth:`fit`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster indices in ``[0, n_clusters)``.
        """
        return self.predict_proba(X).argmax(axis=1)

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Embed ``X`` into the learned latent space.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to embed; streamed as in :meth:`fit`.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            Embedding, in the floating dtype of ``X`` (float64 for integer input).
        """
        X = self._validate_for_inference(X)
        return self._embed(X).astype(X.dtype, copy=False)

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Score of each row of ``X`` under the fitted model (higher is better).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score; streamed as in :meth:`fit`.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            See the estimator's documentation for what is scored (:meth:`score`
            is their mean).
        """
        X = self._validate_for_inference(X)
        return self._apply(self._score_tensor, X)

    def score(self, X: ArrayLike, y: None = None) -> float:
        """Mean per-sample score of ``X`` under the fitted model (higher is better).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score; streamed as in :meth:`fit`.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        score : float
            The mean of :meth:`score_samples`; see the estimator's documentation
            for what is scored.
        """
        return float(self.score_samples(X).mean())

    # ----------------------------------------------------- sklearn plumbing

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        return tags

    def __getstate__(self):
        # A copy: object.__getstate__ returns the instance's own __dict__.
        state = dict(super().__getstate__())
        state.pop("_inference_copy", None)
        if "module_" in state:
            state = dict(state, module_=_module_on_cpu(state["module_"]))
        return state

    def __setstate__(self, state):
        if "module_" in state:
            device = state["_device"]
            if not device_is_available(device):
                warnings.warn(
                    f"This {type(self).__name__} was fitted on device '{device}', "
                    "which is not available here; it was loaded on the CPU.",
                    DeviceWarning,
                    stacklevel=2,
                )
                device = torch.device("cpu")
            state = dict(state, module_=state["module_"].to(device), _device=device)
        super().__setstate__(state)


def _resolve_image_shape(
    image_shape: ArrayLike | None, n_features: int
) -> tuple[int, int, int] | None:
    """``image_shape`` as a tuple, a ``-1`` entry inferred from ``n_features``."""
    if image_shape is None:
        return None
    shape = np.asarray(image_shape).ravel().tolist()
    n_inferred = shape.count(-1)
    known = [s for s in shape if s != -1]
    _check_sizes("image_shape", known, allow_empty=n_inferred > 0)
    if n_inferred == 1 and known and n_features % int(np.prod(known)) == 0:
        shape[shape.index(-1)] = n_features // int(np.prod(known))
    if len(shape) != 3 or n_inferred > 1 or int(np.prod(shape)) != n_features:
        raise ValueError(
            f"image_shape={tuple(image_shape)!r} must be (channels, "
            f"height, width) with channels*height*width == n_features="
            f"{n_features} (one entry may be -1, inferred from n_features); "
            f"X has {n_features} features per row."
        )
    return tuple(int(s) for s in shape)


def _label_order(counts: np.ndarray) -> np.ndarray:
    """Column order putting the clusters that hold training rows first.

    ``counts`` holds the training rows whose argmax is each column. Labels
    then run 0..m-1 without gaps even when a cluster ends up empty; the unused
    clusters keep the last indices.
    """
    return np.concatenate([np.flatnonzero(counts > 0), np.flatnonzero(counts == 0)])


def _relabel(columns: np.ndarray, label_order: np.ndarray) -> np.ndarray:
    """The labels of the module's cluster ``columns`` under ``label_order``.

    For the argmax columns of ``proba`` this is ``proba[:, label_order].argmax
    (axis=1)``, what predict returns, without copying ``proba``: the used
    clusters keep their relative order, so ties resolve the same way.
    """
    return np.argsort(label_order)[columns]


def _warn_if_clusters_are_empty(
    counts: np.ndarray, n_clusters: int, advice: str
) -> None:
    """Say so when training ends with fewer clusters holding rows than asked for."""
    n_found = int(np.count_nonzero(counts))
    if n_found < n_clusters:
        warnings.warn(
            f"Only {n_found} of n_clusters={n_clusters} clusters hold training "
            "rows. The data may have fewer groups, or training merged clusters; "
            f"to keep them apart, try {advice}.",
            ConvergenceWarning,
            stacklevel=5,
        )


def _check_sizes(name: str, value, *, allow_empty: bool) -> tuple[int, ...]:
    """Validate a sequence-of-positive-integers parameter and return it as a tuple."""
    sizes = tuple(np.asarray(value).ravel().tolist()) if np.ndim(value) else None
    valid = (
        sizes is not None
        and (allow_empty or len(sizes) > 0)
        and all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes
        )
    )
    if not valid:
        kind = "a possibly empty" if allow_empty else "a non-empty"
        raise ValueError(
            f"{name} must be {kind} sequence of positive integers, got {value!r}."
        )
    return sizes


def _module_on_cpu(module: torch.nn.Module) -> torch.nn.Module:
    """The module itself if it lives on the CPU, else a CPU copy of it.

    The copy goes through ``torch.save``/``torch.load(map_location="cpu")`` so
    no second copy is made on the accelerator.
    """
    if all(t.device.type == "cpu" for t in module.state_dict().values()):
        return module
    buffer = io.BytesIO()
    torch.save(module, buffer)
    buffer.seek(0)
    return torch.load(buffer, map_location="cpu", weights_only=False)
