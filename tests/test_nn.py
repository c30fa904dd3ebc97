"""The torch modules, on their own (no scikit-learn)."""

import math

import pytest
import torch

from skdeepcluster.nn import (
    ClusteringAutoencoder,
    ConvAutoencoder,
    ConvDecoder,
    ConvEncoder,
    MLPAutoencoder,
    StudentTAssignment,
    conv_channels_for,
    squared_distances,
)
from skdeepcluster.nn.losses import reconstruction_loss


def test_mlp_autoencoder_layout():
    ae = MLPAutoencoder(784)
    linear = [m for m in ae.encoder if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [
        (784, 500),
        (500, 500),
        (500, 2000),
        (2000, 10),
    ]
    # ReLU between hidden layers, linear embedding and linear reconstruction.
    assert not isinstance(ae.encoder[-1], torch.nn.ReLU)
    assert not isinstance(ae.decoder[-1], torch.nn.ReLU)
    assert sum(isinstance(m, torch.nn.ReLU) for m in ae.encoder) == 3
    assert ae(torch.randn(3, 784)).shape == (3, 784)


def test_mlp_without_hidden_layers_is_linear():
    ae = MLPAutoencoder(5, hidden_layer_sizes=(), latent_dim=2)
    assert len(ae.encoder) == 1 and len(ae.decoder) == 1


def test_variance_scaling_initialisation():
    torch.manual_seed(0)
    ae = MLPAutoencoder(784)
    first = ae.encoder[0]
    bound = math.sqrt(1 / 784)
    assert first.weight.abs().max() <= bound
    assert first.weight.abs().max() > 0.9 * bound
    assert torch.all(first.bias == 0)


@pytest.mark.parametrize(
    "shape", [(1, 28, 28), (3, 32, 32), (1, 17, 9), (2, 160, 160), (1, 1, 1)]
)
def test_conv_autoencoder_restores_any_image_size(shape):
    ae = ConvAutoencoder(shape, channels=(4, 8, 8), latent_dim=3)
    x = torch.randn(2, math.prod(shape))
    assert ae.encode(x).shape == (2, 3)
    assert ae(x).shape == x.shape


def test_conv_autoencoder_dcec_layout():
    ae = ConvAutoencoder((1, 28, 28))
    convs = [m for m in ae.encoder.convs if isinstance(m, torch.nn.Conv2d)]
    assert [(m.out_channels, m.kernel_size, m.stride) for m in convs] == [
        (32, (5, 5), (2, 2)),
        (64, (5, 5), (2, 2)),
        (128, (3, 3), (2, 2)),
    ]
    assert ae.embed.out_features == 10


@pytest.mark.parametrize(
    "image_shape, channels, bottleneck",
    [
        ((1, 8, 8), (32, 64, 128), (1, 1)),
        ((1, 32, 32), (32, 64, 128), (4, 4)),
        ((3, 64, 48), (32, 64, 128), (8, 6)),
        ((1, 128, 128), (32, 64, 128, 128), (8, 8)),
        ((1, 160, 160), (32, 64, 128, 128, 128), (5, 5)),
        ((1, 1, 100), (32, 64, 128, 128), (1, 7)),
    ],
)
def test_auto_channels_keep_the_bottleneck_small(image_shape, channels, bottleneck):
    assert conv_channels_for(image_shape) == channels
    encoder = ConvEncoder(image_shape)
    assert encoder.n_features_out == channels[-1] * bottleneck[0] * bottleneck[1]
    ae = ConvAutoencoder(image_shape, latent_dim=4)
    x = torch.rand(2, math.prod(image_shape))
    assert ae.encode(x).shape == (2, 4) and ae(x).shape == x.shape
    assert conv_channels_for(image_shape, [4, 8]) == (4, 8)
    with pytest.raises(ValueError, match="channels must be 'auto' or a sequence"):
        conv_channels_for(image_shape, "wide")


@pytest.mark.parametrize("image_shape", [(1, 7, 9), (3, 13, 5), (2, 1, 1)])
def test_conv_decoder_restores_any_image_size(image_shape):
    encoder = ConvEncoder(image_shape, (4, 8, 8))
    decoder = ConvDecoder(image_shape, (4, 8, 8))
    x = torch.randn(3, math.prod(image_shape))
    features = encoder(x)
    assert features.shape == (3, encoder.n_features_out)
    assert decoder(features).shape == x.shape


def test_student_t_matches_the_formula():
    assign = StudentTAssignment(2, 2, alpha=2.0)
    with torch.no_grad():
        assign.centers.copy_(torch.tensor([[0.0, 0.0], [3.0, 4.0]]))
    q = assign(torch.tensor([[0.0, 0.0]]))
    # distances² 0 and 25; kernel (1 + d²/2)^(-1.5)
    k = torch.tensor([1.0, (1 + 25 / 2) ** -1.5])
    torch.testing.assert_close(q, (k / k.sum()).unsqueeze(0))


def test_student_t_gradients_reach_centres_and_embeddings():
    assign = StudentTAssignment(3, 2)
    torch.nn.init.normal_(assign.centers)
    z = torch.randn(4, 2, requires_grad=True)
    assign(z)[:, 0].sum().backward()
    assert z.grad is not None and assign.centers.grad is not None
    assert assign.centers.grad.abs().sum() > 0


def test_squared_distances_are_row_independent():
    z = torch.randn(50, 10, dtype=torch.float64)
    c = torch.randn(4, 10, dtype=torch.float64)
    full = squared_distances(z, c)
    rows = torch.cat([squared_distances(z[i : i + 1], c) for i in range(50)])
    assert torch.equal(full, rows)
    torch.testing.assert_close(full, torch.cdist(z, c).pow(2))


def test_clustering_autoencoder_composes_encoder_and_head():
    model = ClusteringAutoencoder(MLPAutoencoder(4, (8,), 2), StudentTAssignment(3, 2))
    x = torch.randn(5, 4)
    torch.testing.assert_close(model(x), model.assignment(model.autoencoder.encode(x)))


def test_reconstruction_loss_is_keras_mse():
    x = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    assert reconstruction_loss(x, torch.zeros(2, 2)).item() == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("autoencoder", "n_features"),
    [(MLPAutoencoder(6, (5,), 2), 6), (ConvAutoencoder((1, 4, 4), (3,), 2), 16)],
    ids=["mlp", "conv"],
)
def test_rescale_embedding_keeps_reconstructions(autoencoder, n_features):
    x = torch.rand(5, n_features)
    with torch.no_grad():
        z, reconstruction = autoencoder.encode(x), autoencoder(x)
        autoencoder.rescale_embedding_(4.0)
        torch.testing.assert_close(autoencoder.encode(x), 4.0 * z)
        torch.testing.assert_close(autoencoder(x), reconstruction)
