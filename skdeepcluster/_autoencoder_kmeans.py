"""AutoEncoderKMeans: pretrain an autoencoder, then k-means on its embedding."""

from __future__ import annotations

import numpy as np
import torch
from joblib import Memory

from ._autoencoder import BaseAutoencoderClusterer


class AutoEncoderKMeans(BaseAutoencoderClusterer):
    """Autoencoder embedding followed by k-means.

    The classic deep clustering baseline: an autoencoder is trained to
    reconstruct the data, then :class:`~sklearn.cluster.KMeans` (``n_init``
    seeded restarts) clusters the embedding. New rows are encoded and given the
    nearest centre. With ``image_shape`` set, a DCEC-style convolutional
    autoencoder replaces the dense one; ``X`` stays 2-D (one flattened image
    per row).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    hidden_layer_sizes : tuple of int or "auto", default="auto"
        Widths of the dense encoder's hidden layers; the decoder mirrors them.
        Empty: the shallow model, with no autoencoder: k-means runs on ``X``
        itself. "auto" is DEC's (500, 500, 2000), unless ``X`` has no more
        features than ``latent_dim``, where it is ``()``: there is nothing to
        compress, and a network trained to reconstruct such data can distort the
        geometry its clusters are in (on some low-dimensional sets it fell far
        below the shallow model, see the benchmark page). Ignored when
        ``image_shape`` is set.
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
    n_init : int, default=20
        Number of k-means restarts on the embedding (best inertia kept).
    alpha : float, default=1.0
        Degrees of freedom of the Student's t kernel used by
        :meth:`predict_proba`.
    batch_size : int, default=256
        Rows per mini-batch for training; inference runs in chunks of at
        least as many rows.
    pretraining : {"end-to-end", "layerwise"}, default="end-to-end"
        How the autoencoder is pretrained: as a whole ("end-to-end", DEC-keras),
        or greedily layer by layer as a stacked denoising autoencoder and then
        fine-tuned as a whole ("layerwise", the original DEC code; dense network
        only).
    pretrain_epochs : int or "auto", default="auto"
        Passes over the data to train the autoencoder; with "layerwise", the
        budget of each layer's stage and of the fine-tuning. "auto" is 100,
        or for the dense network on 1,000 rows or more that make fewer than
        40 mini-batches as many as make 4,000 mini-batch updates, as 100
        epochs make for 10,000 rows: on the digits the embedding still merged
        two digits after 100 epochs, while on a few hundred rows more updates
        took the network away from the partition of the features (the
        benchmark page has the figures).
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
        Dropout rate of the denoising corruption during pretraining. With
        "end-to-end" it zeroes input values; with "layerwise" it applies to each
        stage's hidden units and to the input of every stage but the first (the
        original DEC used 0.2), and the fine-tuning is not corrupted. 0 trains
        plain autoencoders (as DEC-keras, whose author found dropout did not help
        on MNIST).
    neighbor_weight : float, default=0.1
        Weight of a neighbour-embedding term added to the reconstruction loss
        of the end-to-end pretraining (of the fine-tuning after "layerwise"):
        the embedding of each row is pulled towards that of one of its mutual
        neighbours (rows among whose ``n_neighbors`` nearest rows of ``X`` it
        is, as they are among its own; its nearest row when it has none) and
        pushed from random rows, by the cross-entropy of parametric UMAP under
        a Student's t kernel
        (:func:`~skdeepcluster.nn.losses.neighbor_embedding_loss`); see Notes.
        0 pretrains the plain autoencoder of DEC-keras.
    n_neighbors : int, default=10
        Nearest neighbours of each row in ``X`` among which ``neighbor_weight``
        takes the mutual ones, found once on the training data before
        pretraining (at most ``n_samples - 1``); with ``neighbor_weight=0``
        there is no search.
    neighbor_algorithm : {"auto", "exact", "nndescent", "partition"}, \
            default="auto"
        How the neighbours of ``n_neighbors`` are searched. "exact" costs
        ``n_samples² · n_features`` operations. "nndescent" is the approximate
        NN-descent of pynndescent (an optional dependency: ``pip install
        skdeepcluster[neighbors]``), chosen over faiss's HNSW because it built
        the graph of MNIST many times faster at nearly the same recall.
        "partition" needs nothing more: an exact search within the cells of a
        k-means partition of about 2,000 rows each
        (:func:`~skdeepcluster.nn.partitioned_neighbors`), whose cost grows
        linearly with the rows. "auto" searches exactly up to 20,000 rows and
        approximately beyond, with "nndescent" when pynndescent is installed
        and otherwise "partition" and an
        :class:`~skdeepcluster.ApproximateNeighborsWarning`. Times and recalls
        are on the :doc:`benchmark page </benchmarks>`.
    augmentation : bool, default=False
        Pretrain on randomly shifted (by up to 10% of the width and height)
        and rotated (by up to 10 degrees) copies of the images, drawn afresh
        for every batch of the end-to-end pretraining (of the fine-tuning
        after "layerwise"), as DEC-DA does
        (:func:`~skdeepcluster.nn.random_affine`); the neighbours of
        ``neighbor_weight`` are still those of the unchanged images. Rows are
        images of ``image_shape``, or without it square greyscale images
        (784 features are 28x28). Only for images whose class does not change
        under small shifts and rotations, such as digits.
    memory : str, joblib.Memory or None, default=None
        Caches the pretrained autoencoder, keyed on the data, the pretraining
        parameters, the seed and the device, as ``Pipeline(memory=...)`` caches
        transformers: a grid search over the other parameters then pretrains
        once per training set. A string is a cache directory.
    learning_rate : float, default=1e-3
        Step size of the optimizer.
    optimizer : {"adam", "sgd"}, default="adam"
        "sgd" uses momentum 0.9.
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
        Centres in the embedding space.
    module_ : torch.nn.Module
        The trained :class:`~skdeepcluster.nn.ClusteringAutoencoder`.
    history_ : list of dict
        One ``{"phase", "epoch", "loss", "n_iterations"}`` entry per epoch, or
        per 20,000 rows of a longer epoch; ``epoch`` counts the epochs done.
    n_iter_ : int
        Number of epochs begun by the last training phase: the end-to-end
        pretraining (after the layer stages with "layerwise").
    n_steps_ : int
        Number of mini-batch updates of the last training phase.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`, when ``X`` has string column
        names.

    See Also
    --------
    sklearn.cluster.KMeans : k-means on the raw features.
    DECClustering : refines these clusters with DEC's self-training loss.

    Notes
    -----
    :meth:`predict_proba` is the Student's t kernel of DEC over the k-means
    centres, ``q_ij ∝ (1 + |z_i - mu_j|² / alpha)^(-(alpha + 1)/2)``; its argmax
    is the nearest centre, i.e. :meth:`predict`. :meth:`score` is the negative
    mean squared distance of each embedded row to its nearest centre (the
    k-means objective in embedding space, per sample).

    A plain autoencoder keeps the distances of the input, and k-means on its
    embedding makes the choices it makes on the raw features (on the digits it
    splits the two ways of writing 1 and merges 3 with 9). The
    neighbour-embedding term (``neighbor_weight``) draws each group of mutual
    neighbours together, which is why it is on by default; drawing only mutual
    neighbours matters, because far fewer mutual pairs join different classes
    than nearest-neighbour pairs do. It costs about half again the pretraining
    time and an exact neighbour search of ``n_samples² · n_features``
    operations, or an approximate one on large data (``neighbor_algorithm``).
    ``augmentation=True`` (DEC-DA's shifts and rotations) helps
    where the classes are invariant to them, as digits are. The figures behind
    these defaults are on the :doc:`benchmark page </benchmarks>`.

    ``n_iter_`` counts the epochs of the last training phase, here the
    (end-to-end) pretraining.

    Results are bit-for-bit reproducible for a fixed ``random_state`` on the
    CPU; GPU kernels are not guaranteed to be deterministic.

    References
    ----------
    .. [1] Xie, Girshick and Farhadi. "Unsupervised Deep Embedding for Clustering
       Analysis." ICML 2016 (the network and kernel).
    .. [2] Guo, Liu, Zhu and Yin. "Deep Clustering with Convolutional
       Autoencoders." ICONIP 2017 (the convolutional autoencoder).

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skdeepcluster import AutoEncoderKMeans
    >>> X, _ = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> model = AutoEncoderKMeans(n_clusters=3, hidden_layer_sizes=(16,),
    ...                           latent_dim=2, pretrain_epochs=5, random_state=0)
    >>> labels = model.fit_predict(X)
    >>> labels.shape, model.transform(X).shape, model.cluster_centers_.shape
    ((60,), (60, 2), (3, 2))
    """

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
