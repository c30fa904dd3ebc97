"""Data sets: MNIST, folders of images, and synthetic shape images.

Images are returned the way every estimator takes them: one flattened row per
image, float32 in [0, 1], with the ``image_shape`` ``(channels, height, width)``
to pass to the estimator so that its convolutional networks see the images.
"""

from __future__ import annotations

import gzip
import math
import os
import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch, check_random_state

__all__ = [
    "SHAPES",
    "load_image_folder",
    "load_mnist",
    "make_shapes",
    "save_image_folder",
]

SHAPES = ("circle", "square", "triangle", "cross", "ring")
"""Names of the shapes :func:`make_shapes` can draw."""

IMAGE_EXTENSIONS = (
    ".bmp",
    ".gif",
    ".jpeg",
    ".jpg",
    ".pgm",
    ".png",
    ".ppm",
    ".tif",
    ".tiff",
    ".webp",
)
"""File extensions :func:`load_image_folder` reads by default (any case)."""

_COLOR_MODES = {"grayscale": ("L", 1), "rgb": ("RGB", 3)}


def _import_pillow():
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as exc:
        raise ImportError(
            "Reading and writing image files needs Pillow; install it with "
            "pip install 'skdeepcluster[images]' (or pip install Pillow)."
        ) from exc
    return Image, UnidentifiedImageError


def _check_image_size(image_size) -> tuple[int, int]:
    if isinstance(image_size, Integral):
        image_size = (image_size, image_size)
    if (
        not isinstance(image_size, Sequence)
        or len(image_size) != 2
        or not all(isinstance(s, Integral) and s >= 1 for s in image_size)
    ):
        raise ValueError(
            "image_size must be a positive int or a (height, width) pair of "
            f"positive ints, got {image_size!r}."
        )
    return int(image_size[0]), int(image_size[1])


def _is_image_file(path: Path, extensions: Sequence[str]) -> bool:
    return path.is_file() and path.suffix.lower() in extensions


