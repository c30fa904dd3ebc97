"""Gaussian mixture variational autoencoder (GMVAE) networks."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ._conv import ConvDecoder, ConvEncoder
from ._mlp import mlp
from .losses import categorical_kl, gaussian_kl, gaussian_log_density

LOG_VAR_BOUNDS = (-10.0, 10.0)
"""Log-variances are clamped to this range: no overflow, no zero variance."""


def _trunk(sizes: Sequence[int]) -> nn.Module:
    """Hidden layers with a ReLU after each, or the identity when there are none."""
    if len(sizes) < 2:
        return nn.Identity()
    return nn.Sequential(mlp(sizes), nn.ReLU())


class GaussianMixtureVAE(nn.Module):
    """The GMVAE of Dilokthanakul et al. (2016) in the form of jariasf/GMVAE.

    Generative model: ``y ~ Cat(softmax(prior_logits))`` (uniform unless the
    caller trains ``prior_logits``), ``z | y ~ N(mu_y, var_y)`` with a learned
    (linear in one-hot ``y``) conditional prior, ``x | z`` Bernoulli (logits)
    or Gaussian (mean and a learned per-feature variance). Inference:
    ``q(y | x)`` (logits) and ``q(z | x, y)`` (a Gaussian, reparameterised).

    Parameters
    ----------
    n_features : int
        Size of each input row.
    n_clusters : int
        Number of mixture components ``K``.
    hidden_layer_sizes : sequence of int, default=(512, 512)
        Hidden widths of each inference network; the decoder mirrors them.
    latent_dim : int, default=64
        Size of ``z``.
    likelihood : {"bernoulli", "gaussian"}, default="bernoulli"
        Distribution of ``x`` given ``z``.
    n_elbo_draws : int, default=8
        Standard-normal draws of ``z``, fixed at construction, over which
        :meth:`elbo` averages the reconstruction term.
    image_shape : tuple of int, default=None
        ``(channels, height, width)``: rows are flattened images, the inference
        networks read the features of a :class:`ConvEncoder` (computed once per
        row and shared by both) and the decoder ends in the mirrored
        :class:`ConvDecoder`.
    conv_channels : sequence of int or "auto", default="auto"
        Channels of the convolutional layers, with ``image_shape``.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn import GaussianMixtureVAE
    >>> model = GaussianMixtureVAE(4, 3, hidden_layer_sizes=(8,), latent_dim=2)
    >>> model.cluster_logits(torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        n_features: int,
        n_clusters: int,
        hidden_layer_sizes: Sequence[int] = (512, 512),
        latent_dim: int = 64,
        likelihood: str = "bernoulli",
        n_elbo_draws: int = 8,
        image_shape: Sequence[int] | None = None,
        conv_channels: Sequence[int] | str = "auto",
    ):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.n_clusters = n_clusters
        self.likelihood = likelihood
        if image_shape is None:
            self.features = nn.Identity()
            n_read = n_features
        else:
            self.features = ConvEncoder(image_shape, conv_channels)
            n_read = self.features.n_features_out
        self.cluster_network = mlp([n_read, *hidden, n_clusters])
        width = hidden[-1] if hidden else n_read + n_clusters
        self.latent_trunk = _trunk([n_read + n_clusters, *hidden])
        self.latent_mean = nn.Linear(width, latent_dim)
        self.latent_log_var = nn.Linear(width, latent_dim)
        self.prior_mean = nn.Linear(n_clusters, latent_dim)
        self.prior_log_var = nn.Linear(n_clusters, latent_dim)
        if image_shape is None:
            self.decoder = mlp([latent_dim, *hidden[::-1], n_features])
        else:
            self.decoder = nn.Sequential(
                mlp([latent_dim, *hidden[::-1], n_read]),
                nn.ReLU(),
                ConvDecoder(image_shape, conv_channels),
            )
        self.output_log_var = nn.Parameter(torch.zeros(n_features))
        # log p(y) up to a constant; trained only when the estimator learns weights.
        self.prior_logits = nn.Parameter(torch.zeros(n_clusters), requires_grad=False)
        # Set by the estimator: the networks see (x - input_mean) / input_scale.
        self.register_buffer("input_mean", torch.zeros(n_features))
        self.register_buffer("input_scale", torch.ones(n_features))
        # Fixed draws for elbo(): a deterministic, row-independent estimate.
        self.register_buffer("elbo_noise", torch.randn(n_elbo_draws, latent_dim))
        for layer in self.modules():
            if isinstance(layer, nn.Linear):
                nn.init.xavier_normal_(layer.weight)
                nn.init.zeros_(layer.bias)

    def scale_input(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` in the units the networks work in; every other method takes these."""
        return (x - self.input_mean) / self.input_scale

    def cluster_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of ``q(y | x)``, shape (n, K)."""
        return self.cluster_network(self.features(x))

    def latent_posterior(
        self, features: torch.Tensor, y: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and clamped log-variance of ``q(z | x, y)``; ``y`` is (n, K).

        Takes ``features(x)``, which is ``x`` itself without ``image_shape``.
        """
        h = self.latent_trunk(torch.cat([features, y], dim=-1))
        return self.latent_mean(h), self.latent_log_var(h).clamp(*LOG_VAR_BOUNDS)

    def log_weights(self) -> torch.Tensor:
        """``log p(y)``, shape (K,): the log mixing weights."""
        return self.prior_logits.log_softmax(dim=-1)

    def latent_prior(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and clamped log-variance of ``p(z | y)``."""
        return self.prior_mean(y), self.prior_log_var(y).clamp(*LOG_VAR_BOUNDS)

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``log p(x | z)`` summed over features, shape (n,)."""
        output = self.decoder(z)
        if self.likelihood == "bernoulli":
            return -F.binary_cross_entropy_with_logits(
                output, x.expand_as(output), reduction="none"
            ).sum(-1)
        log_var = self.output_log_var.clamp(*LOG_VAR_BOUNDS)
        return gaussian_log_density(x, output, log_var.expand_as(output))

    def sample_x(self, z: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """A draw of ``x ~ p(x | z)`` (in the networks' units)."""
        output = self.decoder(z)
        if self.likelihood == "bernoulli":
            return torch.bernoulli(torch.sigmoid(output), generator=generator)
        std = (0.5 * self.output_log_var.clamp(*LOG_VAR_BOUNDS)).exp()
        noise = torch.randn(output.shape, generator=generator, device=z.device)
        return output + std * noise

    def posterior_mean(self, x: torch.Tensor) -> torch.Tensor:
        """``E[z | x] = sum_y q(y | x) E[z | x, y]``, shape (n, latent_dim)."""
        features = self.features(x)
        q = self.cluster_network(features).softmax(dim=-1)
        means = self.per_cluster(
            lambda hs, ys: self.latent_posterior(hs, ys)[0], features
        )
        return (q.unsqueeze(-1) * means).sum(1)

    def elbo(self, x: torch.Tensor) -> torch.Tensor:
        """Evidence lower bound of each row, shape (n,), summed exactly over y.

        ``E_q(z|x,y) log p(x | z)`` is averaged over the fixed draws
        ``elbo_noise``, so the estimate is deterministic and a row's value does
        not depend on the other rows.
        """
        noise = self.elbo_noise
        features = self.features(x)
        logits = self.cluster_network(features)
        log_q = logits.log_softmax(dim=-1)

        def terms(xs, hs, ys):
            mean, log_var = self.latent_posterior(hs, ys)
            z = mean.unsqueeze(1) + (0.5 * log_var).exp().unsqueeze(1) * noise
            n, n_draws = z.shape[:2]
            rows = xs.unsqueeze(1).expand(n, n_draws, xs.shape[-1])
            log_lik = self.log_likelihood(
                rows.reshape(n * n_draws, -1), z.reshape(n * n_draws, -1)
            )
            kl = gaussian_kl(mean, log_var, *self.latent_prior(ys))
            return log_lik.view(n, n_draws).mean(1) - kl

        per_cluster = self.per_cluster(terms, x, features)
        return (log_q.exp() * per_cluster).sum(-1) - categorical_kl(
            logits, self.log_weights()
        )

    def per_cluster(self, fn, *tensors: torch.Tensor) -> torch.Tensor:
        """``fn(*tensors, one_hot(k))`` for every cluster k, stacked as (n, K, ...).

        The K evaluations run as one batch of ``K * n`` rows.
        """
        n, like = tensors[0].shape[0], tensors[0]
        y = torch.eye(self.n_clusters, device=like.device, dtype=like.dtype)
        repeated = [t.repeat(self.n_clusters, 1) for t in tensors]
        out = fn(*repeated, y.repeat_interleave(n, dim=0))
        return out.view(self.n_clusters, n, *out.shape[1:]).transpose(0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``q(y | x)``, shape (n, K)."""
        return self.cluster_logits(x).softmax(dim=-1)
