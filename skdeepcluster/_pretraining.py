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

With ``neighbor_weight > 0`` the end-to-end stage (the fine-tuning, after
layer-wise stages) adds a neighbour-embedding term to the reconstruction: each
row's embedding is pulled towards that of one of its mutual neighbours among
its ``n_neighbors`` nearest rows in the input (its nearest row when it has
none), and that neighbour's embedding is pushed from ``N_NEGATIVES`` random
rows of the batch (the edge loss of parametric UMAP,
:func:`~skdeepcluster.nn.losses.neighbor_embedding_loss`). The neighbours are
found once, by exact search on the training data.

With ``augmentation`` set to an image shape, the end-to-end stage learns to
reconstruct randomly shifted and rotated images instead of the images
themselves (:func:`~skdeepcluster.nn.random_affine`), as in DEC-DA; the
neighbours are still found among, and encoded from, the unchanged images.
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
from .nn import (
    ConvAutoencoder,
    MLPAutoencoder,
    mutual_neighbors,
    nearest_neighbors,
    random_affine,
)
from .nn.losses import neighbor_embedding_loss, reconstruction_loss

PRETRAINING_SCHEMES = ("end-to-end", "layerwise")
N_NEGATIVES = 5


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
    neighbor_weight: float,
    n_neighbors: int,
    augmentation: tuple[int, int, int] | None,
    batch_size: int,
    optimizer: str,
    learning_rate: float,
    verbose: int = 0,
) -> PretrainedAutoencoder:
    """Build an autoencoder seeded by ``seed`` and train it to reconstruct ``X``.

    ``pretrain_epochs`` is the budget of each stage: of the end-to-end training,
    and with ``pretraining="layerwise"`` also of each layer's stage before it.
    The returned ``n_epochs`` counts the epochs of all stages. ``n_neighbors``
    is capped at ``len(X) - 1``; a single row has no neighbour term.
    ``augmentation`` is the ``(channels, height, width)`` of the images to
    shift and rotate in the end-to-end stage, or None for no augmentation.
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

        neighbor_loss = None
        if neighbor_weight > 0 and len(X) > 1:
            neighbor_loss = _neighbor_loss(
                autoencoder, data, min(n_neighbors, len(X) - 1), generator
            )

        def end_to_end_loss(batch, indices):
            if augmentation is not None:
                batch = random_affine(batch, augmentation, generator)
            z = autoencoder.encode(F.dropout(batch, corruption))
            loss = reconstruction_loss(batch, autoencoder.decode(z))
            if neighbor_loss is not None:
                loss = loss + neighbor_weight * neighbor_loss(z, indices)
            return loss

        n_epochs += train(autoencoder, end_to_end_loss, "pretrain")
    return PretrainedAutoencoder(autoencoder, history, n_epochs)


def _neighbor_loss(
    autoencoder: nn.Module,
    data: torch.Tensor,
    n_neighbors: int,
    generator: torch.Generator,
):
    """``loss(z, indices)``: the neighbour-embedding term of a batch.

    Each row of the batch gets one of its mutual neighbours among its
    ``n_neighbors`` nearest rows of the input at random (its nearest row when
    it has none), encoded with the current network, and ``N_NEGATIVES``
    random rows of the batch to be pushed from.
    """
    neighbors, counts = mutual_neighbors(nearest_neighbors(data, n_neighbors))

    def loss(z, indices):
        n = indices.shape[0]
        draws = torch.rand(n, generator=generator, device=data.device)
        pick = (draws * counts[indices]).long()
        z_neighbors = autoencoder.encode(data[neighbors[indices, pick]])
        negatives = torch.randint(
            n, (n, N_NEGATIVES), generator=generator, device=data.device
        )
        return neighbor_embedding_loss(z, z_neighbors, negatives)

    return loss


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
