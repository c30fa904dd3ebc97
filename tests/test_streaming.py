"""Data read a block at a time: memmap, sparse, dask, h5py and zarr inputs."""

import numpy as np
import pytest
import scipy.sparse
import torch
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from skdeepcluster import AutoEncoderKMeans, GMVAEClustering, _base, _data
from skdeepcluster._data import StreamedArray, StreamedRows, column_stats
from skdeepcluster._neighbors import find_neighbors
from skdeepcluster._training import train

from fast_estimators import fast_estimators


def _memmap(X, tmp_path):
    rows = np.memmap(tmp_path / "rows.dat", dtype=X.dtype, mode="w+", shape=X.shape)
    rows[:] = X
    rows.flush()
    return np.memmap(tmp_path / "rows.dat", dtype=X.dtype, mode="r", shape=X.shape)


def _streamed(kind, X, tmp_path):
    """``X`` as an array of ``kind`` that the estimators read block by block."""
    if kind == "memmap":
        return _memmap(X, tmp_path)
    if kind == "sparse":
        return scipy.sparse.csr_matrix(X)
    if kind == "dask":
        da = pytest.importorskip("dask.array")
        return da.from_array(X, chunks=(32, X.shape[1]))
    if kind == "h5py":
        h5py = pytest.importorskip("h5py")
        return h5py.File(tmp_path / "rows.h5", "w").create_dataset("rows", data=X)
    zarr = pytest.importorskip("zarr")
    array = zarr.open_array(
        tmp_path / "rows.zarr", mode="w", shape=X.shape, dtype=X.dtype, chunks=(32, 4)
    )
    array[:] = X
    return array


