"""The scikit-learn face shared by every estimator, and its autoencoder family.

``BaseDeepClusterer`` owns everything that is not specific to a method: input
validation, device and seed handling, the fit template, batched inference,
pickling across devices and tags. A method implements ``_fit_module(X, state)``
(train and return the torch module) and the per-batch inference hooks
``_proba_tensor``, ``_transform_tensor`` and ``_score_tensor``, called under
``torch.inference_mode``.

``BaseAutoencoderClusterer`` is the family that pretrains an autoencoder and
clusters its embedding (AutoEncoderKMeans, DEC). Its ``_fit_module`` runs

``_pretrain(X, device, seed)``
    the shared autoencoder pretraining, cached through ``memory``;
``_build_module(autoencoder)``
    the module around the pretrained autoencoder (default: a Student's t head);
``_initialize_clusters(module, X, state)``
    place the clusters on the pretrained embedding (default: k-means);
``_cluster_phase(module, data, state)``
    default: nothing; DEC-like methods train the clustering loss here.
"""

from __future__ import annotations

import copy
import io
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, check_memory, validate_data

from . import _training
from ._pretraining import (
    PRETRAINING_SCHEMES,
    PretrainedAutoencoder,
    pretrain_autoencoder,
)
from ._utils import (
    DeviceWarning,
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    device_is_available,
    resolve_device,
    seeded_torch,
    to_numpy,
)
from .nn import ClusteringAutoencoder, StudentTAssignment, squared_distances

_SEED_BOUND = np.iinfo(np.int32).max


