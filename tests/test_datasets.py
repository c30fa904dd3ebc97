"""Tests of skdeepcluster.datasets: shapes, image folders and MNIST, all local."""

import gzip
import sys
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from skdeepcluster import datasets
from skdeepcluster.datasets import (
    load_image_folder,
    load_mnist,
    make_shapes,
    save_image_folder,
)

NAMES = ["circle", "square", "triangle", "cross"]


def test_make_shapes_is_seeded_balanced_and_in_range():
    X, y = make_shapes(103, image_size=(20, 24), random_state=0)
    assert X.shape == (103, 480) and X.dtype == np.float32
    assert X.min() >= 0 and X.max() <= 1
    assert np.bincount(y).tolist() == [26, 26, 26, 25]
    X2, y2 = make_shapes(103, image_size=(20, 24), random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make_shapes(103, image_size=(20, 24))[0])


def test_make_shapes_draws_the_named_shapes():
    # Without noise or jitter, each shape's mean pixel is its area over the
    # area of the [-1, 1]^2 image (4), with radius r = 0.8.
    X, y = make_shapes(
        5,
        shapes=datasets.SHAPES,
        image_size=64,
        shift=0,
        scale=(0.8, 0.8),
        rotation=0,
        noise=0,
        random_state=0,
    )
    area = {datasets.SHAPES[label]: X[i].mean() for i, label in enumerate(y)}
    r2 = 0.8**2
    expected = {
        "circle": np.pi * r2,
        "square": (2 * 0.8) ** 2 * r2,  # half side 0.8 r
        "triangle": 3 * np.sqrt(3) / 4 * r2,  # equilateral, circumradius r
        "cross": (2 * 2 * 0.6 - 0.6**2) * r2,  # two 2r x 0.6r arms
        "ring": np.pi * (1 - 0.55**2) * r2,
    }
    for name, value in expected.items():
        assert area[name] == pytest.approx(value / 4, rel=0.03), name


def test_make_shapes_defaults_keep_every_shape_inside_the_image():
    X, _ = make_shapes(400, image_size=24, noise=0, random_state=0)
    images = X.reshape(-1, 24, 24)
    border = np.concatenate(
        [images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], axis=1
    )
    assert border.max() == 0
    assert images.max() == 1  # and the shapes are there


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"shapes": ["circle", "hexagon"]}, r"shapes must be names among"),
        ({"n_samples": 0}, r"n_samples must be a positive int"),
        ({"image_size": (4, 0)}, r"image_size must be a positive int"),
        ({"noise": -1}, r"noise must be a non-negative number"),
        ({"scale": (0.5, 0.2)}, r"scale must be a \(low, high\) pair"),
    ],
)
def test_make_shapes_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_shapes(**{"n_samples": 4, **kwargs})


@pytest.fixture
def shape_folder(tmp_path):
    X, y = make_shapes(12, image_size=(10, 12), random_state=0)
    save_image_folder(tmp_path / "train", X, (1, 10, 12), y, class_names=NAMES)
    return tmp_path / "train", X, y


def test_folder_round_trip_gives_labels_names_and_pixels(shape_folder):
    folder, X, y = shape_folder
    images = load_image_folder(folder)
    assert images.image_shape == (1, 10, 12)
    assert images.target_names.tolist() == sorted(NAMES)
    assert images.data.dtype == np.float32 and images.data.shape == X.shape
    # Files sorted by class folder, then name: image_<i> is row i of X.
    index = [int(f.rsplit("_", 1)[1][:-4]) for f in images.filenames]
    np.testing.assert_allclose(images.data, X[index], atol=0.5 / 255 + 1e-6)
    np.testing.assert_array_equal(
        images.target_names[images.target], np.array(NAMES)[y[index]]
    )


def test_hidden_folders_and_files_are_not_classes_or_images(shape_folder):
    folder, X, _ = shape_folder
    (folder / ".ipynb_checkpoints").mkdir()
    Image.fromarray(np.zeros((10, 12), np.uint8)).save(
        folder / ".ipynb_checkpoints" / "a.png"
    )
    Image.fromarray(np.zeros((10, 12), np.uint8)).save(folder / "cross" / ".b.png")
    images = load_image_folder(folder)
    assert images.target_names.tolist() == sorted(NAMES)
    assert len(images.data) == len(X)


