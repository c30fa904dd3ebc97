"""GMVAEClustering: clustering with a Gaussian mixture variational autoencoder."""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClusterMixin, clone
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.utils.validation import check_is_fitted
from torch.nn import functional as F

from ._autoencoder_kmeans import AutoEncoderKMeans
from ._base import BaseDeepClusterer, FitState, _relabel
from ._data import INIT_SAMPLE_ROWS, StreamedArray, column_stats
from ._utils import HasMethods, Interval, StrOptions, draw_seeds, to_numpy
from .nn import GaussianMixtureVAE, losses, squared_distances

BINARY_FRACTION = 0.25
"""Share of values at 0 or 1 from which data in [0, 1] are taken for pixels.

Then ``likelihood="auto"`` is Bernoulli and ``init_params="auto"`` starts wide
rows from AutoEncoderKMeans.
"""


class GMVAEClustering(BaseDeepClusterer):
    """Clustering with a Gaussian mixture variational autoencoder (GMVAE).

    A variational autoencoder whose prior is a mixture: the cluster ``y`` is
    categorical with learned mixing weights, the latent code ``z | y``
    Gaussian with a learned mean and variance per cluster, and the data
    ``x | z`` Bernoulli or Gaussian. The networks ``q(y | x)`` and
    ``q(z | x, y)`` are trained on the evidence lower bound (ELBO), summed
    exactly over the clusters (Rui Shu's GMVAE, the default) or with
    Gumbel-softmax samples of ``y`` (jariasf/GMVAE, ``marginalize=False``).
    By default the whole model first learns a partition: a Gaussian
    mixture's on narrow rows, an autoencoder's embedding's on pixels, k-means'
    otherwise.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of mixture components.
    hidden_layer_sizes : tuple of int, default=(512, 512)
        Hidden widths of each inference network; the decoder mirrors them.
    latent_dim : int, default=10
        Size of ``z``, returned by :meth:`transform`; the embedding size of the
        other estimators. The reference code uses 64: on MNIST the two score
        alike, on the digits 10 reaches a higher ELBO and accuracy.
    image_shape : tuple of int, default=None
        ``(channels, height, width)`` of one image. When set, rows of ``X`` are
        flattened images: ``q(y | x)`` and ``q(z | x, y)`` read convolutional
        features of the image (their dense layers sized by
        ``hidden_layer_sizes``) and the decoder ends in the mirrored transposed
        convolutions. One entry may be -1, inferred from the number of features.
    conv_channels : tuple of int or "auto", default="auto"
        Channels of the convolutional stride-2 layers; used only with
        ``image_shape``. See :func:`~skdeepcluster.nn.conv_channels_for`.
    likelihood : {"auto", "gaussian", "bernoulli"}, default="auto"
        Distribution of ``x`` given ``z``. "auto" is "bernoulli" when every
        value of ``X`` is in [0, 1] and at least a quarter of them (in the first
        100,000 rows) are exactly 0 or 1, as in binary data and in images on a
        blank background, and "gaussian" otherwise: on MNIST the Bernoulli
        decoder clusters far better (see the benchmark page), while on
        continuous measurements scaled to [0, 1] it can lose clusters that a
        Gaussian finds.
        "gaussian" takes any real data, with a learned variance per feature;
        inside, rows are centred and divided by one scale for all features,
        the root mean square of the centred data (stored and applied at
        prediction). Features keep their
        relative scales, as in :class:`~sklearn.cluster.KMeans`: put a
        :class:`~sklearn.preprocessing.StandardScaler` in front to weigh them
        equally. "bernoulli" needs ``X`` in [0, 1] (pixel intensities) and is
        the reference setting for images.
    init_params : {"auto", "kmeans", "gaussian-mixture", "random"} or clusterer, \
            default="auto"
        "kmeans" first fits the whole model, for ``init_iterations`` iterations,
        to a k-means partition of the (scaled) rows: ``q(y | x)`` learns the
        k-means labels and the other networks the ELBO given them, as
        :class:`~sklearn.mixture.GaussianMixture` starts from k-means.
        "gaussian-mixture" does the same from the partition of a
        :class:`~sklearn.mixture.GaussianMixture` (full covariances, ``n_init``
        restarts, fitted to at most 100,000 of the rows). A clusterer (an
        unfitted estimator with ``fit_predict``, e.g.
        :class:`~skdeepcluster.AutoEncoderKMeans`) is cloned, given this
        model's ``n_clusters`` when it takes one, seeded from
        ``random_state`` unless its own is set, and fitted to ``X``; the
        model starts from its labels. "auto" is "gaussian-mixture" when ``X``
        has no more features than ``latent_dim`` (and no ``image_shape``), the
        rule by which the autoencoder estimators drop their network: there
        k-means' round clusters cut elongated ones wrongly, and the ELBO keeps
        the partition it starts from. On wider rows of the data for which
        ``likelihood="auto"`` is the Bernoulli (pixels, binary data) it is
        ``AutoEncoderKMeans(n_clusters, latent_dim=latent_dim)`` (with this
        model's ``image_shape``, ``conv_channels``, ``n_init``,
        ``n_iter_no_change``, ``device`` and ``distributed``), the start of
        VaDE [3]_: pixels are far from Gaussian clusters, and on MNIST the
        model keeps most of the better partition of the autoencoder's
        embedding; it costs that autoencoder's pretraining. On other wider
        rows it is "kmeans": on wine the model drifted from the autoencoder's
        partition to a worse one, and kept k-means' (see the benchmark page).
        "random" starts from the random initialisation, as the
        reference code does; its components start almost identical and are
        then split or merged at random, so results vary more from seed to seed.
    init_iterations : int, default=5000
        Mini-batch iterations of the warm start. The learned variances
        start at 1 (in the scaled units) and Adam moves a log-variance by
        about ``learning_rate`` per step, so the warm start needs a few
        thousand steps to fit narrow clusters.
    n_init : int, default=10
        Seeded restarts of the warm start's k-means or Gaussian mixture; the
        best partition (lowest inertia, highest likelihood) is kept.
    marginalize : bool, default=True
        Sum the ELBO over the K clusters (K passes of ``q(z | x, y)`` and the
        decoder per batch). False draws one Gumbel-softmax sample of ``y``
        instead, as jariasf/GMVAE does: one pass, so about K times cheaper per
        batch, but noisier; on three 1-D Gaussians it split or merged clusters
        that the exact sum kept (see the package's design notes).
    hard_gumbel : bool, default=False
        Use straight-through one-hot Gumbel samples instead of soft ones. Only
        with ``marginalize=False``, like the temperature parameters.
    temperature : float, default=1.0
        Initial Gumbel-softmax temperature.
    min_temperature : float, default=0.5
        Lowest temperature of the schedule.
    temperature_decay : float, default=0.013862944
        Rate ``r`` of the schedule ``max(temperature * exp(-r * epoch),
        min_temperature)``, updated after each epoch; the default (ln 2 / 50)
        halves the temperature in 50 epochs (jariasf/GMVAE).
    free_bits : float, default=0.5
        Nats of ``KL(q(y | x) || p(y))`` per row (batch average) that cost
        nothing. The categorical prior pulls every ``q(y | x)`` towards
        ``p(y)``, which can merge all clusters into one; free bits let
        assignments become confident up to this amount unpenalised
        (Dilokthanakul et al. used 0.5). 0 is the plain ELBO.
    learn_weights : bool, default=True
        Learn the mixing weights ``p(y)`` (started at the cluster
        proportions of the warm start), as
        :class:`~sklearn.mixture.GaussianMixture` does. False keeps them
        uniform, as the reference code does; a model with uniform weights
        fits clusters of unequal sizes by moving rows between them.
    max_epochs : int, default=100
        Passes over the data.
    n_iter_no_change : int or None, default=10
        Each training phase stops once its mean loss has not improved (by a
        relative 1e-4) over this many consecutive checks. Each check covers
        20,000 rows trained on: a fraction of an epoch of large data, which
        then stops within an epoch once the loss is flat, and several epochs
        of small data, whose noisy per-epoch loss would stop it too early;
        ``max_epochs`` and ``init_iterations`` stay upper bounds. As
        ``n_iter_no_change`` of :class:`~sklearn.neural_network.MLPClassifier`
        (which checks per epoch). None runs every phase to its budget.
    batch_size : int, default=64
        Rows per mini-batch for training; inference runs in chunks of at
        least as many rows.
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
        Seeds initialisation, batch order, the Gumbel and Gaussian noise and
        :meth:`sample`. The same integer gives the same labels on the CPU.
    verbose : int, default=0
        0 silent, 1 a progress bar (needs tqdm), 2 a line per history
        entry.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training row; equal to ``predict(X)``.
    module_ : torch.nn.Module
        The trained :class:`~skdeepcluster.nn.GaussianMixtureVAE`.
    weights_ : ndarray of shape (n_clusters,)
        Mixing weights ``p(y)``, ordered as the labels; uniform when
        ``learn_weights=False``.
    history_ : list of dict
        One ``{"phase", "epoch", "loss", "n_iterations"}`` entry per epoch,
        or per 20,000 rows of a longer epoch (``epoch`` counts the epochs
        done):
        phases "init-..." for the phases of a clusterer ``init_params`` (the
        autoencoder's "init-pretrain"), "init" for the warm start, "train" for
        the ELBO training (loss = negative ELBO with free bits).
    n_iter_ : int
        Number of epochs begun by the last training phase, the "train" phase, at
        most ``max_epochs``.
    n_steps_ : int
        Number of mini-batch updates of the last training phase.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`, when ``X`` has string column
        names.

    See Also
    --------
    sklearn.mixture.GaussianMixture : a Gaussian mixture on the raw features.

    Notes
    -----
    :meth:`predict_proba` is ``q(y | x)``, without Gumbel noise; :meth:`predict`
    its argmax; :meth:`transform` the posterior mean of ``z``; :meth:`score` the
    mean ELBO per row in the units of ``X`` (higher is better), summed exactly
    over ``y`` with the ``z`` expectation taken over fixed noise draws, so it is
    deterministic. Training memory is one batch: data in memory stay on the
    device as one tensor, larger data are read a block at a time, and nothing
    of size n_samples x K is kept, so millions of rows fit on a CPU. With the
    defaults, the ELBO phase on millions of rows stops on its loss plateau
    within its first epoch (``n_iter_no_change``); ``benchmarks/gmvae_1d.py``
    times it on the :doc:`benchmark page </benchmarks>`.

    References
    ----------
    .. [1] Dilokthanakul et al. "Deep Unsupervised Clustering with Gaussian
       Mixture Variational Autoencoders." arXiv:1611.02648, 2016.
    .. [2] Jang, Gu and Poole. "Categorical Reparameterization with
       Gumbel-Softmax." ICLR 2017.
    .. [3] Jiang et al. "Variational Deep Embedding: An Unsupervised and
       Generative Approach to Clustering." IJCAI 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepcluster import GMVAEClustering
    >>> rng = np.random.RandomState(0)
    >>> X = np.concatenate([rng.normal(-4, 0.5, 50), rng.normal(4, 0.5, 50)])[:, None]
    >>> model = GMVAEClustering(n_clusters=2, hidden_layer_sizes=(16,),
    ...                         latent_dim=2, max_epochs=5, random_state=0)
    >>> labels = model.fit_predict(X)
    >>> samples, clusters = model.sample(3)
    >>> samples.shape, clusters.shape
    ((3, 1), (3,))
    """

    _merged_clusters_advice = (
        "a larger free_bits, more init_iterations or another random_state (a "
        "flexible decoder can model two groups with one cluster)"
    )

    _parameter_constraints: dict = {
        **BaseDeepClusterer._parameter_constraints,
        "likelihood": [StrOptions({"auto", "gaussian", "bernoulli"})],
        "init_params": [
            StrOptions({"auto", "kmeans", "gaussian-mixture", "random"}),
            HasMethods(["fit_predict"]),
        ],
        "init_iterations": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "marginalize": ["boolean"],
        "hard_gumbel": ["boolean"],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "min_temperature": [Interval(Real, 0, None, closed="neither")],
        "temperature_decay": [Interval(Real, 0, None, closed="left")],
        "free_bits": [Interval(Real, 0, None, closed="left")],
        "learn_weights": ["boolean"],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        hidden_layer_sizes: tuple[int, ...] = (512, 512),
        latent_dim: int = 10,
        image_shape: tuple[int, int, int] | None = None,
        conv_channels: tuple[int, ...] | str = "auto",
        likelihood: str = "auto",
        init_params: str | ClusterMixin = "auto",
        init_iterations: int = 5000,
        n_init: int = 10,
        marginalize: bool = True,
        hard_gumbel: bool = False,
        temperature: float = 1.0,
        min_temperature: float = 0.5,
        temperature_decay: float = 0.013862944,
        free_bits: float = 0.5,
        learn_weights: bool = True,
        max_epochs: int = 100,
        n_iter_no_change: int | None = 10,
        batch_size: int = 64,
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
            n_iter_no_change=n_iter_no_change,
            learning_rate=learning_rate,
            optimizer=optimizer,
            device=device,
            distributed=distributed,
            random_state=random_state,
            verbose=verbose,
        )
        self.likelihood = likelihood
        self.init_params = init_params
        self.init_iterations = init_iterations
        self.n_init = n_init
        self.marginalize = marginalize
        self.hard_gumbel = hard_gumbel
        self.temperature = temperature
        self.min_temperature = min_temperature
        self.temperature_decay = temperature_decay
        self.free_bits = free_bits
        self.learn_weights = learn_weights
        self.max_epochs = max_epochs

    def _check_params_vs_input(self, X: np.ndarray, n_samples: int) -> None:
        """Also checks the start and the likelihood against ``X``.

        Their "auto" values are resolved by :meth:`_pretrain`, from the rows
        of every process.
        """
        super()._check_params_vs_input(X, n_samples)
        if (
            not isinstance(self.init_params, str)
            and self._collectives.active
            and not isinstance(self.init_params, BaseDeepClusterer)
        ):
            raise ValueError(
                "init_params is a clusterer, and this fit spans a "
                "torch.distributed process group: each process would partition "
                "its own shard alone. Pass one of skdeepcluster's estimators "
                "(they fit across the group), or a string init_params."
            )
        stats = column_stats(X)
        if self.likelihood == "bernoulli" and (stats.min < 0 or stats.max > 1):
            raise ValueError(
                "likelihood='bernoulli' needs X in [0, 1]; got values in "
                f"[{stats.min:.4g}, {stats.max:.4g}]. Scale X (e.g. with MinMaxScaler) "
                "or use likelihood='gaussian'."
            )

    def _default_start_clusterer(self) -> AutoEncoderKMeans:
        """The clusterer whose partition "auto" starts wide rows of pixels from.

        k-means on the embedding of the package's autoencoder, sized as this
        model's code: VaDE's start (Jiang et al., 2017), which pretrains an
        autoencoder and fits a mixture to its embedding.
        """
        return AutoEncoderKMeans(
            self.n_clusters,
            latent_dim=self.latent_dim,
            image_shape=self.image_shape,
            conv_channels=self.conv_channels,
            n_init=self.n_init,
            n_iter_no_change=self.n_iter_no_change,
            device=self.device,
            distributed=self.distributed,
            verbose=self.verbose,
        )

    def _pretrain(self, X: np.ndarray, data: torch.Tensor, state: FitState) -> None:
        """Resolve the likelihood and the start; fit the start's clusterer, if any.

        ``_likelihood`` and ``_init_params`` are the parameters with "auto"
        made concrete from the rows of every process (hence here, where the
        processes can exchange statistics). A clusterer start is fitted as a
        clone, with this model's ``n_clusters`` when it takes one, seeded by
        the fit's ``init`` seed unless its own ``random_state`` is set; its
        labels become ``state.initial_labels`` and its ``history_`` entries
        this fit's, their phases prefixed "init-".
        """
        binary = self._binary_or_pixels(X)
        self._likelihood = self.likelihood
        if self.likelihood == "auto":
            self._likelihood = "bernoulli" if binary else "gaussian"
        self._init_params = self.init_params
        if isinstance(self.init_params, str) and self.init_params == "auto":
            if self._image_shape is None and X.shape[1] <= self.latent_dim:
                self._init_params = "gaussian-mixture"
            elif binary:
                self._init_params = self._default_start_clusterer()
            else:
                self._init_params = "kmeans"
        if isinstance(self._init_params, str):
            return None
        clusterer = clone(self._init_params)
        params = clusterer.get_params()
        if "n_clusters" in params:
            clusterer.set_params(n_clusters=self.n_clusters)
        if params.get("random_state", 0) is None:
            clusterer.set_params(random_state=state.seeds.init)
        rows = X.array if isinstance(X, StreamedArray) else X
        with warnings.catch_warnings():
            # Empty clusters of the start are the model's to warn about, if
            # they stay empty after its training.
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = np.asarray(clusterer.fit_predict(rows))
        if (
            labels.shape != (X.shape[0],)
            or not np.isin(labels, np.arange(self.n_clusters)).all()
        ):
            raise ValueError(
                f"init_params={clusterer!r} should label every row with one of "
                f"0, ..., n_clusters - 1 = {self.n_clusters - 1}; got labels "
                f"{np.unique(labels)[:10].tolist()} for {len(labels)} rows."
            )
        state.initial_labels = labels
        for entry in getattr(clusterer, "history_", []):
            state.history.append({**entry, "phase": f"init-{entry['phase']}"})
        return None

    def _binary_or_pixels(self, X: np.ndarray) -> bool:
        """Whether all processes' rows are in [0, 1], with many values at 0 or 1.

        At least ``BINARY_FRACTION`` of the values of the first
        ``INIT_SAMPLE_ROWS`` rows of each process: binary data, or pixel
        intensities on a blank background, where scaled measurements have a
        few.
        """
        stats = self._collectives.column_stats(column_stats(X), X.shape[0])
        if stats.min < 0 or stats.max > 1:
            return False
        rows = X[:INIT_SAMPLE_ROWS]
        at_bounds = self._collectives.sum_int(int(np.isin(rows, (0, 1)).sum()))
        return at_bounds >= BINARY_FRACTION * self._collectives.sum_int(rows.size)

    def _build_module(self, X: np.ndarray, pretrained: None) -> GaussianMixtureVAE:
        module = GaussianMixtureVAE(
            X.shape[1],
            self.n_clusters,
            tuple(self.hidden_layer_sizes),
            self.latent_dim,
            self._likelihood,
            image_shape=self._image_shape,
            conv_channels=self.conv_channels,
        )
        if self._likelihood == "gaussian":
            # One scale for all features: standardising each one would blow
            # near-constant features (an image's border pixels) up to the size
            # of the informative ones.
            stats = self._collectives.column_stats(column_stats(X), X.shape[0])
            scale = np.sqrt(stats.var.mean())
            with torch.no_grad():
                module.input_mean.copy_(torch.as_tensor(stats.mean))
                module.input_scale.fill_(scale if scale > 0 else 1.0)
        module.prior_logits.requires_grad_(self.learn_weights)
        return module

    def _initialize_clusters(
        self, module: GaussianMixtureVAE, data: torch.Tensor, state: FitState
    ) -> None:
        """Unless ``init_params="random"``, fit the model to a partition of the rows.

        ``q(y | x)`` learns the labels of a k-means or Gaussian mixture
        partition of the scaled rows (cross-entropy) while the other networks
        learn the ELBO given them, and learned mixing weights start at the
        cluster proportions, so the ELBO training starts from weights, priors,
        encoder and decoder that agree with one sensible partition (as
        :class:`~sklearn.mixture.GaussianMixture` starts from k-means) instead
        of from K near-identical components.
        """
        if self._init_params == "random":
            return
        target = self._initial_partition(module, data, state)
        if self.learn_weights:
            # Cluster proportions (of all processes' rows); the added row keeps
            # an empty cluster's log finite.
            counts = torch.bincount(target.cpu(), minlength=self.n_clusters)
            counts = self._collectives.sum(counts.double()) + 1.0
            with torch.no_grad():
                module.prior_logits.copy_(counts.log())

        def loss(batch: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
            x = module.scale_input(batch)
            clusters = target[indices]
            y = F.one_hot(clusters, self.n_clusters).to(x.dtype)
            features = module.features(x)
            given_cluster = losses.gmvae_terms_given_cluster(module, x, y, features)
            logits = module.cluster_network(features)
            return F.cross_entropy(logits, clusters) + given_cluster.mean()

        n_batches = math.ceil(state.n_samples / min(self.batch_size, state.n_samples))
        self._train(
            module,
            data,
            loss,
            state,
            phase="init",
            n_epochs=math.ceil(self.init_iterations / n_batches),
            max_iterations=self.init_iterations,
        )

    def _initial_partition(
        self, module: GaussianMixtureVAE, data: torch.Tensor, state: FitState
    ) -> torch.Tensor:
        """Labels of every training row under ``_init_params``' partition.

        A clusterer's labels were found by :meth:`_pretrain`. Otherwise the
        partition is fitted to the initialisation rows (a Gaussian mixture to
        a seeded sample of at most ``INIT_SAMPLE_ROWS`` of them); rows it was
        not fitted to get the nearest k-means centre, or the mixture's most
        probable component.
        """
        if state.initial_labels is not None:
            return torch.as_tensor(
                state.initial_labels, dtype=torch.long, device=data.device
            )
        rows = self._initialization_rows(data, state)
        scaled = self._map_rows(module, lambda m, x: m.scale_input(x), rows)
        scaled = scaled.cpu().numpy()
        if self._init_params == "kmeans":
            kmeans = KMeans(
                self.n_clusters, n_init=self.n_init, random_state=state.seeds.init
            ).fit(scaled)
            if rows is data:
                return torch.as_tensor(
                    kmeans.labels_, dtype=torch.long, device=data.device
                )
            centers = torch.as_tensor(
                kmeans.cluster_centers_, dtype=torch.float32, device=data.device
            )
            return self._map_rows(
                module,
                lambda m, x: squared_distances(m.scale_input(x), centers).argmin(1),
                data,
            )
        if len(scaled) > INIT_SAMPLE_ROWS:
            rng = np.random.RandomState(state.seeds.init)
            scaled = scaled[rng.choice(len(scaled), INIT_SAMPLE_ROWS, replace=False)]
        mixture = GaussianMixture(
            self.n_clusters, n_init=self.n_init, random_state=state.seeds.init
        ).fit(scaled)

        def component(m: GaussianMixtureVAE, x: torch.Tensor) -> torch.Tensor:
            labels = mixture.predict(m.scale_input(x).cpu().numpy())
            return torch.as_tensor(labels, dtype=torch.long, device=x.device)

        return self._map_rows(module, component, data)

    def _cluster_phase(
        self, module: GaussianMixtureVAE, data: torch.Tensor, state: FitState
    ) -> None:
        """Train the ELBO, annealing the Gumbel-softmax temperature per epoch."""
        temperature = self.temperature

        def loss(batch: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
            return losses.gmvae_loss(
                module,
                module.scale_input(batch),
                temperature=temperature,
                hard=self.hard_gumbel,
                marginalize=self.marginalize,
                free_bits=self.free_bits,
            )

        def anneal(epoch: int) -> None:
            nonlocal temperature
            temperature = max(
                self.temperature * math.exp(-self.temperature_decay * epoch),
                self.min_temperature,
            )

        self._train(
            module,
            data,
            loss,
            state,
            phase="train",
            n_epochs=self.max_epochs,
            on_epoch_end=anneal,
        )

    def _set_cluster_attributes(self) -> None:
        super()._set_cluster_attributes()
        self.weights_ = to_numpy(self.module_.log_weights().exp())[self._label_order]

    def _proba_tensor(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        return module(module.scale_input(x))

    def _transform_tensor(
        self, module: torch.nn.Module, x: torch.Tensor
    ) -> torch.Tensor:
        return module.posterior_mean(module.scale_input(x))

    def _score_tensor(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        # The ELBO of the scaled rows, moved to the units of X.
        jacobian = module.input_scale.log().sum()
        return module.elbo(module.scale_input(x)) - jacobian

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Generate rows from the fitted model.

        A cluster is drawn from the mixing weights ``weights_``, ``z`` from its
        Gaussian and a row from ``p(x | z)`` (Bernoulli draws of 0 and 1, or
        Gaussian). Seeded by ``random_state``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to generate.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Generated rows, in the units of the training data.
        labels : ndarray of shape (n_samples,)
            Cluster each row was generated from, numbered as by :meth:`predict`.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(
                f"n_samples must be a positive integer, got {n_samples!r}."
            )
        module = self.module_
        device = self._device
        (seed,) = draw_seeds(self.random_state, 1)
        generator = torch.Generator(device=device).manual_seed(seed)
        clusters = torch.multinomial(
            module.log_weights().detach().exp(),
            n_samples,
            replacement=True,
            generator=generator,
        )
        with torch.inference_mode():
            y = torch.nn.functional.one_hot(clusters, self.n_clusters).float()
            mean, log_var = module.latent_prior(y)
            noise = torch.randn(mean.shape, generator=generator, device=device)
            rows = module.sample_x(mean + (0.5 * log_var).exp() * noise, generator)
            rows = rows * module.input_scale + module.input_mean
        return to_numpy(rows), _relabel(clusters.cpu().numpy(), self._label_order)