@dataclass
class FitState:
    """What the fit hooks share during one call to ``fit``.

    ``rng`` seeds everything drawn with numpy or scikit-learn (KMeans) and the
    torch seeds; ``generator`` draws the training permutations once the method
    has seeded it; ``history`` and ``n_iter`` become ``history_`` and
    ``n_iter_``.
    """

    device: torch.device
    rng: np.random.RandomState
    generator: torch.Generator | None = None
    history: list[dict] = field(default_factory=list)
    n_iter: int = 0


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
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions({"adam", "sgd"})],
        "device": [str, torch.device],
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
        learning_rate,
        optimizer,
        device,
        random_state,
        verbose,
    ):
        self.n_clusters = n_clusters
        self.hidden_layer_sizes = hidden_layer_sizes
        self.latent_dim = latent_dim
        self.image_shape = image_shape
        self.conv_channels = conv_channels
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: None = None) -> BaseDeepClusterer:
        """Train the networks and the clusters on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows. Images are passed flattened, with ``image_shape`` set.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self._check_params_against_data(X)
        state = FitState(
            device=resolve_device(self.device),
            rng=check_random_state(self.random_state),
        )
        module = self._fit_module(X, state)
        module.eval()
        self.module_ = module
        self._device = state.device
        self._n_features_out = self._embed(module, X[:1], state.device).shape[1]
        self.history_ = state.history
        self.n_iter_ = state.n_iter
        # The same computation as predict(X), done once for both steps.
        proba = _apply_in_batches(
            module, state.device, X, self.batch_size, self._proba_tensor
        )
        columns = proba.argmax(axis=1)
        self._label_order = _label_order(columns, proba.shape[1])
        self.labels_ = _relabel(columns, self._label_order)
        self._set_cluster_attributes()
        _warn_if_clusters_are_empty(
            self.labels_, self.n_clusters, self._merged_clusters_advice
        )
        return self

    def _check_params_against_data(self, X: np.ndarray) -> None:
        """Checks that need the data or that the constraints cannot express."""
        n_samples, n_features = X.shape
        if n_samples < self.n_clusters:
            raise ValueError(
                f"n_samples={n_samples} should be >= n_clusters={self.n_clusters}. "
                "Lower n_clusters or pass more samples."
            )
        _check_sizes("hidden_layer_sizes", self.hidden_layer_sizes, allow_empty=True)
        if not isinstance(self.conv_channels, str):
            _check_sizes("conv_channels", self.conv_channels, allow_empty=False)
        self._image_shape(n_features)

    def _image_shape(self, n_features: int) -> tuple[int, int, int] | None:
        """``image_shape`` as a tuple, a ``-1`` entry inferred from ``n_features``."""
        if self.image_shape is None:
            return None
        shape = np.asarray(self.image_shape).ravel().tolist()
        n_inferred = shape.count(-1)
        known = [s for s in shape if s != -1]
        _check_sizes("image_shape", known, allow_empty=n_inferred > 0)
        if n_inferred == 1 and known and n_features % int(np.prod(known)) == 0:
            shape[shape.index(-1)] = n_features // int(np.prod(known))
        if len(shape) != 3 or n_inferred > 1 or int(np.prod(shape)) != n_features:
            raise ValueError(
                f"image_shape={tuple(self.image_shape)!r} must be (channels, "
                f"height, width) with channels*height*width == n_features="
                f"{n_features} (one entry may be -1, inferred from n_features); "
                f"X has {n_features} features per row."
            )
        return tuple(int(s) for s in shape)

    # --------------------------------------------------------- fit hooks

    def _fit_module(self, X: np.ndarray, state: FitState) -> torch.nn.Module:
        """Build and train the method's torch module on ``X``; return it."""
        raise NotImplementedError

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

        ``options`` override ``optimizer``/``learning_rate``/``batch_size`` or add
        the loop's hooks (see :func:`skdeepcluster._training.train`).
        """
        settings = {
            "batch_size": self.batch_size,
            "optimizer": self.optimizer,
            "learning_rate": self.learning_rate,
            "verbose": self.verbose,
            **options,
        }
        return _training.train(
            module,
            data,
            batch_loss,
            phase=phase,
            n_epochs=n_epochs,
            generator=state.generator,
            history=state.history,
            **settings,
        )

    def _embed(
        self, module: torch.nn.Module, X: np.ndarray, device: torch.device
    ) -> np.ndarray:
        """Embedding of ``X`` through the same batched path as :meth:`transform`."""
        return _apply_in_batches(
            module, device, X, self.batch_size, self._transform_tensor
        )

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

    def _validate_for_inference(self, X: ArrayLike) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=[np.float64, np.float32])

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Soft cluster assignments of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to assign.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_clusters)
            Rows sum to one; column ``j`` is cluster ``j`` of :meth:`predict`.
        """
        X = self._validate_for_inference(X)
        proba = _apply_in_batches(
            self.module_, self._device, X, self.batch_size, self._proba_tensor
        )
        return proba[:, self._label_order].astype(np.float64, copy=False)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Cluster of each row of ``X``: the argmax of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to assign.

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
        X : array-like of shape (n_samples, n_features)
            Rows to embed.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            Embedding, in the floating dtype of ``X`` (float64 for integer input).
        """
        X = self._validate_for_inference(X)
        Z = self._embed(self.module_, X, self._device)
        return Z.astype(X.dtype, copy=False)

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Score of each row of ``X`` under the fitted model (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            See the estimator's documentation for what is scored (:meth:`score`
            is their mean).
        """
        X = self._validate_for_inference(X)
        return _apply_in_batches(
            self.module_, self._device, X, self.batch_size, self._score_tensor
        )

    def score(self, X: ArrayLike, y: None = None) -> float:
        """Mean per-sample score of ``X`` under the fitted model (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
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
        return tags

    def __getstate__(self):
        state = super().__getstate__()
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


class BaseAutoencoderClusterer(BaseDeepClusterer):
    """Base of the estimators that cluster a pretrained autoencoder's embedding.

    Adds the pretraining parameters and the fit steps listed in the module
    docstring. See :class:`~skdeepcluster.AutoEncoderKMeans` for the parameters.
    """

    _merged_clusters_advice = "longer pretraining or another random_state"

    _parameter_constraints: dict = {
        **BaseDeepClusterer._parameter_constraints,
        "pretraining": [StrOptions(set(PRETRAINING_SCHEMES))],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left")],
        "corruption": [Interval(Real, 0, 1, closed="left")],
        "neighbor_weight": [Interval(Real, 0, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "augmentation": ["boolean"],
        "memory": [None, str, HasMethods(["cache"])],
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
        pretraining,
        pretrain_epochs,
        corruption,
        neighbor_weight,
        n_neighbors,
        augmentation,
        memory,
        learning_rate,
        optimizer,
        device,
        random_state,
        verbose,
    ):
        super().__init__(
            n_clusters,
            hidden_layer_sizes=hidden_layer_sizes,
            latent_dim=latent_dim,
            image_shape=image_shape,
            conv_channels=conv_channels,
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )
        self.pretraining = pretraining
        self.pretrain_epochs = pretrain_epochs
        self.corruption = corruption
        self.neighbor_weight = neighbor_weight
        self.n_neighbors = n_neighbors
        self.augmentation = augmentation
        self.memory = memory

    def _check_params_against_data(self, X: np.ndarray) -> None:
        super()._check_params_against_data(X)
        if self.image_shape is not None and self.pretraining == "layerwise":
            raise ValueError(
                "pretraining='layerwise' trains a dense autoencoder layer by "
                "layer and is not available with image_shape; use "
                "pretraining='end-to-end' for the convolutional autoencoder."
            )
        self._augmentation_shape(X.shape[1])

    def _augmentation_shape(self, n_features: int) -> tuple[int, int, int] | None:
        """The shape of the images that ``augmentation`` shifts and rotates.

        ``image_shape`` when set; otherwise the rows must be square greyscale
        images, as DEC-DA assumes of flattened input.
        """
        if not self.augmentation:
            return None
        shape = self._image_shape(n_features)
        if shape is not None:
            return shape
        side = math.isqrt(n_features)
        if side * side != n_features or side < 2:
            raise ValueError(
                "augmentation=True shifts and rotates images, and X's "
                f"{n_features} features per row are not a square greyscale image. "
                "Pass image_shape=(channels, height, width), or augmentation=False."
            )
        return (1, side, side)

    def _fit_module(self, X: np.ndarray, state: FitState) -> torch.nn.Module:
        device = state.device
        # Separate seeds keep the cluster phase identical whether the pretrained
        # autoencoder comes from the cache or is trained now.
        pretrain_seed, cluster_seed = (
            int(s) for s in state.rng.randint(_SEED_BOUND, size=2)
        )
        pretrained = self._pretrain(X, device, pretrain_seed)
        state.history.extend(pretrained.history)
        state.n_iter = pretrained.n_epochs
        with seeded_torch(cluster_seed, device) as state.generator:
            module = self._build_module(pretrained.autoencoder).to(device)
            data = torch.tensor(X, dtype=torch.float32, device=device)
            self._initialize_clusters(module, X, state)
            self._cluster_phase(module, data, state)
        return module

    def _pretrain(
        self, X: np.ndarray, device: torch.device, seed: int
    ) -> PretrainedAutoencoder:
        """The autoencoder trained on reconstruction, through ``memory``'s cache.

        The cache key is ``X``, the pretraining parameters, the seed and the
        device; ``verbose`` is left out of it.
        """
        pretrain = check_memory(self.memory).cache(
            pretrain_autoencoder, ignore=["verbose"]
        )
        return pretrain(
            X,
            seed=seed,
            device=str(device),
            hidden_layer_sizes=tuple(self.hidden_layer_sizes),
            latent_dim=self.latent_dim,
            image_shape=self._image_shape(X.shape[1]),
            conv_channels=_as_tuple(self.conv_channels),
            pretraining=self.pretraining,
            pretrain_epochs=self.pretrain_epochs,
            corruption=self.corruption,
            neighbor_weight=self.neighbor_weight,
            n_neighbors=self.n_neighbors,
            augmentation=self._augmentation_shape(X.shape[1]),
            batch_size=self.batch_size,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            verbose=self.verbose,
        )

    def _build_module(self, autoencoder: torch.nn.Module) -> torch.nn.Module:
        """The pretrained autoencoder + a Student's t head on its embedding.

        Estimators that keep this default declare the kernel's ``alpha`` parameter.
        """
        return ClusteringAutoencoder(
            autoencoder,
            StudentTAssignment(self.n_clusters, self.latent_dim, self.alpha),
        )

    def _initialize_clusters(
        self, module: torch.nn.Module, X: np.ndarray, state: FitState
    ) -> None:
        """Place the centres by k-means (``n_init`` seeded restarts) on the embedding.

        Estimators that keep this default declare the ``n_init`` parameter.
        """
        embedding = self._embed(module, X, state.device)
        kmeans = KMeans(
            self.n_clusters,
            n_init=self.n_init,
            random_state=state.rng.randint(_SEED_BOUND),
        ).fit(embedding)
        with torch.no_grad():
            module.assignment.centers.copy_(torch.as_tensor(kmeans.cluster_centers_))

    def _standardize_embedding(
        self, module: torch.nn.Module, X: np.ndarray, state: FitState
    ) -> None:
        """Rescale the embedding of ``X`` to unit mean variance per dimension.

        The encoder's last layer is scaled and the decoder's first layer undoes
        it, so reconstructions do not change. Kernels of a fixed width (DEC's
        Student's t, DMAE's ``alpha``) then mean the same on every data set.
        """
        embedding = self._embed(module, X, state.device)
        scale = float(np.sqrt(embedding.var(axis=0).mean()))
        if scale > 0:
            module.autoencoder.rescale_embedding_(1.0 / scale)

    def _cluster_phase(
        self, module: torch.nn.Module, data: torch.Tensor, state: FitState
    ) -> None:
        """Train the clustering objective; methods without one leave this empty."""

    def _over_training_rows(
        self,
        module: torch.nn.Module,
        data: torch.Tensor,
        fn: Callable[[torch.nn.Module, torch.Tensor], torch.Tensor],
    ) -> torch.Tensor:
        """``fn(module, rows)`` over every training row, in chunks, without gradients.

        For the hooks inside the training loop, on the training tensor itself;
        the module is in eval mode during the call and back in its mode after.
        """
        was_training = module.training
        module.eval()
        with torch.no_grad():
            result = torch.cat(
                [
                    fn(module, data[start : start + self.batch_size])
                    for start in range(0, data.shape[0], self.batch_size)
                ]
            )
        module.train(was_training)
        return result

    def _assign_all(self, module: torch.nn.Module, data: torch.Tensor) -> torch.Tensor:
        """Soft assignments of every training row."""
        return self._over_training_rows(module, data, lambda m, rows: m(rows))

    def _set_cluster_attributes(self) -> None:
        """Set the fitted attributes of the clusters once ``_label_order`` is known.

        Default: ``cluster_centers_`` from the Student's t head's centres.
        """
        centers = to_numpy(self.module_.assignment.centers)
        self.cluster_centers_ = centers[self._label_order]

    def _score_tensor(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Negative squared distance of each embedded row to its nearest centre."""
        distances = squared_distances(module.encode(x), module.assignment.centers)
        return -distances.min(dim=1).values