def _is_hidden(path: Path, root: Path) -> bool:
    """Whether a part of ``path`` below ``root`` starts with a dot."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def load_image_folder(
    path: str | os.PathLike,
    image_size: int | tuple[int, int] | None = None,
    *,
    color_mode: str = "grayscale",
    on_error: str = "raise",
    extensions: Sequence[str] = IMAGE_EXTENSIONS,
) -> Bunch:
    """Load a folder of images as flattened rows for the estimators.

    Two layouts are understood. A folder with one sub-folder per class
    (``path/<class name>/<image>``, images at any depth below the class
    folder) gives labels, numbered in the sorted order of the class names. A
    folder holding the images themselves gives no labels. Hidden files and
    folders (names starting with a dot, such as ``.ipynb_checkpoints``) and
    files whose extension is not in ``extensions`` are ignored; a file
    with an image extension that cannot be read is an error naming it, or with
    ``on_error="warn"`` is skipped with a warning naming it.

    The output array is allocated once and filled one image at a time, so
    loading needs the output array plus one image's worth of memory.

    Parameters
    ----------
    path : str or path-like
        The folder to read.
    image_size : int or (height, width), default=None
        Every image is resized (bilinear) to this size. ``None`` keeps the size
        of the images, which must then all have the same size.
    color_mode : {"grayscale", "rgb"}, default="grayscale"
        Images are converted to one (luminance) or three channels.
    on_error : {"raise", "warn"}, default="raise"
        What to do with an image file that cannot be read.
    extensions : sequence of str, default=IMAGE_EXTENSIONS
        File extensions (with the dot, any case) treated as images.

    Returns
    -------
    data : Bunch
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_images, channels * height * width)
            float32 pixel values in [0, 1], one flattened image per row
            (channels first, as ``image_shape`` says).
        target : ndarray of shape (n_images,) or None
            Class index of each image; None without class folders.
        target_names : ndarray of str of shape (n_classes,) or None
            Name of each class, the sub-folder names in sorted order.
        image_shape : tuple of int
            ``(channels, height, width)``, the estimators' ``image_shape``.
        filenames : ndarray of str of shape (n_images,)
            Path of the file each row came from.

    Raises
    ------
    ImportError
        When Pillow is not installed.
    ValueError
        When the folder holds no images, mixes images and class folders at
        its top level, or holds images of different sizes with
        ``image_size=None``.

    Examples
    --------
    >>> import tempfile
    >>> from skdeepcluster.datasets import (
    ...     load_image_folder, make_shapes, save_image_folder)
    >>> X, y = make_shapes(8, image_size=16, random_state=0)
    >>> folder = tempfile.mkdtemp()
    >>> _ = save_image_folder(folder, X, (1, 16, 16), y,
    ...                       class_names=["circle", "square", "triangle", "cross"])
    >>> images = load_image_folder(folder)
    >>> images.data.shape, images.image_shape, images.target_names.tolist()
    ((8, 256), (1, 16, 16), ['circle', 'cross', 'square', 'triangle'])
    """
    Image, UnidentifiedImageError = _import_pillow()
    if color_mode not in _COLOR_MODES:
        raise ValueError(
            f"color_mode must be one of {sorted(_COLOR_MODES)}, got {color_mode!r}."
        )
    if on_error not in ("raise", "warn"):
        raise ValueError(f"on_error must be 'raise' or 'warn', got {on_error!r}.")
    size = None if image_size is None else _check_image_size(image_size)
    extensions = tuple(e.lower() for e in extensions)
    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"{str(root)!r} is not a folder.")

    entries = [p for p in root.iterdir() if not _is_hidden(p, root)]
    top_images = sorted(p for p in entries if _is_image_file(p, extensions))
    class_dirs = sorted(p for p in entries if p.is_dir())
    if top_images and class_dirs:
        raise ValueError(
            f"{str(root)!r} holds both images and sub-folders; put every image "
            "in a class sub-folder (labelled data) or all at the top level "
            "(unlabelled data)."
        )
    files: list[Path] = top_images
    labels: list[int] = []
    target_names = None
    if class_dirs:
        target_names = np.array([d.name for d in class_dirs])
        files = []
        for label, folder in enumerate(class_dirs):
            found = [
                p
                for p in folder.rglob("*")
                if _is_image_file(p, extensions) and not _is_hidden(p, root)
            ]
            found.sort()
            files += found
            labels += [label] * len(found)
    if not files:
        raise ValueError(
            f"No image files ({', '.join(extensions)}) found in {str(root)!r}."
        )

    mode, n_channels = _COLOR_MODES[color_mode]
    data = None
    kept = np.zeros(len(files), dtype=bool)
    n_loaded = 0
    for i, file in enumerate(files):
        try:
            with Image.open(file) as image:
                image = image.convert(mode)
                if size is None:
                    size = (image.height, image.width)
                elif image_size is not None and (image.height, image.width) != size:
                    image = image.resize((size[1], size[0]), Image.BILINEAR)
                pixels = np.asarray(image, dtype=np.uint8)
        except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
            message = f"Cannot read image file {str(file)!r}: {exc}"
            if on_error == "raise":
                raise ValueError(
                    f"{message}. Remove it, or pass on_error='warn' to skip it."
                ) from exc
            warnings.warn(f"{message}; skipped.", UserWarning, stacklevel=2)
            continue
        if image_size is None and pixels.shape[:2] != size:
            raise ValueError(
                f"Image {str(file)!r} is {pixels.shape[1]}x{pixels.shape[0]} "
                f"(width x height) but earlier ones are {size[1]}x{size[0]}; pass "
                "image_size to resize every image to one size."
            )
        if data is None:
            data = np.empty((len(files), n_channels * size[0] * size[1]), np.float32)
        # Channels first, as image_shape = (channels, height, width) says.
        row = data[n_loaded].reshape(n_channels, size[0], size[1])
        channels_first = pixels.reshape(size[0], size[1], n_channels).transpose(2, 0, 1)
        np.multiply(channels_first, 1 / 255, out=row, casting="unsafe")
        kept[i] = True
        n_loaded += 1
    if data is None:
        raise ValueError(f"None of the image files in {str(root)!r} could be read.")
    target = None
    if target_names is not None:
        target = np.asarray(labels, dtype=np.int64)[kept]
    return Bunch(
        data=data[:n_loaded],
        target=target,
        target_names=target_names,
        image_shape=(n_channels, *size),
        filenames=np.array([str(f) for f in files])[kept],
    )


def save_image_folder(
    path: str | os.PathLike,
    X,
    image_shape: tuple[int, int, int],
    y=None,
    *,
    class_names: Sequence[str] | None = None,
) -> Path:
    """Write rows of ``X`` as PNG images, in class sub-folders when ``y`` is given.

    The inverse of :func:`load_image_folder`: image ``i`` is written to
    ``path/<class name>/image_<i>.png`` (or ``path/image_<i>.png`` without
    ``y``), its values in [0, 1] stored as 8-bit pixels.

    Parameters
    ----------
    path : str or path-like
        Folder to write to; created when missing.
    X : array-like of shape (n_images, channels * height * width)
        Flattened images with values in [0, 1].
    image_shape : tuple of int
        ``(channels, height, width)``; channels must be 1 (grayscale) or 3 (RGB).
    y : array-like of shape (n_images,), default=None
        Labels; each distinct label gets a sub-folder.
    class_names : sequence of str, default=None
        Folder name of each label when ``y`` holds integers 0..n_classes-1;
        by default the labels themselves name the folders.

    Returns
    -------
    path : Path
        The folder written to.

    Examples
    --------
    >>> import tempfile
    >>> from skdeepcluster.datasets import make_shapes, save_image_folder
    >>> X, y = make_shapes(4, image_size=8, random_state=0)
    >>> root = save_image_folder(tempfile.mkdtemp(), X, (1, 8, 8), y,
    ...                          class_names=["circle", "square", "triangle", "cross"])
    >>> sorted(p.name for p in root.iterdir())
    ['circle', 'cross', 'square', 'triangle']
    """
    Image, _ = _import_pillow()
    X = np.asarray(X, dtype=np.float64)
    channels, height, width = (int(s) for s in image_shape)
    if channels not in (1, 3):
        raise ValueError(f"image_shape must have 1 or 3 channels, got {channels}.")
    if X.ndim != 2 or X.shape[1] != channels * height * width:
        raise ValueError(
            f"X must be 2-D with channels*height*width={channels * height * width} "
            f"columns for image_shape={tuple(image_shape)}, got shape {X.shape}."
        )
    if not np.all((X >= 0) & (X <= 1)):
        raise ValueError("X must hold values in [0, 1] to be written as images.")
    root = Path(path)
    folders = [root] * len(X)
    if y is not None:
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"y has {len(y)} labels for {len(X)} images.")
        names = y if class_names is None else np.asarray(class_names)[y]
        folders = [root / str(name) for name in names]
    width_digits = len(str(max(len(X) - 1, 0)))
    for i, (row, folder) in enumerate(zip(X, folders, strict=True)):
        folder.mkdir(parents=True, exist_ok=True)
        pixels = np.rint(row.reshape(channels, height, width) * 255).astype(np.uint8)
        pixels = pixels.transpose(1, 2, 0)
        image = Image.fromarray(pixels[:, :, 0] if channels == 1 else pixels)
        image.save(folder / f"image_{i:0{width_digits}d}.png")
    return root


def _shape_mask(name: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inside test of a shape of radius about 1 centred at the origin."""
    if name == "circle":
        return u**2 + v**2 <= 1.0
    if name == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if name == "triangle":  # equilateral, vertices on the unit circle, one up
        return (v >= -0.5) & (v <= 1.0 - math.sqrt(3.0) * np.abs(u))
    if name == "cross":
        arm = 0.3
        return ((np.abs(u) <= arm) & (np.abs(v) <= 1.0)) | (
            (np.abs(v) <= arm) & (np.abs(u) <= 1.0)
        )
    radius = u**2 + v**2  # ring
    return (radius <= 1.0) & (radius >= 0.55**2)


