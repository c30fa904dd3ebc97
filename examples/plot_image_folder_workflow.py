"""
From folders of images to named clusters and a confusion matrix
===============================================================

The whole image workflow of a deep clustering project, on synthetic images so
that it runs anywhere without a download:

1. write ``train``, ``test`` and ``reference`` folders of shape images (one
   sub-folder per class; the labels of ``train`` are never used for fitting);
2. load them as flattened rows with their ``image_shape``;
3. fit a convolutional DEC (DCEC) on the training images;
4. name its clusters from a handful of labelled reference images;
5. evaluate on the test images and save the confusion matrix (PNG), the
   training log (CSV), the cluster -> class mapping (JSON) and the fitted model
   (joblib);
6. reload the model and predict class names for new images.

Any estimator works the same way with ``image_shape``: swap
:class:`~skdeepcluster.DECClustering` for :class:`~skdeepcluster.AutoEncoderKMeans`,
:class:`~skdeepcluster.DMAEClustering` or :class:`~skdeepcluster.GMVAEClustering`.
For your own images, point :func:`~skdeepcluster.datasets.load_image_folder` at
your folders (``image_size=160`` resizes every image to 160x160, as the seed
project did).

Run with ``python examples/plot_image_folder_workflow.py [output folder]`` (needs
the ``images`` and ``plot`` extras); it takes under a minute on two CPU cores and
writes into ``image_workflow/`` by default.
"""

import csv
import json
import sys
from pathlib import Path

import joblib
import matplotlib

matplotlib.use("Agg")

from skdeepcluster import DECClustering
from skdeepcluster.datasets import load_image_folder, make_shapes, save_image_folder
from skdeepcluster.mapping import ClusterLabelMapper
from skdeepcluster.plotting import plot_confusion_matrix, plot_history

SHAPES = ["circle", "square", "triangle", "cross"]
IMAGE_SIZE = 32
# Half the default channels ("auto" is (32, 64, 128) at this size) and a
# shorter cluster phase keep the example under a minute on two CPU cores.
SETTINGS = {
    "n_clusters": len(SHAPES),
    "conv_channels": (16, 32, 64),
    "max_epochs": 50,
    "random_state": 0,
}


def write_folders(root: Path) -> None:
    """train / test / reference folders of shape images, one sub-folder per class."""
    folders = [("train", 600, 0), ("test", 400, 1), ("reference", 20, 2)]
    for name, n_images, seed in folders:
        X, y = make_shapes(n_images, image_size=IMAGE_SIZE, random_state=seed)
        save_image_folder(
            root / "datasets" / name,
            X,
            (1, IMAGE_SIZE, IMAGE_SIZE),
            y,
            class_names=SHAPES,
        )


def main(root: Path) -> float:
    write_folders(root)
    train = load_image_folder(root / "datasets" / "train")
    test = load_image_folder(root / "datasets" / "test")
    reference = load_image_folder(root / "datasets" / "reference")
    print(f"{len(train.data)} training images of shape {train.image_shape}")

    # Unsupervised: only the pixels of the training images are used.
    model = DECClustering(image_shape=train.image_shape, **SETTINGS).fit(train.data)

    # Five labelled images per class name the clusters.
    mapper = ClusterLabelMapper(model).fit(
        reference.data, reference.target_names[reference.target]
    )
    print("cluster -> class:", mapper.mapping_)  # e.g. {0: 'circle', 1: 'cross', ...}

    y_test = test.target_names[test.target]
    predicted = mapper.predict(test.data)
    accuracy = (predicted == y_test).mean()
    print(f"test accuracy: {accuracy:.3f}")

    train_reports, test_reports = root / "reports" / "train", root / "reports" / "test"
    train_reports.mkdir(parents=True, exist_ok=True)
    test_reports.mkdir(parents=True, exist_ok=True)
    figure = plot_confusion_matrix(y_test, predicted)
    figure.savefig(test_reports / "test_cm.png", dpi=100)
    plot_history(model, log_scale=True).savefig(train_reports / "history.png")
    with open(train_reports / "training_log.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(model.history_[0]))
        writer.writeheader()
        writer.writerows(model.history_)
    mapping = {str(cluster): str(name) for cluster, name in mapper.mapping_.items()}
    (train_reports / "class_mappings.json").write_text(json.dumps(mapping, indent=2))
    # The mapper holds the fitted model: one file to reload both.
    joblib.dump(mapper, train_reports / "model.joblib")

    reloaded = joblib.load(train_reports / "model.joblib")
    new_images = load_image_folder(root / "datasets" / "test").data[:5]
    print("reloaded model predicts:", reloaded.predict(new_images).tolist())
    return accuracy


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("image_workflow"))