class LabelChangeMonitor:
    """The ``tol`` rule of DEC and DMAE: converged once few labels still change.

    Each call compares the training labels with those of the previous call;
    when the fraction that changed is below ``tol`` (0 never stops), it returns
    True and ``converged`` becomes True.
    """

    def __init__(self, tol: float):
        self.tol = tol
        self.converged = False
        self._previous: torch.Tensor | None = None

    def __call__(self, labels: torch.Tensor) -> bool:
        if self._previous is not None:
            changed = (labels != self._previous).double().mean().item()
            self.converged = changed < self.tol
        self._previous = labels
        return self.converged


def _apply_in_batches(
    module: torch.nn.Module,
    device: torch.device,
    X: np.ndarray,
    batch_size: int,
    fn: Callable[[torch.nn.Module, torch.Tensor], torch.Tensor],
) -> np.ndarray:
    """``fn(module, rows)`` over ``X`` in chunks of ``batch_size``, as numpy.

    Memory is the output plus one chunk. On the CPU the computation runs in float64
    on a copy of the module: float32 matrix products differ by ~1e-7 with the
    number of rows in the call, float64 ones only by ~1e-16, so a row's result
    does not depend on which other rows share its chunk. Accelerators run in
    float32.
    """
    if device.type == "cpu":
        dtype = torch.float64
        module = copy.deepcopy(module).to(dtype)
    else:
        dtype = torch.float32
    module.eval()
    out = None
    with torch.inference_mode():
        for start in range(0, X.shape[0], batch_size):
            rows = torch.tensor(
                X[start : start + batch_size], dtype=dtype, device=device
            )
            chunk = fn(module, rows).cpu().numpy()
            if out is None:
                # Filled in place: no list of chunks next to their concatenation.
                out = np.empty((X.shape[0], *chunk.shape[1:]), dtype=chunk.dtype)
            out[start : start + len(chunk)] = chunk
    return out


