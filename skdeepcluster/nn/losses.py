"""Loss terms, each named after the term of the objective it implements."""

import math

import torch

_LOG_2PI = math.log(2.0 * math.pi)


def reconstruction_loss(x: torch.Tensor, x_reconstructed: torch.Tensor) -> torch.Tensor:
    """Mean squared reconstruction error, averaged over rows and features.

    This is Keras' ``mse`` as used by DEC-keras and IDEC, so that IDEC's weighting
    ``L_rec + 0.1 * L_KL`` keeps its published meaning.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.losses import reconstruction_loss
    >>> reconstruction_loss(torch.zeros(2, 3), torch.ones(2, 3))
    tensor(1.)
    """
    return (x - x_reconstructed).pow(2).mean()


def neighbor_embedding_loss(
    z: torch.Tensor,
    z_neighbors: torch.Tensor,
    negatives: torch.Tensor,
    eps: float = 1e-4,
) -> torch.Tensor:
    """Cross-entropy of a neighbour graph against a Student's t kernel on ``z``.

    The edge term of parametric UMAP and t-SNE-like embeddings, with the kernel
    ``q(d) = 1 / (1 + d²)`` on embedding distances. Row ``i`` of ``z_neighbors``
    embeds a neighbour of row ``i`` in the data; the loss is
    ``-log q(z_i, z_neighbors_i)`` (attraction), plus
    ``-Σ_m log(1 - q(z_neighbors_i, z_m))`` over the rows ``m`` of
    ``negatives[i]`` (repulsion from random rows of ``z``), averaged over rows.
    ``eps`` bounds ``1 - q`` away from 0 when a negative is the row itself.

    Parameters
    ----------
    z : torch.Tensor of shape (n, latent_dim)
        Embeddings of the rows of a batch.
    z_neighbors : torch.Tensor of shape (n, latent_dim)
        Embedding of one neighbour of each row.
    negatives : torch.Tensor of shape (n, n_negatives)
        Indices into ``z`` of the rows each neighbour is pushed from.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.losses import neighbor_embedding_loss
    >>> z = torch.tensor([[0.0, 0.0], [3.0, 0.0]])
    >>> near = neighbor_embedding_loss(z, z + 0.1, torch.tensor([[1], [0]]))
    >>> far = neighbor_embedding_loss(z, z.flip(0), torch.tensor([[1], [0]]))
    >>> bool(near < far)
    True
    """
    attraction = torch.log1p((z - z_neighbors).pow(2).sum(dim=1))
    q_negative = 1.0 / (1.0 + (z_neighbors[:, None, :] - z[negatives]).pow(2).sum(-1))
    repulsion = -torch.log((1.0 - q_negative).clamp(min=eps)).sum(dim=1)
    return (attraction + repulsion).mean()


def target_distribution(
    q: torch.Tensor, frequencies: torch.Tensor | None = None
) -> torch.Tensor:
    """DEC's auxiliary target ``p_ij ∝ q_ij² / f_j`` with ``f_j = Σ_i q_ij``.

    Squaring sharpens confident assignments and dividing by the cluster
    frequency ``f_j`` keeps large clusters from swallowing the others (Xie et
    al., 2016, eq. 3). ``f_j`` is a sum over the whole data set, which is why
    DEC computes the target at intervals rather than per batch: ``q`` holds
    every training row, or ``frequencies`` gives ``f`` when ``q`` holds some
    (one process's shard).

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.losses import target_distribution
    >>> target_distribution(torch.tensor([[0.5, 0.5], [0.9, 0.1]]))
    tensor([[0.3000, 0.7000],
            [0.9720, 0.0280]])
    """
    if frequencies is None:
        frequencies = q.sum(dim=0)
    weight = q.pow(2) / frequencies
    return weight / weight.sum(dim=1, keepdim=True)


def clustering_kl_loss(
    p: torch.Tensor, q: torch.Tensor, eps: float = 1e-12
) -> torch.Tensor:
    """DEC's clustering loss ``KL(P || Q)``, summed over clusters, mean over rows.

    This is Keras' ``kld`` as DEC-keras and IDEC use it. ``eps`` keeps
    ``log 0`` out of the loss when a target or an assignment underflows.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.losses import clustering_kl_loss
    >>> q = torch.tensor([[0.5, 0.5]])
    >>> float(clustering_kl_loss(q, q))
    0.0
    """
    return (p * torch.log((p + eps) / (q + eps))).sum(dim=1).mean()


