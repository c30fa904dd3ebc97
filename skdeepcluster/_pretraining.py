"""Autoencoder pretraining shared by every estimator, cacheable with ``memory``.

:func:`pretrain_autoencoder` is a pure function of the data, the pretraining
parameters and a seed, so that ``joblib.Memory`` can cache it: a grid search over
cluster-phase parameters then pretrains once per distinct training set. Two
schemes go through the one training loop:

``"end-to-end"``
    the whole autoencoder learns to reconstruct its (optionally corrupted) input,
    as in DEC-keras and IDEC;
``"layerwise"``
    the greedy stacked denoising autoencoder of the original DEC code: each
    encoder layer and its mirror in the decoder are trained as a one-hidden-layer
    autoencoder on the previous layer's output, with dropout ``corruption`` on
    that input (not on the raw features) and on the hidden units; then the whole
    autoencoder is fine-tuned end to end without corruption.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from . import _training
from ._utils import seeded_torch
from .nn import ConvAutoencoder, MLPAutoencoder
from .nn.losses import reconstruction_loss

PRETRAINING_SCHEMES = ("end-to-end", "layerwise")


class PretrainedAutoencoder(NamedTuple):
    """The result of :func:`pretrain_autoencoder`."""

    autoencoder: nn.Module
    history: list[dict]
    n_epochs: int


def build_autoencoder(
    n_features: int,
    *,
    hidden_layer_sizes: Sequence[int],
    latent_dim: int,
    image_shape: Sequence[int] | None,
    conv_channels: Sequence[int] | str,
) -> nn.Module:
    """Dense autoencoder, or the convolutional one when ``image_shape`` is set."""
    if image_shape is None:
        return MLPAutoencoder(n_features, tuple(hidden_layer_sizes), latent_dim)
    return ConvAutoencoder(tuple(image_shape), conv_channels, latent_dim)


def pretrain_autoencoder(
    X: np.ndarray,
    *,
    seed: int,
    device: str,
    hidden_layer_sizes: Sequence[int],
    latent_dim: int,
    image_shape: Sequence[int] | None,
    conv_channels: Sequence[int] | str,
    pretraining: str,
    pretrain_epochs: int,
    corruption: float,
    batch_size: int,
    optimizer: str,
    learning_rate: float,
    verbose: int = 0,
) -> PretrainedAutoencoder:
    """Build an autoencoder seeded by ``seed`` and train it to reconstruct ``X``.

    ``pretrain_epochs`` is the budget of each stage: of the end-to-end training,
    and with ``pretraining="layerwise"`` also of each layer's stage before it.
    The returned ``n_epochs`` counts the epochs of all stages.
    """
    device = torch.device(device)
    with seeded_torch(seed, device) as generator:
        autoencoder = build_autoencoder(
            X.shape[1],
            hidden_layer_sizes=hidden_layer_sizes,
            latent_dim=latent_dim,
            image_shape=image_shape,
            conv_channels=conv_channels,
        ).to(device)
        data = torch.tensor(X, dtype=torch.float32, device=device)
        history: list[dict] = []

        def train(module, loss, phase):
            return _training.train(
                module,
                data,
                loss,
                phase=phase,
                n_epochs=pretrain_epochs,
                batch_size=batch_size,
                optimizer=optimizer,
                learning_rate=learning_rate,
                generator=generator,
                history=history,
                verbose=verbose,
            ).n_epochs

        n_epochs = 0
        if pretraining == "layerwise":
            for stage, (module, loss) in enumerate(
                _layer_stages(autoencoder, corruption), start=1
            ):
                n_epochs += train(module, loss, f"pretrain-layer{stage}")
            corruption = 0.0

        def end_to_end_loss(batch, indices):
            return reconstruction_loss(batch, autoencoder(F.dropout(batch, corruption)))

        n_epochs += train(autoencoder, end_to_end_loss, "pretrain")
    return PretrainedAutoencoder(autoencoder, history, n_epochs)


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
