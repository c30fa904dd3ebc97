"""The autoencoder family: pretraining (cached by ``memory``), then the clusters.

``BaseAutoencoderClusterer`` implements the fit template's hooks for the
estimators that cluster a pretrained autoencoder's embedding (AutoEncoderKMeans,
DEC, DMAE): ``_pretrain`` trains the autoencoder through
:func:`pretrain_autoencoder`, ``_build_module`` puts a Student's t head on it,
``_initialize_clusters`` runs k-means on the embedding. ``BaseRefiningClusterer``
adds what DEC and DMAE share: the rescaled embedding and a cluster phase with
its own optimizer, a ``tol`` check on the labels every ``update_interval``
iterations, and ``max_epochs``.

:func:`pretrain_autoencoder` is a pure function of the data, a
:class:`PretrainingSettings` and a seed, so that ``joblib.Memory`` can cache
it: a grid search over cluster-phase parameters then pretrains once per
distinct training set. Two schemes go through the one training loop:

``"end-to-end"``
    the whole autoencoder learns to reconstruct its (optionally corrupted) input,
    as in DEC-keras and IDEC;
``"layerwise"``
    the greedy stacked denoising autoencoder of the original DEC code: each
    encoder layer and its mirror in the decoder are trained as a one-hidden-layer
    autoencoder on the previous layer's output, with dropout ``corruption`` on
    that input (not on the raw features) and on the hidden units; then the whole
    autoencoder is fine-tuned end to end without corruption.

With ``neighbor_weight > 0`` the end-to-end stage (the fine-tuning, after
layer-wise stages) adds a neighbour-embedding term to the reconstruction: each
row's embedding is pulled towards that of one of its mutual neighbours among
its ``n_neighbors`` nearest rows in the input (its nearest row when it has
none), and that neighbour's embedding is pushed from ``N_NEGATIVES`` random
rows of the batch (the edge loss of parametric UMAP,
:func:`~skdeepcluster.nn.losses.neighbor_embedding_loss`). The neighbours are
found once, exactly on small data and approximately on large data
(:mod:`skdeepcluster._neighbors`).

With ``augmentation`` set to an image shape, the end-to-end stage learns to
reconstruct randomly shifted and rotated images instead of the images
themselves (:func:`~skdeepcluster.nn.random_affine`), as in DEC-DA; the
neighbours are still found among, and encoded from, the unchanged images.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.sparse
import torch
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_memory
from torch import nn
from torch.nn import functional as F

from . import _training
from ._base import BaseDeepClusterer, FitState
from ._data import StreamedArray, to_device
from ._distributed import Collectives
from ._neighbors import NEIGHBOR_ALGORITHMS, find_neighbors, resolve_neighbor_algorithm
from ._utils import HasMethods, Interval, StrOptions, seeded_torch, to_numpy
from .nn import (
    ClusteringAutoencoder,
    ConvAutoencoder,
    MLPAutoencoder,
    ScaleAutoencoder,
    StudentTAssignment,
    mutual_neighbors,
    random_affine,
    squared_distances,
)
from .nn.losses import neighbor_embedding_loss, reconstruction_loss

PRETRAINING_SCHEMES = ("end-to-end", "layerwise")
DENSE_HIDDEN_LAYER_SIZES = (500, 500, 2000)
"""The dense encoder's hidden layers under ``hidden_layer_sizes="auto"``: DEC's."""
N_NEGATIVES = 5
PRETRAIN_EPOCHS = 100
"""Epochs of ``pretrain_epochs="auto"``, except for a dense network on data of
at least ``MIN_ROWS_FOR_MORE_UPDATES`` rows and fewer than 40 mini-batches."""
MIN_PRETRAIN_UPDATES = 4_000
"""Mini-batch updates ``pretrain_epochs="auto"`` gives a dense network on
smaller data, as many as 100 epochs give 10,000 rows at ``batch_size=256``:
on the digits the embedding's quality followed the updates, not the passes
(the original DEC counted its pretraining in iterations)."""
MIN_ROWS_FOR_MORE_UPDATES = 1_000
"""Rows below which ``pretrain_epochs="auto"`` stays at 100 epochs: on wine's
178 rows the network trained for 4,000 updates moved away from the partition
k-means finds on the features, and breast cancer's 569 gained nothing from
them (the benchmark page has the figures)."""
PRETRAINING_PLATEAU_ROWS = 100_000
"""Rows behind each ``n_iter_no_change`` check of the pretraining, five of the
loop's records: the neighbour term's loss scatters from one record to the
next by more than it falls over several, and checks of one record stopped a
full-MNIST pretraining on that scatter, before two merged digits had
separated in its embedding (the benchmark page has the figures). The other
phases keep the loop's one-record checks, with which GMVAE's fit of millions
of rows stops in minutes."""


@dataclass(frozen=True)
class PretrainingSettings:
    """Everything :func:`pretrain_autoencoder` needs besides the data and the seed.

    Frozen and made of tuples, numbers and strings, so that it is part of the
    ``memory`` cache key. ``image_shape`` and ``augmentation`` are resolved
    ``(channels, height, width)`` shapes or None; ``pretrain_epochs`` is the
    budget of each stage.
    """

    hidden_layer_sizes: tuple[int, ...]
    latent_dim: int
    image_shape: tuple[int, int, int] | None
    conv_channels: tuple[int, ...] | str
    pretraining: str
    pretrain_epochs: int
    n_iter_no_change: int | None
    corruption: float
    neighbor_weight: float
    n_neighbors: int
    neighbor_algorithm: str
    augmentation: tuple[int, int, int] | None
    batch_size: int
    optimizer: str
    learning_rate: float
    device: str


class PretrainedAutoencoder(NamedTuple):
    """The result of :func:`pretrain_autoencoder`.

    ``result`` is the training result of the last stage (the end-to-end one).
    """

    autoencoder: nn.Module
    history: list[dict]
    result: _training.TrainingResult


def build_autoencoder(n_features: int, settings: PretrainingSettings) -> nn.Module:
    """Dense autoencoder, or the convolutional one when ``image_shape`` is set."""
    if settings.image_shape is None:
        return MLPAutoencoder(
            n_features, settings.hidden_layer_sizes, settings.latent_dim
        )
    return ConvAutoencoder(
        settings.image_shape, settings.conv_channels, settings.latent_dim
    )


def pretrain_autoencoder(
    X: np.ndarray,
    settings: PretrainingSettings,
    seed: int,
    *,
    data: torch.Tensor | None = None,
    verbose: int = 0,
    collectives: Collectives | None = None,
) -> PretrainedAutoencoder:
    """Build an autoencoder seeded by ``seed`` and train it to reconstruct ``X``.

    ``data`` is ``X`` already on the settings' device (the estimator's one
    upload); it is left out of the cache key, which ``X`` makes. With
    ``pretraining="layerwise"`` each layer's stage runs ``pretrain_epochs``
    before the end-to-end stage. ``n_neighbors`` is capped at ``len(X) - 1``;
    a single row has no neighbour term. In a process group (``collectives``)
    ``X`` is this process's shard: rank 0's initial network is sent to all,
    the loop averages the gradients, and the neighbour term pairs rows of the
    same shard (each process searches its own rows).
    """
    device = torch.device(settings.device)
    collectives = collectives or Collectives()
    if data is None:
        data = to_device(X, device)
    with seeded_torch(seed, device) as generator:
        autoencoder = build_autoencoder(X.shape[1], settings).to(device)
        collectives.broadcast_module(autoencoder)
        history: list[dict] = []

        def train(module, loss, phase):
            return _training.train(
                module,
                data,
                loss,
                phase=phase,
                n_epochs=settings.pretrain_epochs,
                n_iter_no_change=settings.n_iter_no_change,
                plateau_rows=PRETRAINING_PLATEAU_ROWS,
                batch_size=settings.batch_size,
                optimizer=settings.optimizer,
                learning_rate=settings.learning_rate,
                generator=generator,
                history=history,
                verbose=verbose,
                collectives=collectives,
            )

        corruption = settings.corruption
        if settings.pretraining == "layerwise":
            for stage, (module, loss) in enumerate(
                _layer_stages(autoencoder, corruption), start=1
            ):
                train(module, loss, f"pretrain-layer{stage}")
            corruption = 0.0

        neighbor_loss = None
        if settings.neighbor_weight > 0 and len(X) > 1:
            neighbors = find_neighbors(
                data,
                min(settings.n_neighbors, len(X) - 1),
                settings.neighbor_algorithm,
                seed,
            )
            neighbor_loss = _neighbor_loss(autoencoder, data, neighbors, generator)

        def end_to_end_loss(batch, indices):
            if settings.augmentation is not None:
                batch = random_affine(batch, settings.augmentation, generator)
            z = autoencoder.encode(F.dropout(batch, corruption))
            loss = reconstruction_loss(batch, autoencoder.decode(z))
            if neighbor_loss is not None:
                loss = loss + settings.neighbor_weight * neighbor_loss(z, indices)
            return loss

        result = train(autoencoder, end_to_end_loss, "pretrain")
    return PretrainedAutoencoder(autoencoder, history, result)


def _neighbor_loss(
    autoencoder: nn.Module,
    data: torch.Tensor,
    neighbors: torch.Tensor,
    generator: torch.Generator,
):
    """``loss(z, indices)``: the neighbour-embedding term of a batch.

    Each row of the batch gets one of its mutual neighbours among its nearest
    rows ``neighbors`` at random (its nearest row when it has none), encoded
    with the current network, and ``N_NEGATIVES`` random rows of the batch to
    be pushed from.
    """
    neighbors, counts = mutual_neighbors(neighbors)

    def loss(z, indices):
        n = indices.shape[0]
        draws = torch.rand(n, generator=generator, device=data.device)
        pick = (draws * counts[indices]).long()
        z_neighbors = autoencoder.encode(data[neighbors[indices, pick]])
        negatives = torch.randint(
            n, (n, N_NEGATIVES), generator=generator, device=data.device
        )
        return neighbor_embedding_loss(z, z_neighbors, negatives)

    return loss


def _layer_stages(autoencoder: MLPAutoencoder, corruption: float):
    """``(module, batch_loss)`` of each greedy stage of a dense autoencoder.

    Stage ``i`` pairs encoder layer ``i`` with its mirror in the decoder. Its
    input is the output of the (already trained, frozen) encoder layers before
    it; it reconstructs that input. The activations are those the layers have in
    the full network: ReLU everywhere except on the embedding and on the output.
    """
    encoder = [m for m in autoencoder.encoder if isinstance(m, nn.Linear)]
    decoder = [m for m in autoencoder.decoder if isinstance(m, nn.Linear)]
    n_layers = len(encoder)
    for i in range(n_layers):
        encode, decode = encoder[i], decoder[n_layers - 1 - i]
        # mlp() builds [Linear, ReLU] pairs, so 2*i modules are the first i layers.
        frozen = autoencoder.encoder[: 2 * i]
        hidden_relu = i < n_layers - 1
        output_relu = i > 0
        input_rate = corruption if i > 0 else 0.0

        def loss(
            batch,
            indices,
            encode=encode,
            decode=decode,
            frozen=frozen,
            hidden_relu=hidden_relu,
            output_relu=output_relu,
            input_rate=input_rate,
        ):
            with torch.no_grad():
                inputs = frozen(batch)
            hidden = encode(F.dropout(inputs, input_rate))
            if hidden_relu:
                hidden = F.relu(hidden)
            output = decode(F.dropout(hidden, corruption))
            if output_relu:
                output = F.relu(output)
            return reconstruction_loss(inputs, output)

        yield nn.ModuleList([encode, decode]), loss


class BaseAutoencoderClusterer(BaseDeepClusterer):
    """Base of the estimators that cluster a pretrained autoencoder's embedding.

    Adds the pretraining parameters, and ``n_init`` and ``alpha``, read by the
    default k-means initialisation and Student's t head. See
    :class:`~skdeepcluster.AutoEncoderKMeans` for the parameters.
    """

    _merged_clusters_advice = "longer pretraining or another random_state"

    _parameter_constraints: dict = {
        **BaseDeepClusterer._parameter_constraints,
        "hidden_layer_sizes": ["array-like", StrOptions({"auto"})],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "pretraining": [StrOptions(set(PRETRAINING_SCHEMES))],
        "pretrain_epochs": [
            Interval(Integral, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "corruption": [Interval(Real, 0, 1, closed="left")],
        "neighbor_weight": [Interval(Real, 0, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "neighbor_algorithm": [StrOptions(set(NEIGHBOR_ALGORITHMS))],
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
        n_iter_no_change,
        corruption,
        neighbor_weight,
        n_neighbors,
        neighbor_algorithm,
        augmentation,
        memory,
        learning_rate,
        optimizer,
        device,
        distributed,
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
            n_iter_no_change=n_iter_no_change,
            learning_rate=learning_rate,
            optimizer=optimizer,
            device=device,
            distributed=distributed,
            random_state=random_state,
            verbose=verbose,
        )
        self.pretraining = pretraining
        self.pretrain_epochs = pretrain_epochs
        self.corruption = corruption
        self.neighbor_weight = neighbor_weight
        self.n_neighbors = n_neighbors
        self.neighbor_algorithm = neighbor_algorithm
        self.augmentation = augmentation
        self.memory = memory

    def _check_params_vs_input(self, X: np.ndarray, n_samples: int) -> None:
        """Also resolves the network, the augmentation and the neighbour search.

        ``_hidden_layer_sizes`` is ``hidden_layer_sizes`` with "auto" made
        concrete (:func:`resolve_hidden_layer_sizes`); ``_shallow`` says that
        the dense network has no hidden layer, so that there is no autoencoder
        (the clusters are placed on the features, see :meth:`_pretrain`).
        ``_augmentation_shape`` is the shape of the images ``augmentation``
        moves: ``image_shape`` when set; otherwise the rows must be square
        greyscale images, as DEC-DA assumes of flattened input.
        ``_neighbor_algorithm`` is the search the neighbour term runs (None
        without one). ``_pretrain_epochs`` is ``pretrain_epochs`` with "auto"
        made concrete (:func:`resolve_pretrain_epochs`).
        """
        super()._check_params_vs_input(X, n_samples)
        self._pretrain_epochs = resolve_pretrain_epochs(
            self.pretrain_epochs,
            n_samples,
            self.batch_size,
            dense=self._image_shape is None,
        )
        self._hidden_layer_sizes = resolve_hidden_layer_sizes(
            self.hidden_layer_sizes, X.shape[1], self.latent_dim
        )
        self._shallow = self._image_shape is None and not self._hidden_layer_sizes
        if self.image_shape is not None and self.pretraining == "layerwise":
            raise ValueError(
                "pretraining='layerwise' trains a dense autoencoder layer by "
                "layer and is not available with image_shape; use "
                "pretraining='end-to-end' for the convolutional autoencoder."
            )
        self._augmentation_shape = None
        if self.augmentation:
            self._augmentation_shape = self._image_shape or _square_image(X.shape[1])
        self._neighbor_algorithm = None
        if self.neighbor_weight > 0 and len(X) > 1 and not self._shallow:
            self._neighbor_algorithm = resolve_neighbor_algorithm(
                self.neighbor_algorithm, len(X)
            )

    def _pretrain(
        self, X: np.ndarray, data: torch.Tensor, state: FitState
    ) -> torch.nn.Module:
        """The autoencoder trained on reconstruction, through ``memory``'s cache.

        The cache key is ``X``, the :class:`PretrainingSettings` and the seed;
        ``verbose`` and the device copy of ``X`` are left out of it. The shallow
        model has nothing to pretrain: its "autoencoder" is a
        :class:`~skdeepcluster.nn.ScaleAutoencoder`, the features times a scalar.
        """
        if self._shallow:
            return ScaleAutoencoder()
        if self.memory is not None and self._collectives.active:
            raise ValueError(
                "memory caches the pretraining of one process's data, and this "
                "fit spans a torch.distributed process group: a cache hit on "
                "some processes only would leave the others waiting. Pass "
                "memory=None, or distributed=False."
            )
        if self.memory is not None and not _hashable_by_content(X):
            raise ValueError(
                "memory caches the pretraining under a hash of X's values, and "
                f"X of type {type(X.array).__name__} is read a block at a time; "
                "pass a numpy array, a numpy.memmap or a sparse matrix, or "
                "memory=None."
            )
        pretrain = check_memory(self.memory).cache(
            pretrain_autoencoder, ignore=["data", "verbose", "collectives"]
        )
        pretrained = pretrain(
            X,
            self._pretraining_settings(),
            state.seeds.pretrain,
            data=data,
            verbose=self.verbose,
            collectives=self._collectives,
        )
        state.history.extend(pretrained.history)
        state.result = pretrained.result
        return pretrained.autoencoder

    def _pretraining_settings(self) -> PretrainingSettings:
        """This fit's pretraining parameters, resolved, as one hashable key."""
        return PretrainingSettings(
            hidden_layer_sizes=self._hidden_layer_sizes,
            latent_dim=self.latent_dim,
            image_shape=self._image_shape,
            conv_channels=(
                self.conv_channels
                if isinstance(self.conv_channels, str)
                else tuple(self.conv_channels)
            ),
            pretraining=self.pretraining,
            pretrain_epochs=self._pretrain_epochs,
            n_iter_no_change=self.n_iter_no_change,
            corruption=self.corruption,
            neighbor_weight=self.neighbor_weight,
            n_neighbors=self.n_neighbors,
            neighbor_algorithm=self._neighbor_algorithm,
            augmentation=self._augmentation_shape,
            batch_size=self.batch_size,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            device=str(self._device),
        )

    def _build_module(
        self, X: np.ndarray, pretrained: torch.nn.Module
    ) -> torch.nn.Module:
        """The pretrained autoencoder + a Student's t head on its embedding."""
        return ClusteringAutoencoder(
            pretrained,
            StudentTAssignment(self.n_clusters, self._embedding_dim(X), self.alpha),
        )

    def _embedding_dim(self, X: np.ndarray) -> int:
        """``latent_dim``, or the number of features in the shallow model."""
        return X.shape[1] if self._shallow else self.latent_dim

    def _initialize_clusters(
        self, module: torch.nn.Module, data: torch.Tensor, state: FitState
    ) -> None:
        rows = self._initialization_rows(data, state)
        self._prepare_embedding(module, rows)
        embedding = self._embedding(module, rows).cpu().numpy().astype(np.float64)
        self._place_clusters(module, embedding, state)

    def _prepare_embedding(self, module: torch.nn.Module, rows: torch.Tensor) -> None:
        """Adjust the encoder before clusters are placed on its embedding of ``rows``.

        Default: nothing.
        """

    def _place_clusters(
        self, module: torch.nn.Module, embedding: np.ndarray, state: FitState
    ) -> None:
        """Centres of k-means (``n_init`` restarts) on the training embedding."""
        kmeans = KMeans(
            self.n_clusters, n_init=self.n_init, random_state=state.seeds.init
        ).fit(embedding)
        with torch.no_grad():
            module.assignment.centers.copy_(torch.as_tensor(kmeans.cluster_centers_))

    def _embedding(self, module: torch.nn.Module, data: torch.Tensor) -> torch.Tensor:
        """The embedding of the training rows by ``module``'s current encoder."""
        return self._map_rows(module, lambda m, rows: m.encode(rows), data)

    def _set_cluster_attributes(self) -> None:
        """Default: ``cluster_centers_`` from the Student's t head's centres."""
        centers = to_numpy(self.module_.assignment.centers)
        self.cluster_centers_ = centers[self._label_order]

    def _score_tensor(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Negative squared distance of each embedded row to its nearest centre."""
        distances = squared_distances(module.encode(x), module.assignment.centers)
        return -distances.min(dim=1).values


class BaseRefiningClusterer(BaseAutoencoderClusterer):
    """Base of the estimators that train a clustering loss after k-means (DEC, DMAE).

    Before the clusters are placed, the embedding may be rescaled
    (``rescale_embedding``); the cluster phase then runs with its own optimizer
    (``cluster_optimizer``, ``cluster_learning_rate``) for at most
    ``max_epochs``, and stops once fewer than a fraction ``tol`` of the
    training labels changed between two checks ``update_interval`` iterations
    apart. See :class:`~skdeepcluster.DECClustering` for the parameters.
    """

    _parameter_constraints: dict = {
        **BaseAutoencoderClusterer._parameter_constraints,
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "update_interval": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, 1, closed="both")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "rescale_embedding": ["boolean"],
        "cluster_optimizer": [StrOptions(set(_training.OPTIMIZERS))],
        "cluster_learning_rate": [Interval(Real, 0, None, closed="neither")],
    }

    def _prepare_embedding(self, module: torch.nn.Module, rows: torch.Tensor) -> None:
        """With ``rescale_embedding``, scale the embedding to unit mean variance.

        The encoder's last layer is scaled and the decoder's first layer undoes
        it, so reconstructions do not change. Kernels of a fixed width (DEC's
        Student's t, DMAE's ``alpha``) then mean the same on every data set.
        """
        if not self.rescale_embedding:
            return
        embedding = self._embedding(module, rows).cpu().numpy().astype(np.float64)
        scale = float(np.sqrt(embedding.var(axis=0).mean()))
        if scale > 0:
            module.autoencoder.rescale_embedding_(1.0 / scale)

    def _train_cluster_phase(
        self,
        module: torch.nn.Module,
        data: torch.Tensor,
        batch_loss: _training.BatchLoss,
        training_labels: _training.IntervalHook,
        state: FitState,
        **options,
    ) -> None:
        """Run the cluster phase through the loop, with the ``tol`` check.

        ``training_labels(iteration)`` runs every ``update_interval``
        iterations and returns the labels of all training rows. Sets
        ``converged_`` (stopped by ``tol`` or ``n_iter_no_change``), and warns
        when ``max_epochs`` ran out first.
        """
        result = self._train(
            module,
            data,
            batch_loss,
            state,
            phase="cluster",
            n_epochs=self.max_epochs,
            optimizer=self.cluster_optimizer,
            learning_rate=self.cluster_learning_rate,
            learning_rate_name="cluster_learning_rate",
            interval=self.update_interval,
            on_interval=training_labels,
            tol=self.tol,
            **options,
        )
        self.converged_ = bool(result.converged)
        if result.converged is False and result.n_epochs > 0:
            plateau = options.get("n_iter_no_change", self.n_iter_no_change)
            loss_rule = (
                ""
                if plateau is None
                else f", and its loss improved within n_iter_no_change={plateau}"
            )
            warnings.warn(
                f"The cluster phase of {type(self).__name__} ran max_epochs="
                f"{self.max_epochs} epochs without converging: more than tol="
                f"{self.tol} of the training labels still changed between two "
                f"checks{loss_rule}. Raise max_epochs or tol, or lower "
                "cluster_learning_rate.",
                ConvergenceWarning,
                stacklevel=5,
            )


def resolve_pretrain_epochs(
    pretrain_epochs: int | str, n_samples: int, batch_size: int, dense: bool
) -> int:
    """The pretraining's epoch budget: ``pretrain_epochs``, "auto" made concrete.

    "auto" is 100 epochs, or for a dense network on 1,000 rows or more that
    make fewer than 40 mini-batches as many epochs as make 4,000 mini-batch
    updates: the epochs grow as the rows shrink, so that such data is
    trained as long as 10,000 rows are. Fewer rows keep 100 epochs, on which
    the network stays closer to the features; so do convolutional networks,
    whose updates on large images cost many times more.

    Parameters
    ----------
    pretrain_epochs : int or "auto"
        The estimator's parameter.
    n_samples : int
        Training rows (of all processes).
    batch_size : int
        Rows per mini-batch (of all processes).
    dense : bool
        Whether the autoencoder is the dense network.

    Returns
    -------
    int
        Epochs of each pretraining stage.

    Examples
    --------
    >>> from skdeepcluster._autoencoder import resolve_pretrain_epochs
    >>> resolve_pretrain_epochs("auto", 70_000, 256, dense=True)
    100
    >>> resolve_pretrain_epochs("auto", 1797, 256, dense=True)
    500
    >>> resolve_pretrain_epochs("auto", 1797, 256, dense=False)
    100
    >>> resolve_pretrain_epochs("auto", 178, 256, dense=True)
    100
    >>> resolve_pretrain_epochs(20, 1797, 256, dense=True)
    20
    """
    if pretrain_epochs != "auto":
        return pretrain_epochs
    if not dense or n_samples < MIN_ROWS_FOR_MORE_UPDATES:
        return PRETRAIN_EPOCHS
    updates_per_epoch = math.ceil(n_samples / batch_size)
    return max(PRETRAIN_EPOCHS, math.ceil(MIN_PRETRAIN_UPDATES / updates_per_epoch))


def resolve_hidden_layer_sizes(
    hidden_layer_sizes: tuple[int, ...] | str, n_features: int, latent_dim: int
) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple, "auto" made concrete.

    "auto" is :data:`DENSE_HIDDEN_LAYER_SIZES`, unless the rows have no more
    features than the embedding would (``n_features <= latent_dim``): there is
    then nothing for an encoder to compress, and a network trained to
    reconstruct such data can distort the geometry the clusters are in, so
    "auto" is ``()``, the shallow model on the features themselves.
    """
    if isinstance(hidden_layer_sizes, str):
        if n_features <= latent_dim:
            return ()
        return DENSE_HIDDEN_LAYER_SIZES
    return tuple(hidden_layer_sizes)


def _hashable_by_content(X: np.ndarray | StreamedArray) -> bool:
    """Whether joblib can hash ``X`` by its values (numpy and scipy arrays)."""
    if not isinstance(X, StreamedArray):
        return True
    return isinstance(X.array, np.ndarray) or scipy.sparse.issparse(X.array)


def _square_image(n_features: int) -> tuple[int, int, int]:
    """The shape of rows read as square greyscale images (784 features: 28x28)."""
    side = math.isqrt(n_features)
    if side * side != n_features or side < 2:
        raise ValueError(
            "augmentation=True shifts and rotates images, and X's "
            f"{n_features} features per row are not a square greyscale image. "
            "Pass image_shape=(channels, height, width), or augmentation=False."
        )
    return (1, side, side)