def gmvae_loss(
    model: torch.nn.Module,
    x: torch.Tensor,
    *,
    temperature: float,
    hard: bool,
    marginalize: bool,
    free_bits: float,
) -> torch.Tensor:
    """Negative ELBO of a :class:`~skdeepcluster.nn.GaussianMixtureVAE` batch.

    Per row, ``-log p(x | z) + KL(q(z | x, y) || p(z | y)) + KL(q(y | x) || p(y))``,
    averaged over the batch; ``x`` must already be scaled for the model.

    - ``marginalize=False`` (jariasf/GMVAE): ``y`` is one Gumbel-softmax sample
      at ``temperature`` (straight-through one-hot when ``hard``) and ``z`` one
      reparameterised sample given it.
    - ``marginalize=True`` (RuiShu/vae-clustering): the first two terms are
      summed over the K values of ``y`` weighted by ``q(y | x)``; K passes.

    The Gaussian KL is analytic given ``y``. The categorical KL is against the
    model's mixing weights ``p(y)``; for uniform weights it is ``log K - H(q)``
    (jariasf hard-codes ``log 10``). ``free_bits`` is the guard against the
    collapse of all clusters into one: the batch's categorical KL costs nothing
    below ``free_bits`` nats, so the prior does not push every ``q(y | x)`` to
    uniform (Dilokthanakul et al.'s second version used 0.5).

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import GaussianMixtureVAE
    >>> from skdeepcluster.nn.losses import gmvae_loss
    >>> _ = torch.manual_seed(0)
    >>> model = GaussianMixtureVAE(3, 2, hidden_layer_sizes=(8,), latent_dim=2,
    ...                            likelihood="gaussian")
    >>> loss = gmvae_loss(model, torch.randn(4, 3), temperature=1.0, hard=False,
    ...                   marginalize=True, free_bits=0.0)
    >>> loss.shape
    torch.Size([])
    """
    features = model.features(x)
    logits = model.cluster_network(features)
    categorical = categorical_kl(logits, model.log_weights())
    if marginalize:
        terms = model.per_cluster(
            lambda xs, hs, ys: gmvae_terms_given_cluster(model, xs, ys, hs),
            x,
            features,
        )
        per_row = (logits.softmax(dim=-1) * terms).sum(-1)
    else:
        y = torch.nn.functional.gumbel_softmax(logits, tau=temperature, hard=hard)
        per_row = gmvae_terms_given_cluster(model, x, y, features)
    return per_row.mean() + categorical.mean().clamp(min=free_bits)


def categorical_kl(
    logits: torch.Tensor, log_weights: torch.Tensor | None = None
) -> torch.Tensor:
    """``KL(softmax(logits) || p(y))`` of each row, shape (n,).

    ``p(y)`` is given by ``log_weights`` (shape (K,)), uniform when None: the
    KL is then ``log K - H(q)``, 0 for a uniform ``q`` and ``log K`` for a
    one-hot one.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.losses import categorical_kl
    >>> categorical_kl(torch.tensor([[0.0, 0.0, 0.0], [100.0, 0.0, 0.0]]))
    tensor([0.0000, 1.0986])
    >>> categorical_kl(torch.tensor([[100.0, 0.0]]), torch.tensor([0.5, 0.5]).log())
    tensor([0.6931])
    """
    log_q = logits.log_softmax(dim=-1)
    if log_weights is None:
        log_weights = torch.full_like(log_q, -math.log(logits.shape[-1]))
    return (log_q.exp() * (log_q - log_weights)).sum(-1)


def gmvae_terms_given_cluster(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    features: torch.Tensor | None = None,
) -> torch.Tensor:
    """Negative ELBO of each row given its cluster, shape (n,).

    ``-log p(x | z) + KL(q(z | x, y) || p(z | y))`` with one reparameterised
    sample of ``z``; ``y`` is (n, K), one-hot or soft. ``features`` is
    ``model.features(x)`` when the caller already has it.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import GaussianMixtureVAE
    >>> from skdeepcluster.nn.losses import gmvae_terms_given_cluster
    >>> model = GaussianMixtureVAE(3, 2, hidden_layer_sizes=(8,), latent_dim=2)
    >>> y = torch.eye(2)[[0, 1, 0, 1]]
    >>> gmvae_terms_given_cluster(model, torch.zeros(4, 3), y).shape
    torch.Size([4])
    """
    if features is None:
        features = model.features(x)
    mean, log_var = model.latent_posterior(features, y)
    z = mean + (0.5 * log_var).exp() * torch.randn_like(mean)
    return -model.log_likelihood(x, z) + gaussian_kl(
        mean, log_var, *model.latent_prior(y)
    )