def test_images_below_a_class_folder_take_its_label(shape_folder):
    folder, X, _ = shape_folder
    (folder / "circle" / "more" / "deeper").mkdir(parents=True)
    Image.fromarray(np.zeros((10, 12), np.uint8)).save(
        folder / "circle" / "more" / "deeper" / "extra.png"
    )
    images = load_image_folder(folder)
    assert len(images.data) == len(X) + 1
    extra = images.filenames.tolist().index(
        str(folder / "circle" / "more" / "deeper" / "extra.png")
    )
    assert images.target_names[images.target[extra]] == "circle"


def test_save_image_folder_names_folders_by_the_labels_by_default(tmp_path):
    X, _ = make_shapes(4, image_size=6, random_state=0)
    save_image_folder(tmp_path, X, (1, 6, 6), ["b", "a", "b", "a"])
    images = load_image_folder(tmp_path)
    assert images.target_names.tolist() == ["a", "b"]
    assert np.bincount(images.target).tolist() == [2, 2]


def test_folder_without_class_folders_has_no_labels(tmp_path):
    X, _ = make_shapes(3, image_size=8, random_state=0)
    save_image_folder(tmp_path, X, (1, 8, 8))
    (tmp_path / "notes.txt").write_text("not an image")
    images = load_image_folder(tmp_path)
    assert images.target is None and images.target_names is None
    assert images.data.shape == (3, 64)


def test_folder_resizes_and_converts_to_rgb(tmp_path):
    red = np.zeros((6, 9, 3), np.uint8)
    red[..., 0] = 255
    (tmp_path / "a").mkdir()
    Image.fromarray(red).save(tmp_path / "a" / "red.png")
    Image.fromarray(np.full((12, 12), 128, np.uint8)).save(tmp_path / "a" / "gray.png")
    rgb = load_image_folder(tmp_path, image_size=(4, 5), color_mode="rgb")
    assert rgb.image_shape == (3, 4, 5) and rgb.data.shape == (2, 60)
    by_name = dict(zip(rgb.filenames, rgb.data, strict=True))
    red_row = by_name[str(tmp_path / "a" / "red.png")].reshape(3, 4, 5)
    np.testing.assert_allclose(red_row[0], 1.0)
    np.testing.assert_allclose(red_row[1:], 0.0)
    gray = load_image_folder(tmp_path, image_size=4)
    assert gray.image_shape == (1, 4, 4)
    # Luminance of pure red (ITU-R 601: 0.299).
    np.testing.assert_allclose(gray.data[1], 76 / 255, atol=1 / 255)


def test_folder_of_mixed_sizes_needs_image_size(tmp_path):
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((5, 4), np.uint8)).save(tmp_path / "b.png")
    with pytest.raises(ValueError, match=r"b.png.* pass image_size"):
        load_image_folder(tmp_path)
    assert load_image_folder(tmp_path, image_size=3).data.shape == (2, 9)


def test_corrupt_file_is_named_or_skipped_with_a_warning(shape_folder):
    folder, X, _ = shape_folder
    corrupt = folder / "square" / "broken.png"
    corrupt.write_bytes(b"\x89PNG not really")
    with pytest.raises(ValueError, match=r"broken.png.*on_error='warn'"):
        load_image_folder(folder)
    with pytest.warns(UserWarning, match=r"broken.png.*skipped"):
        images = load_image_folder(folder, on_error="warn")
    assert images.data.shape == X.shape
    assert len(images.target) == len(images.filenames) == len(X)
    assert str(corrupt) not in images.filenames


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"color_mode": "cmyk"}, r"color_mode must be one of \['grayscale', 'rgb'\]"),
        ({"on_error": "ignore"}, r"on_error must be 'raise' or 'warn'"),
        ({"image_size": -3}, r"image_size must be a positive int"),
    ],
)
def test_folder_rejects_bad_arguments(shape_folder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_image_folder(shape_folder[0], **kwargs)


def test_folder_layout_errors(tmp_path):
    with pytest.raises(ValueError, match="is not a folder"):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="No image files"):
        load_image_folder(tmp_path)
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "cats").mkdir()
    with pytest.raises(ValueError, match="both images and sub-folders"):
        load_image_folder(tmp_path)


