"""DECClustering: Deep Embedded Clustering (DEC) and its IDEC variant."""

from __future__ import annotations

import numpy as np
import torch
from joblib import Memory

from ._autoencoder import BaseRefiningClusterer
from ._base import FitState
from .nn import losses, random_affine


class DECClustering(BaseRefiningClusterer):
    """Deep Embedded Clustering (DEC), with IDEC's reconstruction term as an option.

    An autoencoder is pretrained on reconstruction; k-means on its embedding
    places ``n_clusters`` centres; then the encoder and the centres are trained
    together to minimise ``KL(P || Q)`` between the Student's t soft assignments
    ``Q`` and a sharpened target ``P`` computed from ``Q`` on the whole training
    set every ``update_interval`` iterations. Training stops when fewer than a
    fraction ``tol`` of the labels changed between two target updates, or after
    ``max_epochs``.

    With ``reconstruction_weight > 0`` the decoder is kept and its
    reconstruction error is added to the loss (IDEC), which preserves the local
    structure of the embedding. With ``image_shape`` set, a DCEC-style
    convolutional autoencoder replaces the dense one.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    hidden_layer_sizes : tuple of int or "auto", default="auto"
        Widths of the dense encoder's hidden layers; the decoder mirrors them.
        Empty: the shallow model, with no autoencoder: DEC's clustering layer
        runs on ``X`` itself (see ``rescale_embedding``). "auto" is DEC's (500,
        500, 2000), unless ``X`` has no more features than ``latent_dim``, where
        it is ``()``: there is nothing to compress, and a network trained to
        reconstruct such data can distort the geometry its clusters are in (on
        some low-dimensional sets it fell far below the shallow model, see the
        benchmark page). Ignored when ``image_shape`` is set.
    latent_dim : int, default=10
        Size of the embedding returned by :meth:`transform` (the number of
        features in the shallow model).
    image_shape : tuple of int, default=None
        ``(channels, height, width)`` of one image. When set, rows of ``X`` are
        flattened images (as :func:`~skdeepcluster.datasets.load_image_folder`
        returns them) and a convolutional autoencoder is used (DCEC). One entry
        may be -1, inferred from the number of features as in ``numpy.reshape``.
    conv_channels : tuple of int or "auto", default="auto"
        Channels of the convolutional encoder's stride-2 layers; used only with
        ``image_shape``. "auto" is (32, 64, 128), with further 128-channel
        layers for images larger than 64 pixels on a side (five layers in all
        for 160x160), see :func:`~skdeepcluster.nn.conv_channels_for`.
    n_init : int, default=20
        Number of k-means restarts that initialise the centres.
    alpha : float, default=1.0
        Degrees of freedom of the Student's t kernel,
        ``q_ij ∝ (1 + |z_i - mu_j|² / alpha)^(-(alpha + 1)/2)``.
    reconstruction_weight : float, default=0.0
        Weight ``w`` of the reconstruction error in the cluster-phase loss
        ``KL(P || Q) + w * L_rec``. 0 is DEC (the decoder is discarded). IDEC's
        ``L_rec + 0.1 * KL`` is ``w = 10`` with the loss scaled by 10, which Adam
        does not see; with SGD also divide ``cluster_learning_rate`` by 10 to
        reproduce it exactly.
    update_interval : int or None, default=140
        Iterations (mini-batches) between two computations of the target ``P``
        on the whole training set; None means once per epoch. The default is
        DEC-keras' MNIST setting (the original code used 160). Small data sets
        need it in iterations rather than epochs: with a few batches per epoch
        the labels barely move between two updates and ``tol`` would stop
        training before it started.
    tol : float, default=1e-3
        Training stops when the fraction of training rows whose label changed
        between two target updates is below ``tol``. 0 disables the check.
    max_epochs : int, default=200
        Maximum number of passes over the data in the cluster phase.
    rescale_embedding : bool, default=True
        Before k-means, rescale the pretrained embedding (the encoder's last
        layer, with the decoder's first layer compensating, so reconstructions
        do not change) to unit mean variance per dimension. The Student's t
        kernel has a fixed unit width: on embeddings whose clusters are much
        closer than 1 (common for small data sets), ``Q`` is almost uniform and
        self-training degrades the clusters. False keeps the scale pretraining
        gave, as the reference code.
    batch_size : int, default=256
        Rows per mini-batch for training; inference runs in chunks of at
        least as many rows.
    pretraining : {"end-to-end", "layerwise"}, default="end-to-end"
        How the autoencoder is pretrained: as a whole ("end-to-end", DEC-keras
        and IDEC), or greedily layer by layer as a stacked denoising autoencoder
        and then fine-tuned as a whole ("layerwise", the original DEC code;
        dense network only).
    pretrain_epochs : int or "auto", default="auto"
        Passes over the data to train the autoencoder; with "layerwise", the
        budget of each layer's stage and of the fine-tuning. "auto" is 100,
        or for the dense network on 1,000 to 10,000 rows enough for 4,000
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
        epoch). None runs every phase to its budget. The cluster phase
        stops on ``tol`` instead: its loss is measured against a target that
        changes every ``update_interval`` iterations.
    corruption : float, default=0.0
        Dropout rate of the denoising corruption during pretraining. With
        "end-to-end" it zeroes input values; with "layerwise" it applies to each
        stage's hidden units and to the input of every stage but the first (the
        original DEC used 0.2), and the fine-tuning is not corrupted.
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
        Shift and rotate the images at random, as DEC-DA (Guo et al., 2018)
        does: the pretraining reconstructs the transformed images (see
        :class:`~skdeepcluster.AutoEncoderKMeans`), and the cluster phase fits
        the soft assignment of each transformed image to the target computed
        on the unchanged images. Rows are images of ``image_shape``, or
        without it square greyscale images.
    memory : str, joblib.Memory or None, default=None
        Caches the pretrained autoencoder, keyed on the data, the pretraining
        parameters, the seed and the device, as ``Pipeline(memory=...)`` caches
        transformers: a grid search over cluster-phase parameters then
        pretrains once per training set. A string is a cache directory.
    learning_rate : float, default=1e-3
        Step size of the optimizer during pretraining.
    optimizer : {"adam", "sgd"}, default="adam"
        Optimizer of the pretraining; "sgd" uses momentum 0.9.
    cluster_learning_rate : float, default=0.01
        Step size of the optimizer during the cluster phase.
    cluster_optimizer : {"sgd", "adam"}, default="sgd"
        Optimizer of the cluster phase. The default, SGD with momentum 0.9 and
        learning rate 0.01, is DEC's. Adam moves every weight by about the
        learning rate per step whatever the gradient, which lets the KL loss
        distort the embedding (use about 1e-4 with it); IDEC used Adam with
        1e-3 on MNIST, where the reconstruction term holds the embedding.
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
        Seeds network initialisation, batch order and k-means. The same integer
        gives the same labels on the CPU.
    verbose : int, default=0
        0 silent, 1 a progress bar per phase (needs tqdm), 2 a line per
        history entry.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training row; equal to ``predict(X)``.
    cluster_centers_ : ndarray of shape (n_clusters, latent_dim)
        Trained centres in the embedding space.
    converged_ : bool
        Whether the cluster phase stopped on ``tol`` rather than on
        ``max_epochs`` (which warns with a ``ConvergenceWarning``).
    n_iter_ : int
        Number of epochs begun by the last training phase, the cluster phase (a
        partial last epoch counts), at most ``max_epochs``.
    n_steps_ : int
        Number of mini-batch updates of the last training phase.
    module_ : torch.nn.Module
        The trained :class:`~skdeepcluster.nn.ClusteringAutoencoder`.
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
    AutoEncoderKMeans : the same pretrained embedding, clustered by k-means only.

    Notes
    -----
    The target is ``p_ij ∝ q_ij² / f_j`` with ``f_j = Σ_i q_ij`` over all
    training rows (:func:`skdeepcluster.nn.losses.target_distribution`); the
    loss is :func:`skdeepcluster.nn.losses.clustering_kl_loss`. Between two
    updates the target stays fixed, as in the reference code; recomputing it
    per batch, as some ports do, changes the method.

    The default pretraining adds the neighbour-embedding term of
    :class:`~skdeepcluster.AutoEncoderKMeans` (``neighbor_weight=0.1``) to the
    papers' plain autoencoder (``neighbor_weight=0``): it gives DEC a k-means
    start on which self-training has less to undo. A much larger weight leaves
    the cluster phase less room and can merge clusters, IDEC's at its default
    step first.

    ``augmentation=True`` is DEC-DA [4]_: the pretraining reconstructs
    randomly shifted and rotated images and the cluster phase fits the soft
    assignment of a transformed copy of each batch to the target of the
    unchanged images. The transformed batches keep moving a few labels, so the
    cluster phase tends to run all its ``max_epochs`` (and warns that ``tol``
    was not met). Measured figures for every setting named here are on the
    :doc:`benchmark page </benchmarks>`.

    :meth:`predict_proba` is ``Q``, :meth:`predict` its argmax and
    :meth:`score` the negative mean squared distance of each embedded row to its
    nearest centre.

    Results are bit-for-bit reproducible for a fixed ``random_state`` on the
    CPU; GPU kernels are not guaranteed to be deterministic.

    References
    ----------
    .. [1] Xie, Girshick and Farhadi. "Unsupervised Deep Embedding for Clustering
       Analysis." ICML 2016.
    .. [2] Guo, Gao, Liu and Yin. "Improved Deep Embedded Clustering with Local
       Structure Preservation." IJCAI 2017.
    .. [3] Guo, Liu, Zhu and Yin. "Deep Clustering with Convolutional
       Autoencoders." ICONIP 2017.
    .. [4] Guo, Zhu, Liu and Yin. "Deep Embedded Clustering with Data
       Augmentation." ACML 2018.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import DECClustering
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> model = DECClustering(n_clusters=3, hidden_layer_sizes=(16,), latent_dim=2,
    ...                       pretrain_epochs=5, max_epochs=5, random_state=0)
    >>> labels = model.fit_predict(X)
    >>> labels.shape, model.predict_proba(X).shape
    ((60,), (60, 3))
    """

    _merged_clusters_advice = (
        "a smaller cluster_learning_rate, a reconstruction term "
        "(reconstruction_weight=10, IDEC) or longer pretraining"
    )

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        hidden_layer_sizes: tuple[int, ...] | str = "auto",
        latent_dim: int = 10,
        image_shape: tuple[int, int, int] | None = None,
        conv_channels: tuple[int, ...] | str = "auto",
        n_init: int = 20,
        alpha: float = 1.0,
        reconstruction_weight: float = 0.0,
        update_interval: int | None = 140,
        tol: float = 1e-3,
        max_epochs: int = 200,
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
        cluster_learning_rate: float = 0.01,
        cluster_optimizer: str = "sgd",
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
        self.n_init = n_init
        self.alpha = alpha
        self.reconstruction_weight = reconstruction_weight
        self.update_interval = update_interval
        self.tol = tol
        self.max_epochs = max_epochs
        self.rescale_embedding = rescale_embedding
        self.cluster_learning_rate = cluster_learning_rate
        self.cluster_optimizer = cluster_optimizer

    def _cluster_phase(
        self, module: torch.nn.Module, data: torch.Tensor, state: FitState
    ) -> None:
        target = torch.empty(data.shape[0], self.n_clusters, device=data.device)

        def update_target(iteration: int) -> torch.Tensor:
            q = self._map_rows(module, lambda m, rows: m(rows), data)
            frequencies = self._collectives.sum(q.sum(dim=0))
            target.copy_(losses.target_distribution(q, frequencies))
            return q.argmax(dim=1)

        autoencoder = module.autoencoder
        weight = self.reconstruction_weight
        augmentation = self._augmentation_shape

        def loss(batch: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
            if augmentation is not None:
                batch = random_affine(batch, augmentation, state.generator)
            z = autoencoder.encode(batch)
            kl = losses.clustering_kl_loss(target[indices], module.assignment(z))
            if weight == 0:
                return kl
            reconstruction = losses.reconstruction_loss(batch, autoencoder.decode(z))
            return kl + weight * reconstruction

        # Without the reconstruction term the decoder gets no gradient, and the
        # optimizers leave parameters without one untouched: DEC drops it.
        # The loss is measured against a target that changes every
        # update_interval iterations: its plateau says nothing of convergence.
        self._train_cluster_phase(
            module, data, loss, update_target, state, n_iter_no_change=None
        )
