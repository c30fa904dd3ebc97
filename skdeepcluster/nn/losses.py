"""Loss terms, each named after the term of the objective it implements."""

import torch


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


def target_distribution(q: torch.Tensor) -> torch.Tensor:
    """DEC's auxiliary target ``p_ij ∝ q_ij² / f_j`` with ``f_j = Σ_i q_ij``.

    Squaring sharpens confident assignments and dividing by the cluster
    frequency ``f_j`` keeps large clusters from swallowing the others (Xie et
    al., 2016, eq. 3). ``q`` must hold every training row: ``f_j`` is a sum over
    the whole data set, which is why DEC computes the target at intervals rather
    than per batch.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster.nn.losses import target_distribution
    >>> target_distribution(torch.tensor([[0.5, 0.5], [0.9, 0.1]]))
    tensor([[0.3000, 0.7000],
            [0.9720, 0.0280]])
    """
    weight = q.pow(2) / q.sum(dim=0)
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
