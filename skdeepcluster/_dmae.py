"""DMAEClustering: the Dissimilarity Mixture Autoencoder (Lara & González, 2020)."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real

import numpy as np
import torch
from joblib import Memory
from sklearn.cluster import KMeans

from ._autoencoder import BaseRefiningClusterer
from ._base import FitState
from ._data import StreamedRows
from ._mixture_init import medoids, precision_factors
from ._utils import Interval, StrOptions, to_numpy
from .nn import ClusteringAutoencoder, DissimilarityMixture, losses
from .nn.dissimilarities import DISSIMILARITIES

# Dissimilarities whose centres k-means places; the others get medoids.
_KMEANS_INIT = {"euclidean", "sqeuclidean", "mahalanobis"}


class DMAEClustering(BaseRefiningClusterer):
    """Dissimilarity Mixture Autoencoder (DMAE) clustering.

    A mixture whose components are defined by a dissimilarity ``d`` (Euclidean,
    cosine, Manhattan, Mahalanobis, ... or your own) runs on the embedding of a
    pretrained autoencoder. Each row's soft assignment is
    ``s_ij = softmax_j(-alpha d(z_i, θ_j) + log π_j)``; the decoder reconstructs
    the row from its soft-assigned centre ``θ̃_i = Σ_j s_ij θ_j`` rather than
    from its embedding, so the centres must decode to typical rows of their
    clusters. The centres and mixing weights (and, with
    ``network_learning_rate > 0``, the encoder and decoder, as in the paper)
    are trained on the dissimilarity term plus the reconstruction term.

    With ``hidden_layer_sizes=()`` (and no ``image_shape``) there is no
    autoencoder: the mixture runs on the features themselves (scaled by one
    scalar, see ``rescale_embedding``), the paper's shallow dissimilarity
    mixture model, a k-means (or, with "mahalanobis", a Gaussian mixture) for
    any dissimilarity. It needs no pretraining and is fast on low-dimensional
    data.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    dissimilarity : str or callable, default="auto"
        ``d`` between an embedding and a centre: "euclidean" (not squared, as in
        the paper), "sqeuclidean", "cosine", "manhattan", "chebyshev",
        "minkowski" (order ``p``), "mahalanobis" (a trainable positive
        semi-definite matrix per cluster), or a callable
        ``f(embeddings, centers) -> (n, n_clusters)`` on torch tensors that is
        differentiable in both arguments (a module-level function, not a
        lambda, if the fitted model is to be pickled). "auto" is
        "mahalanobis" on an autoencoder's embedding and "euclidean" in the
        shallow model (see Notes); the choice made is ``dissimilarity_``.
    p : float, default=2.0
        Order of the "minkowski" dissimilarity; at least 1.
    alpha : float, default=10.0
        Inverse temperature of the soft assignment, in units of 1 / ``d``: the
        larger, the harder the assignments. With "mahalanobis" it only scales
        the learned matrices and does not change the model.
    mixture_loss : {"nll", "soft-center"}, default="nll"
        The dissimilarity term. "nll": the mixture's negative log-likelihood
        over ``alpha``, ``-log Σ_j π_j exp(-alpha D_ij) / alpha``
        (:func:`skdeepcluster.nn.losses.dissimilarity_mixture_nll`).
        "soft-center": the paper's ``d(z_i, θ̃_i) - log π̃_i / alpha``
        (:func:`skdeepcluster.nn.losses.dissimilarity_mixture_loss`). Both are
        equal for hard assignments; with soft ones the paper's term lets the
        mixing weights collapse onto one cluster (see Notes).
    dissimilarity_weight : float, default=1.0
        Weight of the dissimilarity term.
    reconstruction_weight : float, default=1.0
        Weight of the mean squared error between a row and the decoding of its
        soft-assigned centre. Not used in the shallow model.
    hidden_layer_sizes : tuple of int or "auto", default="auto"
        Widths of the dense encoder's hidden layers; the decoder mirrors them.
        Empty: the shallow model, with no autoencoder: the mixture runs on ``X``
        itself (see ``rescale_embedding``). "auto" is DEC's (500, 500, 2000),
        unless ``X`` has no more features than ``latent_dim``, where it is
        ``()``: there is nothing to compress, and a network trained to
        reconstruct such data can distort the geometry its clusters are in (on
        some low-dimensional sets it fell far below the shallow model, see the
        benchmark page). Ignored when ``image_shape`` is set.
    latent_dim : int, default=10
        Size of the embedding returned by :meth:`transform` (the number of
        features in the shallow model).
    image_shape : tuple of int, default=None
        ``(channels, height, width)`` of one image. When set, rows of ``X`` are
        flattened images (as :func:`~skdeepcluster.datasets.load_image_folder`
        returns them) and a convolutional autoencoder is used. One entry may
        be -1, inferred from the number of features as in ``numpy.reshape``.
    conv_channels : tuple of int or "auto", default="auto"
        Channels of the convolutional encoder's stride-2 layers; used only with
        ``image_shape``. "auto" is (32, 64, 128), with further 128-channel
        layers for images larger than 64 pixels on a side (five layers in all
        for 160x160), see :func:`~skdeepcluster.nn.conv_channels_for`.
    n_init : int, default=10
        Restarts of the initialisation (k-means, or the medoid search).
    update_interval : int or None, default=140
        Iterations (mini-batches) between two checks of the labels of the whole
        training set for ``tol``; None means once per epoch.
    tol : float, default=1e-3
        Training stops when the fraction of training rows whose label changed
        between two checks is below ``tol``. 0 disables the check.
    max_epochs : int, default=100
        Maximum number of passes over the data in the cluster phase.
    rescale_embedding : bool, default=True
        Before initialising the clusters, rescale the embedding by one scalar
        to unit mean variance per dimension (the decoder compensates), so that
        ``alpha`` and ``cluster_learning_rate`` mean the same on every data
        set. In the shallow model the embedding is then ``X`` divided by that
        scalar; False keeps the units of ``X``.
    batch_size : int, default=256
        Rows per mini-batch for training; inference runs in chunks of at
        least as many rows.
    pretraining : {"end-to-end", "layerwise"}, default="end-to-end"
        How the autoencoder is pretrained; see
        :class:`~skdeepcluster.DECClustering`.
    pretrain_epochs : int or "auto", default="auto"
        Passes over the data to pretrain the autoencoder; "auto" is 100, or
        for the dense network on 1,000 to 10,000 rows enough for 4,000
        mini-batch updates; see :class:`~skdeepcluster.AutoEncoderKMeans`.
    n_iter_no_change : int or None, default=10
        Each training phase stops once its mean loss has not improved (by a
        relative 1e-4) over this many consecutive checks. Each check covers
        20,000 rows trained on (100,000 in the pretraining, whose neighbour
        term's loss scatters more): a fraction of an epoch of large data,
        which then stops within an epoch once the loss is flat, and several
        epochs of small data, whose noisy per-epoch loss would stop it too
        early; the epoch budgets stay upper bounds. As ``n_iter_no_change`` of
        :class:`~sklearn.neural_network.MLPClassifier` (which checks per
        epoch). None runs every phase to its budget.
    corruption : float, default=0.0
        Dropout rate of the denoising corruption during pretraining.
    neighbor_weight : float, default=0.1
        Weight of the neighbour-embedding term of the pretraining; 0 pretrains
        the plain autoencoder (see :class:`~skdeepcluster.AutoEncoderKMeans`).
    n_neighbors : int, default=10
        Neighbours of each row in ``X`` for ``neighbor_weight`` (see
        :class:`~skdeepcluster.AutoEncoderKMeans`).
    neighbor_algorithm : {"auto", "exact", "nndescent", "partition"}, \
            default="auto"
        How those neighbours are searched: exactly up to 20,000 rows,
        approximately beyond (see :class:`~skdeepcluster.AutoEncoderKMeans`).
    augmentation : bool, default=False
        Pretrain on randomly shifted and rotated images (see
        :class:`~skdeepcluster.AutoEncoderKMeans`); the cluster phase sees the
        unchanged images. Not used in the shallow model.
    memory : str, joblib.Memory or None, default=None
        Caches the pretrained autoencoder (see
        :class:`~skdeepcluster.DECClustering`).
    learning_rate : float, default=1e-3
        Step size of the optimizer during pretraining.
    optimizer : {"adam", "sgd"}, default="adam"
        Optimizer of the pretraining; "sgd" uses momentum 0.9.
    cluster_learning_rate : float, default=1e-2
        Step size of the optimizer for the mixture's parameters (centres,
        mixing weights, Mahalanobis matrices) during the cluster phase, in the
        units of the standardised embedding.
    network_learning_rate : float, default=0.0
        Step size for the encoder and decoder during the cluster phase. 0 keeps
        the pretrained autoencoder fixed: the mixture is trained on its
        embedding. The paper trains all jointly (Adam, 1e-5), which lowered
        accuracy from the k-means start in our measurements (see Notes).
    cluster_optimizer : {"adam", "sgd"}, default="adam"
        Optimizer of the cluster phase (the reference code used Adam).
    device : str or torch.device, default="auto"
        "auto" (CUDA, then MPS, then CPU), "cpu", "cuda", "cuda:<index>", "mps"
        or a :class:`torch.device`.
    distributed : "auto" or bool, default="auto"
        Whether ``fit`` joins the torch.distributed process group: "auto" when
        one is initialised (a script started by ``torchrun``), True requires
        one, False fits on this process alone. In a group each process passes
        its own shard of the rows to ``fit``, ``batch_size`` is the batch of
        all processes together, and every process ends with the same fitted
        estimator; see :ref:`scaling_out`.
    random_state : int, RandomState instance or None, default=None
        Seeds network initialisation, batch order and the cluster
        initialisation. The same integer gives the same labels on the CPU.
    verbose : int, default=0
        0 silent, 1 a progress bar per phase (needs tqdm), 2 a line per
        history entry.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training row; equal to ``predict(X)``.
    cluster_centers_ : ndarray of shape (n_clusters, latent_dim)
        Centres ``θ_j`` in the embedding space.
    weights_ : ndarray of shape (n_clusters,)
        Mixing weights ``π_j``; positive, summing to one.
    dissimilarity_ : str or callable
        The dissimilarity used: ``dissimilarity`` with "auto" resolved.
    mahalanobis_matrices_ : ndarray of shape (n_clusters, latent_dim, latent_dim)
        Only where ``dissimilarity_`` is "mahalanobis" (the default with an
        autoencoder): the positive semi-definite ``M_j`` of
        ``d(z, θ_j) = (z - θ_j)ᵀ M_j (z - θ_j)``.
    converged_ : bool
        Whether the cluster phase stopped on ``tol`` or ``n_iter_no_change``
        rather than on ``max_epochs`` (which warns with a
        ``ConvergenceWarning``).
    n_iter_ : int
        Number of epochs begun by the last training phase, the cluster phase (a
        partial last epoch counts), at most ``max_epochs``.
    n_steps_ : int
        Number of mini-batch updates of the last training phase.
    module_ : torch.nn.Module
        The trained :class:`~skdeepcluster.nn.ClusteringAutoencoder` with a
        :class:`~skdeepcluster.nn.DissimilarityMixture` head.
    history_ : list of dict
        One ``{"phase", "epoch", "loss", "n_iterations"}`` entry per epoch of
        each phase, or per 20,000 rows of a longer epoch; ``epoch`` counts the
        epochs done.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`, when ``X`` has string column
        names.

    See Also
    --------
    DECClustering : self-training on a Student's t kernel instead of a mixture.
    sklearn.mixture.GaussianMixture : the shallow "mahalanobis" model, fitted by EM.

    Notes
    -----
    Choices where the two reference implementations disagree or are silent:

    - Loss: ``dissimilarity_weight * L_d + reconstruction_weight * MSE``, each
      a mean over rows. The reference code sums ``L_d`` over the batch and
      weights it 0.01 (old repository) or the MSE 0.01 (new one); means keep the
      balance independent of ``batch_size``.
    - ``L_d`` defaults to the mixture's negative log-likelihood
      (``mixture_loss="nll"``). The paper's term is lowest for a row halfway
      between two centres and, with soft assignments, rewards the largest
      cluster for growing: on clusters that differ by direction, shallow
      "cosine" emptied a cluster from a perfect start, which the likelihood
      kept.
    - The pretrained encoder and decoder stay fixed by default
      (``network_learning_rate=0``); the mixture is trained on the embedding,
      with the decoder's reconstruction of the soft centres in the loss. The
      paper fine-tunes everything jointly; measured on MNIST, that lowered
      accuracy below the k-means start and could merge every row into one
      cluster with "mahalanobis", while the mixture trained on the fixed
      embedding improved on it. A fixed network also means the embedding is
      computed once for the whole cluster phase. With
      ``network_learning_rate > 0`` the embedding is brought back to unit
      mean variance after every epoch (the decoder and the centres
      compensate), since the loss otherwise falls by shrinking it.
    - Mixing weights are a softmax of free parameters: positive and summing to
      one. Unnormalised weights, as in the reference, let ``-log π̃`` fall
      without bound.
    - "mahalanobis" adds the Gaussian normaliser ``½ log det M_j`` to the
      logits and the loss; without it, shrinking every ``M_j`` towards 0
      always lowers the loss. ``M_j`` starts at the inverse covariance of its
      k-means cluster divided by ``2 alpha``, which makes the initial model
      the Gaussian mixture of the k-means partition.
    - ``dissimilarity="auto"`` is "mahalanobis" on an autoencoder's
      embedding, where a learned matrix per cluster fits the clusters' shapes
      (it scored higher than "euclidean" on every data set measured, for
      about half again the cluster-phase time). In the shallow model it is
      "euclidean": a full matrix per cluster over raw features costs
      ``n_features²`` per cluster and over-fits pixels.
    - Initialisation: k-means (``n_init`` restarts) for "euclidean",
      "sqeuclidean" and "mahalanobis"; for the others and for callables,
      k-means++-style seeding by the dissimilarity followed by medoid updates,
      the best of ``n_init`` restarts. Mixing weights start uniform.
    - ``tol`` stopping, which the reference code implements but its
      experiments leave off, is on by default.
    - The pretraining adds the neighbour-embedding term of
      :class:`~skdeepcluster.AutoEncoderKMeans` (``neighbor_weight=0.1``) to the
      paper's plain autoencoder (``neighbor_weight=0``).

    The measurements behind these choices are on the
    :doc:`benchmark page </benchmarks>`.

    :meth:`predict_proba` is ``s``, :meth:`predict` its argmax, :meth:`transform`
    the embedding (the scaled features in the shallow model) and
    :meth:`score` the mean log-likelihood of the embedded rows under the
    mixture, divided by ``alpha`` (up to a constant).

    References
    ----------
    .. [1] Lara and González. "Dissimilarity Mixture Autoencoder for Deep
       Clustering." arXiv:2006.08177, 2020.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import DMAEClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> model = DMAEClustering(n_clusters=3, dissimilarity="manhattan",
    ...                        hidden_layer_sizes=(), max_epochs=5, random_state=0)
    >>> labels = model.fit_predict(X)
    >>> labels.shape, model.predict_proba(X).shape, model.cluster_centers_.shape
    ((60,), (60, 3), (3, 2))
    """

    _merged_clusters_advice = (
        "a smaller cluster_learning_rate, longer pretraining or another dissimilarity"
    )

    _parameter_constraints: dict = {
        **BaseRefiningClusterer._parameter_constraints,
        "dissimilarity": [StrOptions({"auto", *DISSIMILARITIES}), callable],
        "p": [Interval(Real, 1, None, closed="left")],
        "mixture_loss": [StrOptions({"nll", "soft-center"})],
        "dissimilarity_weight": [Interval(Real, 0, None, closed="left")],
        "network_learning_rate": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        dissimilarity: str | Callable = "auto",
        p: float = 2.0,
        alpha: float = 10.0,
        mixture_loss: str = "nll",
        dissimilarity_weight: float = 1.0,
        reconstruction_weight: float = 1.0,
        hidden_layer_sizes: tuple[int, ...] | str = "auto",
        latent_dim: int = 10,
        image_shape: tuple[int, int, int] | None = None,
        conv_channels: tuple[int, ...] | str = "auto",
        n_init: int = 10,
        update_interval: int | None = 140,
        tol: float = 1e-3,
        max_epochs: int = 100,
        rescale_embedding: bool = True,
        batch_size: int = 256,
        pretraining: str = "end-to-end",
        pretrain_epochs: int | str = "auto",
        n_iter_no_change: int | None = 10,
        corruption: float = 0.0,
        neighbor_weight: float = 0.1,
        n_neighbors: int = 10,
        neighbor_algorithm: str = "auto",
        augmentation: bool = False,
        memory: str | Memory | None = None,
        learning_rate: float = 1e-3,
        optimizer: str = "adam",
        cluster_learning_rate: float = 1e-2,
        network_learning_rate: float = 0.0,
        cluster_optimizer: str = "adam",
        device: str | torch.device = "auto",
        distributed: bool | str = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
    ):
        super().__init__(
            n_clusters,
            hidden_layer_sizes=hidden_layer_sizes,
            latent_dim=latent_dim,
            image_shape=image_shape,
            conv_channels=conv_channels,
            batch_size=batch_size,
            pretraining=pretraining,
            pretrain_epochs=pretrain_epochs,
            n_iter_no_change=n_iter_no_change,
            corruption=corruption,
            neighbor_weight=neighbor_weight,
            n_neighbors=n_neighbors,
            neighbor_algorithm=neighbor_algorithm,
            augmentation=augmentation,
            memory=memory,
            learning_rate=learning_rate,
            optimizer=optimizer,
            device=device,
            distributed=distributed,
            random_state=random_state,
            verbose=verbose,
        )
        self.dissimilarity = dissimilarity
        self.p = p
        self.alpha = alpha
        self.mixture_loss = mixture_loss
        self.dissimilarity_weight = dissimilarity_weight
        self.reconstruction_weight = reconstruction_weight
        self.n_init = n_init
        self.update_interval = update_interval
        self.tol = tol
        self.max_epochs = max_epochs
        self.rescale_embedding = rescale_embedding
        self.cluster_learning_rate = cluster_learning_rate
        self.network_learning_rate = network_learning_rate
        self.cluster_optimizer = cluster_optimizer

    def _check_params_vs_input(self, X: np.ndarray, n_samples: int) -> None:
        """Also resolves ``_dissimilarity`` ("auto" made concrete)."""
        super()._check_params_vs_input(X, n_samples)
        self._dissimilarity = self.dissimilarity
        if self.dissimilarity == "auto":
            self._dissimilarity = "euclidean" if self._shallow else "mahalanobis"

    def _build_module(
        self, X: np.ndarray, pretrained: torch.nn.Module
    ) -> torch.nn.Module:
        mixture = DissimilarityMixture(
            self.n_clusters,
            self._embedding_dim(X),
            self._dissimilarity,
            alpha=self.alpha,
            p=self.p,
        )
        return ClusteringAutoencoder(pretrained, mixture)

    def _place_clusters(
        self, module: torch.nn.Module, embedding: np.ndarray, state: FitState
    ) -> None:
        """k-means for the dissimilarities it minimises, else medoids."""
        mixture = module.assignment
        dissimilarity = self._dissimilarity
        factors = None
        if isinstance(dissimilarity, str) and dissimilarity in _KMEANS_INIT:
            kmeans = KMeans(
                self.n_clusters, n_init=self.n_init, random_state=state.seeds.init
            ).fit(embedding)
            centers = kmeans.cluster_centers_
            if dissimilarity == "mahalanobis":
                factors = precision_factors(
                    embedding, kmeans.labels_, self.n_clusters, self.alpha
                )
        else:
            candidates = torch.as_tensor(embedding)
            mixture.check_dissimilarity(candidates[: self.batch_size])
            centers = medoids(
                mixture, candidates, self.n_clusters, self.n_init, state.seeds.init
            )
        with torch.no_grad():
            mixture.centers.copy_(torch.as_tensor(centers))
            if factors is not None:
                mixture.factors.copy_(torch.as_tensor(factors))

    def _cluster_phase(
        self, module: torch.nn.Module, data: torch.Tensor, state: FitState
    ) -> None:
        autoencoder, mixture = module.autoencoder, module.assignment
        reconstruction_weight = 0.0 if self._shallow else self.reconstruction_weight
        network = list(autoencoder.parameters())
        trains_network = self.network_learning_rate > 0 and len(network) > 0
        groups = [{"params": list(mixture.parameters())}]
        if trains_network:
            groups.append({"params": network, "lr": self.network_learning_rate})
        # A fixed encoder gives the same embedding all phase long: encoded once,
        # unless it is as wide as streamed rows (the shallow model's features).
        encode_once = not trains_network and not (
            self._shallow and isinstance(data, StreamedRows)
        )
        embedding = self._embedding(module, data) if encode_once else None

        def embed(batch: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
            if embedding is None:
                return autoencoder.encode(batch)
            return embedding[indices]

        def loss(batch: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
            z = embed(batch, indices)
            s = mixture(z)
            if self.mixture_loss == "nll":
                term = losses.dissimilarity_mixture_nll(mixture, z)
            else:
                term = losses.dissimilarity_mixture_loss(mixture, z, s)
            total = self.dissimilarity_weight * term.mean()
            if reconstruction_weight > 0:
                reconstructed = autoencoder.decode(mixture.soft_centers(s))
                total = total + reconstruction_weight * losses.reconstruction_loss(
                    batch, reconstructed
                )
            return total

        def training_labels(iteration: int) -> torch.Tensor:
            if embedding is None:
                proba = self._map_rows(module, lambda m, rows: m(rows), data)
            else:
                proba = self._map_rows(mixture, lambda m, z: m(z), embedding)
            return proba.argmax(dim=1)

        def keep_scale(epoch: int) -> None:
            # The loss falls when the encoder shrinks the embedding and the
            # decoder undoes it; this undoes the shrinking instead.
            z = self._embedding(module, data)
            scale = self._collectives.variance(z).mean().sqrt().item()
            if scale > 0:
                autoencoder.rescale_embedding_(1.0 / scale)
                mixture.rescale_(1.0 / scale)

        keeps_scale = self.rescale_embedding and trains_network
        # A fixed network still passes gradients to the soft centres through
        # the decoder, but computes none for its own weights.
        for parameter in network:
            parameter.requires_grad_(trains_network)
        try:
            self._train_cluster_phase(
                module,
                data,
                loss,
                training_labels,
                state,
                parameters=groups,
                on_epoch_end=keep_scale if keeps_scale else None,
            )
        finally:
            for parameter in network:
                parameter.requires_grad_(True)

    def _set_cluster_attributes(self) -> None:
        super()._set_cluster_attributes()
        mixture = self.module_.assignment
        self.dissimilarity_ = self._dissimilarity
        with torch.no_grad():
            self.weights_ = to_numpy(mixture.weights)[self._label_order]
            if self.dissimilarity_ == "mahalanobis":
                matrices = to_numpy(mixture.matrices())
                self.mahalanobis_matrices_ = matrices[self._label_order]
            else:
                # A refit with another dissimilarity has no matrices.
                self.__dict__.pop("mahalanobis_matrices_", None)

    def _score_tensor(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Log-likelihood of each embedded row under the mixture, over ``alpha``."""
        return -losses.dissimilarity_mixture_nll(module.assignment, module.encode(x))
