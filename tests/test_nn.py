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
    mutual_neighbors,
    nearest_neighbors,
    random_affine,
    squared_distances,
)
from skdeepcluster.nn._augment import MAX_ROTATION, MAX_SHIFT
from skdeepcluster.nn.losses import neighbor_embedding_loss, reconstruction_loss


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


def test_nearest_neighbors_match_scikit_learn_and_skip_the_row_itself():
    from sklearn.neighbors import NearestNeighbors

    x = torch.randn(300, 5, generator=torch.Generator().manual_seed(0))
    expected = NearestNeighbors(n_neighbors=4).fit(x).kneighbors(return_distance=False)
    torch.testing.assert_close(nearest_neighbors(x, 4), torch.as_tensor(expected))
    # With duplicates the row's twin is its nearest neighbour, not the row.
    twins = torch.cat([x[:3], x[:3]])
    torch.testing.assert_close(
        nearest_neighbors(twins, 1)[:, 0], torch.tensor([3, 4, 5, 0, 1, 2])
    )


def test_nearest_neighbors_are_the_same_when_searched_in_many_chunks(monkeypatch):
    from skdeepcluster.nn import _neighbors

    x = torch.randn(300, 5, generator=torch.Generator().manual_seed(1))
    whole = nearest_neighbors(x, 4)
    # 7 rows per chunk (2100 // 300): 43 chunks, the last one short.
    monkeypatch.setattr(_neighbors, "_CHUNK_ELEMENTS", 2100)
    torch.testing.assert_close(nearest_neighbors(x, 4), whole)


def test_nearest_neighbors_rejects_more_neighbours_than_other_rows():
    with pytest.raises(ValueError, match="n_neighbors must be between 1 and n - 1 = 2"):
        nearest_neighbors(torch.zeros(3, 2), 3)


def test_mutual_neighbors_put_the_mutual_ones_first_and_count_them():
    x = torch.randn(200, 3, generator=torch.Generator().manual_seed(2))
    neighbors = nearest_neighbors(x, 6)
    ordered, counts = mutual_neighbors(neighbors)
    lonely = 0
    for i in range(200):
        mutual = [int(j) for j in neighbors[i] if i in neighbors[j].tolist()]
        others = [int(j) for j in neighbors[i] if int(j) not in mutual]
        # Mutual ones first, then the rest, each in the order of distance.
        assert ordered[i].tolist() == mutual + others
        assert counts[i] == max(len(mutual), 1)
        lonely += not mutual
    # The random rows include both kinds, so both branches are exercised.
    assert 0 < lonely < 200 and counts.max() > 1


def _moments(images, size):
    """Centre (row, column) and principal-axis angle of each image's intensity."""
    weights = images.reshape(-1, size, size)
    grid = torch.arange(size, dtype=images.dtype)
    rows, cols = torch.meshgrid(grid, grid, indexing="ij")
    total = weights.sum(dim=(1, 2))
    r = (weights * rows).sum(dim=(1, 2)) / total
    c = (weights * cols).sum(dim=(1, 2)) / total
    dr, dc = rows - r[:, None, None], cols - c[:, None, None]
    rr = (weights * dr**2).sum(dim=(1, 2))
    cc = (weights * dc**2).sum(dim=(1, 2))
    rc = (weights * dr * dc).sum(dim=(1, 2))
    return r, c, 0.5 * torch.atan2(2 * rc, cc - rr)


def test_random_affine_shifts_and_rotates_within_the_dec_da_bounds():
    size = 41
    image = torch.zeros(size, size)
    image[18:23, 8:33] = 1.0  # a horizontal bar through the centre
    batch = image.reshape(1, -1).repeat(500, 1)
    moved = random_affine(batch, (1, size, size), torch.Generator().manual_seed(0))
    r, c, angle = _moments(moved, size)
    shift = torch.stack([r - 20, c - 20]).abs() / size
    degrees = angle.abs().rad2deg()
    # Within 10% of the side and 10 degrees (plus interpolation), and the
    # draws come near both bounds.
    assert shift.max() <= MAX_SHIFT + 0.01 and shift.max() > 0.8 * MAX_SHIFT
    assert degrees.max() <= MAX_ROTATION + 0.5 and degrees.max() > 8.0
    # Shifts and angles are drawn per image, not once per batch.
    assert r.std() > 1.0 and degrees.std() > 1.0
    # The bar keeps its mass: no part of it leaves a 41-pixel image.
    torch.testing.assert_close(moved.sum(dim=1), batch.sum(dim=1), rtol=1e-3, atol=0)


def test_random_affine_fills_from_the_edges_and_follows_its_generator():
    constant = torch.full((8, 3 * 6 * 5), 0.7)
    moved = random_affine(constant, (3, 6, 5), torch.Generator().manual_seed(0))
    # Pixels moved in from outside take the edge value, not 0.
    torch.testing.assert_close(moved, constant)
    x = torch.rand(8, 3 * 6 * 5, generator=torch.Generator().manual_seed(1))
    first, again, other = (
        random_affine(x, (3, 6, 5), torch.Generator().manual_seed(seed))
        for seed in (0, 0, 1)
    )
    torch.testing.assert_close(first, again)
    assert not torch.allclose(first, other)


def test_neighbor_embedding_loss_matches_the_formula():
    z = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    z_neighbors = torch.tensor([[1.0, 0.0], [2.0, 1.0]])
    negatives = torch.tensor([[1, 0], [0, 0]])
    # Attraction -log q = log(1 + d²) to the neighbour; repulsion
    # -log(1 - q) of the neighbour from each negative row.
    row0 = math.log(2) - math.log(1 - 1 / 2) - math.log(1 - 1 / 2)
    row1 = math.log(2) - 2 * math.log(1 - 1 / 6)
    loss = neighbor_embedding_loss(z, z_neighbors, negatives)
    assert loss.item() == pytest.approx((row0 + row1) / 2)


def test_neighbor_embedding_loss_pulls_neighbours_and_pushes_negatives():
    # Far apart rows: only the attraction acts, towards the neighbour (+x).
    z = torch.tensor([[0.0, 0.0], [100.0, 0.0]], requires_grad=True)
    neighbor_embedding_loss(
        z, z.detach() + torch.tensor([1.0, 0.0]), torch.tensor([[1], [0]])
    ).backward()
    assert (z.grad[:, 0] < 0).all() and z.grad[:, 1].abs().max() < 1e-6
    # Each neighbour sits on its row (no attraction) and 0.5 from the other
    # row, its negative: gradient descent moves the two apart.
    z = torch.tensor([[1.0, 0.0], [1.5, 0.0]], requires_grad=True)
    z_neighbors = z.detach().clone().requires_grad_()
    neighbor_embedding_loss(z, z_neighbors, torch.tensor([[1], [0]])).backward()
    assert z_neighbors.grad[0, 0] > 0 > z_neighbors.grad[1, 0]
    assert z.grad[0, 0] > 0 > z.grad[1, 0]


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