def make_shapes(
    n_samples: int = 400,
    *,
    shapes: Sequence[str] = ("circle", "square", "triangle", "cross"),
    image_size: int | tuple[int, int] = 32,
    shift: float = 0.1,
    scale: tuple[float, float] = (0.65, 0.8),
    rotation: float = 10.0,
    noise: float = 0.05,
    random_state=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Generate grayscale images of simple shapes, one class per shape.

    Each image holds one white shape on black, drawn with anti-aliased edges,
    at a random position, size and rotation, plus Gaussian pixel noise. The
    classes are balanced (as in :func:`~sklearn.datasets.make_blobs`) and the
    rows shuffled. With the defaults the shapes stay inside the image and vary
    moderately in pose; the pose parameters set how hard the problem is (size
    variation hurts pixel-based clustering most).

    Parameters
    ----------
    n_samples : int, default=400
        Number of images, split as evenly as possible between the shapes.
    shapes : sequence of str, default=("circle", "square", "triangle", "cross")
        Shapes to draw, among :data:`SHAPES`; label ``i`` is ``shapes[i]``.
    image_size : int or (height, width), default=32
        Size of the images in pixels.
    shift : float, default=0.1
        Largest offset of a shape's centre from the image centre, as a fraction
        of half the image side, drawn uniformly in each direction.
    scale : (float, float), default=(0.65, 0.8)
        Range of a shape's radius as a fraction of half the image side.
    rotation : float, default=10.0
        Largest rotation in degrees, drawn uniformly in ``[-rotation, rotation]``.
    noise : float, default=0.05
        Standard deviation of the Gaussian pixel noise; values are then clipped
        to [0, 1].
    random_state : int, RandomState instance or None, default=None
        Seed of the positions, sizes, rotations, noise and shuffling.

    Returns
    -------
    X : ndarray of shape (n_samples, height * width)
        float32 images in [0, 1], flattened row by row; ``image_shape`` is
        ``(1, height, width)``.
    y : ndarray of shape (n_samples,)
        Index in ``shapes`` of each image's shape.

    Examples
    --------
    >>> from skdeepcluster.datasets import make_shapes
    >>> X, y = make_shapes(100, image_size=28, random_state=0)
    >>> X.shape, X.dtype, sorted(set(y.tolist()))
    ((100, 784), dtype('float32'), [0, 1, 2, 3])
    """
    if not isinstance(n_samples, Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}.")
    shapes = list(shapes)
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown or not shapes:
        raise ValueError(f"shapes must be names among {list(SHAPES)}, got {shapes!r}.")
    height, width = _check_image_size(image_size)
    for name, value in (("shift", shift), ("rotation", rotation), ("noise", noise)):
        if not isinstance(value, Real) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}.")
    if len(scale) != 2 or not 0 < scale[0] <= scale[1]:
        raise ValueError(
            f"scale must be a (low, high) pair with 0 < low <= high, got {scale!r}."
        )
    rng = check_random_state(random_state)
    y = np.arange(n_samples) % len(shapes)
    rng.shuffle(y)

    # Supersampled pixel centres in [-1, 1], y axis pointing up.
    factor = 4 if max(height, width) <= 64 else 2
    rows = (np.arange(height * factor) + 0.5) / (height * factor) * 2 - 1
    cols = (np.arange(width * factor) + 0.5) / (width * factor) * 2 - 1
    grid_u, grid_v = np.meshgrid(cols, -rows)

    X = np.empty((n_samples, height * width), dtype=np.float32)
    for i, label in enumerate(y):
        centre = rng.uniform(-shift, shift, size=2)
        radius = rng.uniform(*scale)
        angle = math.radians(rng.uniform(-rotation, rotation))
        cos, sin = math.cos(angle), math.sin(angle)
        du, dv = grid_u - centre[0], grid_v - centre[1]
        u = (cos * du + sin * dv) / radius
        v = (-sin * du + cos * dv) / radius
        inside = _shape_mask(shapes[label], u, v).astype(np.float32)
        image = inside.reshape(height, factor, width, factor).mean(axis=(1, 3))
        image += noise * rng.standard_normal(image.shape)
        X[i] = np.clip(image, 0.0, 1.0).ravel()
    return X, y


_MNIST_IDX = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def _read_idx(path: Path) -> np.ndarray:
    """An array from an IDX file (the original MNIST format), gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        content = f.read()
    if len(content) < 4 or content[:2] != b"\x00\x00" or content[2] != 0x08:
        raise ValueError(f"{str(path)!r} is not an IDX file of unsigned bytes.")
    n_dims = content[3]
    shape = tuple(
        int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims)
    )
    return np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(shape)


