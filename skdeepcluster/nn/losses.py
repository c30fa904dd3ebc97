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