def gaussian_log_density(
    x: torch.Tensor, mean: torch.Tensor, log_var: torch.Tensor
) -> torch.Tensor:
    """Log-density of diagonal Gaussians, summed over the last axis.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.losses import gaussian_log_density
    >>> float(gaussian_log_density(torch.zeros(1), torch.zeros(1), torch.zeros(1)))
    -0.918938...
    """
    return -0.5 * (_LOG_2PI + log_var + (x - mean).pow(2) / log_var.exp()).sum(-1)


def gaussian_kl(
    mean: torch.Tensor,
    log_var: torch.Tensor,
    prior_mean: torch.Tensor,
    prior_log_var: torch.Tensor,
) -> torch.Tensor:
    """``KL(N(mean, var) || N(prior_mean, prior_var))``, summed over the last axis.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.losses import gaussian_kl
    >>> zero = torch.zeros(2)
    >>> float(gaussian_kl(zero, zero, zero, zero))
    0.0
    """
    return 0.5 * (
        prior_log_var
        - log_var
        + (log_var.exp() + (mean - prior_mean).pow(2)) / prior_log_var.exp()
        - 1.0
    ).sum(-1)


def dissimilarity_mixture_loss(
    mixture: torch.nn.Module, z: torch.Tensor, s: torch.Tensor
) -> torch.Tensor:
    """DMAE's dissimilarity term as the paper and its code write it, per row.

    ``d(z_i, θ̃_i) - (log π̃_i + c̃_i) / alpha`` where ``θ̃_i``, ``π̃_i`` and
    ``c̃_i`` are the centre, mixing weight and log-normaliser averaged under the
    soft assignment ``s_i`` (Lara & González, 2020). ``mixture`` is a
    :class:`~skdeepcluster.nn.DissimilarityMixture` and ``s = mixture(z)``. The
    reference code sums it over the batch; DMAEClustering takes the mean, so
    that its weight does not depend on the batch size. For hard assignments it
    equals :func:`dissimilarity_mixture_nll`; for soft ones it is lowest for a
    row halfway between two centres, and with trainable mixing weights it lets
    the largest cluster grow at the expense of the others.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import DissimilarityMixture
    >>> from skdeepcluster.nn.losses import dissimilarity_mixture_loss
    >>> mixture = DissimilarityMixture(2, 1, "euclidean", alpha=1.0)
    >>> z = torch.zeros(3, 1)
    >>> with torch.no_grad():
    ...     loss = dissimilarity_mixture_loss(mixture, z, mixture(z))
    >>> loss  # d = 0 and π̃ = 1/2: log 2 per row
    tensor([0.6931, 0.6931, 0.6931])
    """
    log_weight = torch.log(s @ mixture.weights)
    log_normalizer = s @ mixture.log_normalizers()
    dissimilarity = mixture.dissimilarity_to_soft_centers(z, s)
    return dissimilarity - (log_weight + log_normalizer) / mixture.alpha


def dissimilarity_mixture_nll(
    mixture: torch.nn.Module, z: torch.Tensor
) -> torch.Tensor:
    """Negative log-likelihood of a dissimilarity mixture, over ``alpha``, per row.

    ``-log Σ_j π_j exp(-alpha D_ij + c_j) / alpha``: the mixture whose
    components have densities proportional to ``exp(-alpha d(z, θ_j))`` (up to
    a constant, exactly a Gaussian mixture for "mahalanobis"). Dividing by
    ``alpha`` puts it in the units of the dissimilarity, where it equals
    :func:`dissimilarity_mixture_loss` for hard assignments. Its gradient moves
    each centre by the posterior-weighted pull of the rows, as EM does.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import DissimilarityMixture
    >>> from skdeepcluster.nn.losses import dissimilarity_mixture_nll
    >>> mixture = DissimilarityMixture(2, 1, "euclidean", alpha=1.0)
    >>> with torch.no_grad():
    ...     _ = mixture.centers.copy_(torch.tensor([[0.0], [1.0]]))
    ...     loss = dissimilarity_mixture_nll(mixture, torch.zeros(1, 1))
    >>> loss  # distances 0 and 1, weights 1/2: -log(e^0 / 2 + e^-1 / 2)
    tensor([0.3799])
    """
    return -torch.logsumexp(mixture.logits(z), dim=1) / mixture.alpha