KINDS = ["memmap", "sparse", "dask", "h5py", "zarr"]


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 16 rows of 4 float32 features (256 bytes)."""
    monkeypatch.setattr(_data, "BLOCK_BYTES", 16 * 4 * 4)


def _assert_same_fits(estimator, X, rows):
    in_memory = clone(estimator).set_params(random_state=0).fit(X)
    streamed = clone(estimator).set_params(random_state=0).fit(rows)
    np.testing.assert_array_equal(streamed.labels_, in_memory.labels_)
    np.testing.assert_allclose(
        streamed.predict_proba(rows), in_memory.predict_proba(X), rtol=1e-6
    )
    transformed = streamed.transform(rows)
    assert transformed.dtype == np.float32
    np.testing.assert_allclose(transformed, in_memory.transform(X), rtol=1e-6)
    assert streamed.score(rows) == pytest.approx(in_memory.score(X), rel=1e-6)


@pytest.mark.parametrize("estimator", fast_estimators(), ids=lambda e: repr(e)[:40])
def test_a_streamed_fit_in_one_block_is_the_in_memory_fit(estimator, blobs, tmp_path):
    X = blobs[0].astype(np.float32)
    _assert_same_fits(estimator, X, _memmap(X, tmp_path))


@pytest.mark.parametrize("kind", KINDS)
def test_every_streamed_kind_reads_the_same_rows(kind, blobs, tmp_path):
    X = blobs[0].astype(np.float32)
    estimator = AutoEncoderKMeans(
        3, hidden_layer_sizes=(8,), latent_dim=2, pretrain_epochs=2
    )
    _assert_same_fits(estimator, X, _streamed(kind, X, tmp_path))


def test_integer_streamed_rows_are_read_as_float64(tmp_path, blobs):
    X = np.round(blobs[0] * 10).astype(np.int16)
    model = AutoEncoderKMeans(
        3, hidden_layer_sizes=(8,), latent_dim=2, pretrain_epochs=2, random_state=0
    )
    rows = _memmap(X, tmp_path)
    model.fit(rows)
    assert model.transform(rows).dtype == np.float64


def test_training_visits_blocks_and_their_rows_in_random_orders(small_blocks):
    X = np.arange(100, dtype=np.float32)[:, None].repeat(4, axis=1)
    rows = StreamedRows(StreamedArray(scipy.sparse.csr_matrix(X)), torch.device("cpu"))
    # 100 rows in blocks of 16; the last 4 rows join the block before.
    assert rows.array.block_bounds()[-2:] == [(64, 80), (80, 100)]
    seen = []

    def loss(batch, indices):
        torch.testing.assert_close(batch[:, 0], indices.float())
        seen.append(indices.clone())
        return batch.sum() * torch.zeros((), requires_grad=True)

    module = torch.nn.Linear(4, 1)
    result = train(
        module,
        rows,
        loss,
        phase="test",
        n_epochs=2,
        batch_size=8,
        optimizer="sgd",
        learning_rate=0.1,
        generator=torch.Generator().manual_seed(0),
        history=[],
    )
    # Two batches per 16-row block, three for the 20-row one: 13 per epoch.
    assert result.n_iterations == 26 and len(seen) == 26
    epochs = [torch.cat(seen[:13]), torch.cat(seen[13:])]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(100))
        blocks = (order // 16).clamp(max=5)
        # Each block's rows come together, not in index order.
        assert (blocks.diff() != 0).sum() == 5
        assert not torch.equal(order, torch.sort(order).values)
    assert not torch.equal(epochs[0], epochs[1])


def test_reads_never_exceed_a_block_or_a_chunk(small_blocks, monkeypatch, tmp_path):
    X = np.random.RandomState(0).normal(size=(200, 4)).astype(np.float32)
    sizes = []
    read = StreamedArray.__getitem__

    def recording(self, rows):
        block = read(self, rows)
        sizes.append(len(block))
        return block

    monkeypatch.setattr(StreamedArray, "__getitem__", recording)
    monkeypatch.setattr(_base, "_CHUNK_VALUES", 8 * 4)
    model = AutoEncoderKMeans(
        3,
        hidden_layer_sizes=(8,),
        latent_dim=2,
        pretrain_epochs=2,
        batch_size=8,
        random_state=0,
    )
    model.fit(_memmap(X, tmp_path))
    # Blocks of 16 rows (the last 8 rows are a block of their own), inference
    # chunks of 8 rows: nothing reads all 200 rows at once.
    assert max(sizes) == 16


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_bad_value_is_reported_with_its_block_rows(
    small_blocks, tmp_path, bad, blobs
):
    X = np.tile(blobs[0].astype(np.float32), (2, 1))
    X[37, 2] = bad
    rows = _memmap(X, tmp_path)
    model = AutoEncoderKMeans(
        3, hidden_layer_sizes=(8,), latent_dim=2, pretrain_epochs=1
    )
    with pytest.raises(
        ValueError, match=r"NaN or infinity in 1 of rows 32 to 47 \(the first: row 37\)"
    ):
        model.fit(rows)
    model.fit(np.asarray(X[:30]))
    # predict reads chunks of up to 4,096 rows: here all 180 at once.
    with pytest.raises(ValueError, match=r"rows 0 to 179 \(the first: row 37\)"):
        model.predict(rows)


def test_streamed_input_is_checked_for_features_and_dtype(tmp_path, blobs):
    X = blobs[0].astype(np.float32)
    model = GMVAEClustering(
        3, hidden_layer_sizes=(8,), latent_dim=2, max_epochs=1, init_iterations=10
    ).fit(X)
    with pytest.raises(
        ValueError, match="X has 3 features, but GMVAEClustering is expecting 4"
    ):
        model.predict(scipy.sparse.csr_matrix(X[:, :3]))
    h5py = pytest.importorskip("h5py")
    strings = h5py.File(tmp_path / "s.h5", "w").create_dataset(
        "s", data=np.array([[b"a", b"b"]] * 4)
    )
    with pytest.raises(ValueError, match=r"dtype .* must hold numbers"):
        model.fit(strings)


def test_column_stats_of_a_streamed_array_match_numpy(small_blocks):
    X = np.random.RandomState(0).normal(3, 2, size=(101, 4))
    stats = column_stats(StreamedArray(scipy.sparse.csr_matrix(X)))
    np.testing.assert_allclose(stats.mean, X.mean(axis=0))
    np.testing.assert_allclose(stats.var, X.var(axis=0))
    assert (stats.min, stats.max) == (X.min(), X.max())


def test_neighbours_of_streamed_rows_are_searched_within_their_block(small_blocks):
    X = np.random.RandomState(0).normal(size=(64, 4)).astype(np.float32)
    rows = StreamedRows(StreamedArray(scipy.sparse.csr_matrix(X)), torch.device("cpu"))
    found = find_neighbors(rows, 3, "exact", seed=0)
    for start in range(0, 64, 16):
        block = torch.from_numpy(X[start : start + 16])
        expected = find_neighbors(block, 3, "exact", seed=0) + start
        torch.testing.assert_close(found[start : start + 16], expected)


def test_memory_needs_an_array_hashable_by_its_values(tmp_path, blobs):
    h5py = pytest.importorskip("h5py")
    rows = h5py.File(tmp_path / "x.h5", "w").create_dataset("x", data=blobs[0])
    model = AutoEncoderKMeans(
        3,
        hidden_layer_sizes=(8,),
        latent_dim=2,
        pretrain_epochs=1,
        memory=str(tmp_path / "cache"),
    )
    with pytest.raises(ValueError, match=r"memory caches the pretraining.*Dataset"):
        model.fit(rows)
    model.fit(_memmap(blobs[0], tmp_path))


@pytest.mark.parametrize("estimator", fast_estimators(), ids=lambda e: repr(e)[:40])
def test_clusters_of_large_streamed_data_start_from_a_sample(
    estimator, small_blocks, monkeypatch, tmp_path, blobs
):
    monkeypatch.setattr(_base, "INIT_SAMPLE_ROWS", 40)
    fitted_rows = []
    fit = KMeans.fit

    def recording(self, X, *args, **kwargs):
        fitted_rows.append(len(X))
        return fit(self, X, *args, **kwargs)

    monkeypatch.setattr(KMeans, "fit", recording)
    X = np.tile(blobs[0].astype(np.float32), (2, 1))
    model = clone(estimator).set_params(n_clusters=3, random_state=0)
    model.fit(_memmap(X, tmp_path))
    assert fitted_rows == [40]
    assert model.labels_.shape == (180,)
    assert adjusted_rand_score(np.tile(blobs[1], 2), model.labels_) > 0.5