def test_loading_needs_the_output_array_plus_a_small_constant(tmp_path):
    n, side = 200, 64
    X, y = make_shapes(n, image_size=side, random_state=0)
    save_image_folder(tmp_path, X, (1, side, side), y, class_names=NAMES)
    del X
    tracemalloc.start()
    images = load_image_folder(tmp_path, image_size=side)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    output = images.data.nbytes
    assert output == n * side * side * 4
    # Bookkeeping (paths, file names, labels) takes about 1.2 KB per file; the
    # allowance of 2 KB per file is less than one more copy of the images even
    # as uint8 (4 KB per image), let alone a list of float images then stacked.
    assert peak < output + 2048 * n + 65536


def test_missing_pillow_gives_an_install_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"skdeepcluster\[images\]"):
        load_image_folder(tmp_path)


def test_save_image_folder_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="1 or 3 channels"):
        save_image_folder(tmp_path, np.zeros((1, 8)), (2, 2, 2))
    with pytest.raises(ValueError, match=r"columns for image_shape=\(1, 3, 3\)"):
        save_image_folder(tmp_path, np.zeros((1, 8)), (1, 3, 3))
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        save_image_folder(tmp_path, np.full((1, 4), 2.0), (1, 2, 2))


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(
        int(s).to_bytes(4, "big") for s in array.shape
    )
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_load_mnist_reads_idx_files_and_npz(tmp_path):
    rng = np.random.RandomState(0)
    train, test = rng.randint(256, size=(5, 28, 28)), rng.randint(256, size=(2, 28, 28))
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", train)
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(5))
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", test)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([7, 8]))
    mnist = load_mnist(tmp_path)
    assert mnist.data.dtype == np.float32 and mnist.image_shape == (1, 28, 28)
    np.testing.assert_allclose(
        mnist.data, np.concatenate([train, test]).reshape(7, 784) / 255, rtol=1e-6
    )
    assert mnist.target.tolist() == [0, 1, 2, 3, 4, 7, 8]

    np.savez(tmp_path / "mnist.npz", X=np.concatenate([train, test]), y=mnist.target)
    again = load_mnist(tmp_path / "mnist.npz")
    np.testing.assert_array_equal(again.data, mnist.data)


def test_load_mnist_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="no MNIST file train-images-idx3-ubyte"):
        load_mnist(tmp_path)
    np.savez(tmp_path / "bad.npz", X=np.zeros((2, 784)))
    with pytest.raises(ValueError, match=r"lacks \['y'\]"):
        load_mnist(tmp_path / "bad.npz")
    np.savez(tmp_path / "small.npz", X=np.zeros((2, 10)), y=np.zeros(2))
    with pytest.raises(ValueError, match="784 pixels"):
        load_mnist(tmp_path / "small.npz")
    (tmp_path / "not-idx").mkdir()
    (tmp_path / "not-idx" / "train-images-idx3-ubyte").write_bytes(b"junk")
    with pytest.raises(ValueError, match="not an IDX file"):
        load_mnist(tmp_path / "not-idx")


def test_load_mnist_without_path_fetches_from_openml(monkeypatch, tmp_path):
    # The download itself is never exercised: fetch_openml is replaced.
    calls = []

    def fake_fetch(name, **kwargs):
        calls.append((name, kwargs))
        return np.full((2, 784), 255.0), np.array(["3", "9"], dtype=object)

    monkeypatch.setattr("sklearn.datasets.fetch_openml", fake_fetch)
    mnist = load_mnist(data_home=tmp_path)
    assert calls == [
        (
            "mnist_784",
            {
                "version": 1,
                "return_X_y": True,
                "as_frame": False,
                "data_home": tmp_path,
            },
        )
    ]
    np.testing.assert_array_equal(mnist.data, 1.0)
    assert mnist.target.tolist() == [3, 9]