def _label_order(columns: np.ndarray, n_clusters: int) -> np.ndarray:
    """Column order putting the clusters used by ``columns`` first.

    ``columns`` is the argmax column of each training row. Labels then run
    0..m-1 without gaps even when a cluster ends up empty; the unused clusters
    keep the last indices.
    """
    used = np.unique(columns)
    unused = np.setdiff1d(np.arange(n_clusters), used)
    return np.concatenate([used, unused])


def _relabel(columns: np.ndarray, label_order: np.ndarray) -> np.ndarray:
    """The labels of the module's cluster ``columns`` under ``label_order``.

    For the argmax columns of ``proba`` this is ``proba[:, label_order].argmax
    (axis=1)``, what predict returns, without copying ``proba``: the used
    clusters keep their relative order, so ties resolve the same way.
    """
    return np.argsort(label_order)[columns]


def _warn_if_clusters_are_empty(
    labels: np.ndarray, n_clusters: int, advice: str
) -> None:
    """Say so when training ends with fewer distinct clusters than asked for."""
    n_found = len(np.unique(labels))
    if n_found < n_clusters:
        warnings.warn(
            f"Only {n_found} of n_clusters={n_clusters} clusters hold training "
            "rows. The data may have fewer groups, or training merged clusters; "
            f"to keep them apart, try {advice}.",
            ConvergenceWarning,
            stacklevel=4,
        )


def _as_tuple(value):
    """Sequences as tuples (hashable, for the ``memory`` cache key); strings as is."""
    return value if isinstance(value, str) else tuple(value)


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