def _find_idx(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise ValueError(f"{str(folder)!r} has no MNIST file {stem} (or {stem}.gz).")


def load_mnist(
    path: str | os.PathLike | None = None,
    *,
    data_home: str | os.PathLike | None = None,
) -> Bunch:
    """Load the 70,000 MNIST digits as rows in [0, 1].

    Parameters
    ----------
    path : str or path-like, default=None
        A local copy: an ``.npz`` file holding ``X`` (70000 x 784 or
        70000 x 28 x 28) and ``y``, or a folder holding the four original IDX
        files (``train-images-idx3-ubyte`` etc., gzipped or not; the 60,000
        training digits come first). ``None`` downloads MNIST from OpenML
        through :func:`sklearn.datasets.fetch_openml`, cached in ``data_home``.
    data_home : str or path-like, default=None
        Cache folder for the download; see :func:`~sklearn.datasets.fetch_openml`.

    Returns
    -------
    data : Bunch
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_samples, 784)
            float32 pixel values in [0, 1].
        target : ndarray of shape (n_samples,)
            The digits, int64.
        image_shape : tuple of int
            ``(1, 28, 28)``, the estimators' ``image_shape``.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from skdeepcluster.datasets import load_mnist
    >>> path = os.path.join(tempfile.mkdtemp(), "mnist.npz")
    >>> np.savez(path, X=np.zeros((3, 784), np.uint8), y=np.arange(3))
    >>> mnist = load_mnist(path)
    >>> mnist.data.shape, mnist.image_shape
    ((3, 784), (1, 28, 28))
    """
    if path is None:
        from sklearn.datasets import fetch_openml

        X, y = fetch_openml(
            "mnist_784",
            version=1,
            return_X_y=True,
            as_frame=False,
            data_home=data_home,
        )
    else:
        path = Path(path)
        if path.is_dir():
            X = np.concatenate(
                [
                    _read_idx(_find_idx(path, _MNIST_IDX["train_images"])),
                    _read_idx(_find_idx(path, _MNIST_IDX["test_images"])),
                ]
            )
            y = np.concatenate(
                [
                    _read_idx(_find_idx(path, _MNIST_IDX["train_labels"])),
                    _read_idx(_find_idx(path, _MNIST_IDX["test_labels"])),
                ]
            )
        elif path.is_file():
            with np.load(path) as archive:
                missing = {"X", "y"} - set(archive.files)
                if missing:
                    raise ValueError(
                        f"{str(path)!r} must hold arrays 'X' and 'y'; it lacks "
                        f"{sorted(missing)}."
                    )
                X, y = archive["X"], archive["y"]
        else:
            raise ValueError(f"{str(path)!r} is neither an .npz file nor a folder.")
    X = np.asarray(X).reshape(len(X), -1)
    if X.shape[1] != 784 or len(y) != len(X):
        raise ValueError(
            f"MNIST rows must have 784 pixels with one label each; got X of shape "
            f"{X.shape} and {len(y)} labels."
        )
    data = X.astype(np.float32)
    data /= 255.0
    return Bunch(
        data=data, target=np.asarray(y).astype(np.int64), image_shape=(1, 28, 28)
    )
