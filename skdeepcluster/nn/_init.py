"""Weight initialisation and rescaling shared by the autoencoders."""

import math

import torch
from torch import nn


def variance_scaling_(module: nn.Module) -> None:
    """Initialise every linear and convolutional layer of ``module`` in place.

    Weights are drawn from U(-sqrt(1/fan_in), sqrt(1/fan_in)), which is Keras'
    ``VarianceScaling(scale=1/3, mode="fan_in", distribution="uniform")`` used by
    DEC-keras and DMAE, and biases start at zero.
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(layer.weight)
            bound = math.sqrt(1.0 / fan_in)
            nn.init.uniform_(layer.weight, -bound, bound)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


@torch.no_grad()
def rescale_between_(producer: nn.Linear, consumer: nn.Linear, factor: float) -> None:
    """Scale ``producer``'s outputs by ``factor`` and undo it in ``consumer``.

    ``consumer(producer(x))`` is unchanged (``consumer`` must be linear in its
    input); only the representation between the two layers is rescaled.
    """
    producer.weight.mul_(factor)
    producer.bias.mul_(factor)
    consumer.weight.div_(factor)
