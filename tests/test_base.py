"""Behaviour every estimator shares through BaseDeepClusterer."""

import copy
import pickle
import warnings
from types import SimpleNamespace

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score, make_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skdeepcluster import (
    AutoEncoderKMeans,
    DeviceWarning,
    GMVAEClustering,
    _autoencoder,
    _base,
    _training,
)
from skdeepcluster._utils import resolve_device

from fast_estimators import (
    estimator_id,
    fast_autoencoder_estimators,
    fast_estimators,
    first_phase,
    is_shallow,
)

ESTIMATORS = pytest.mark.parametrize("estimator", fast_estimators(), ids=estimator_id)
AUTOENCODER_ESTIMATORS = pytest.mark.parametrize(
    "estimator", fast_autoencoder_estimators(), ids=estimator_id
)


@ESTIMATORS
def test_fitted_outputs_are_consistent(estimator, blobs):
    X, _ = blobs
    model = clone(estimator).set_params(n_clusters=3, random_state=0).fit(X)
    labels = model.predict(X)
    proba = model.predict_proba(X)
    np.testing.assert_array_equal(model.labels_, labels)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba.argmax(axis=1), labels)
    assert proba.shape == (X.shape[0], 3)
    assert labels.dtype.kind == "i"
    assert set(np.unique(labels)) <= {0, 1, 2}
    Z = model.transform(X.astype(np.float32))
    assert Z.dtype == np.float32
    assert model.transform(X).dtype == np.float64
    assert Z.shape == (X.shape[0], model.get_feature_names_out().shape[0])


@ESTIMATORS
def test_same_seed_same_result_different_seed_different_result(estimator, blobs):
    X, _ = blobs
    first = clone(estimator).set_params(n_clusters=3, random_state=7).fit(X)
    second = clone(estimator).set_params(n_clusters=3, random_state=7).fit(X)
    other = clone(estimator).set_params(n_clusters=3, random_state=8).fit(X)
    np.testing.assert_array_equal(first.labels_, second.labels_)
    np.testing.assert_array_equal(first.transform(X), second.transform(X))
    assert [h["loss"] for h in first.history_] == [h["loss"] for h in second.history_]
    assert not np.allclose(first.predict_proba(X), other.predict_proba(X))


@ESTIMATORS
def test_fit_leaves_global_torch_rng_untouched(estimator, blobs):
    X, _ = blobs
    before = torch.random.get_rng_state()
    clone(estimator).set_params(n_clusters=3, random_state=0).fit(X)
    assert torch.equal(before, torch.random.get_rng_state())


@ESTIMATORS
def test_pickle_and_joblib_round_trips(estimator, blobs, tmp_path):
    X, _ = blobs
    model = clone(estimator).set_params(n_clusters=3, random_state=0).fit(X)
    expected = model.predict_proba(X)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    np.testing.assert_array_equal(loaded.labels_, model.labels_)


def _without_estimator_start(estimator):
    """A clone that starts from k-means where it would fit another estimator first.

    GMVAE's start may be an estimator of the package, which makes its own
    copies and resolves its own settings.
    """
    model = clone(estimator)
    if "init_params" in model.get_params():
        model.set_params(init_params="kmeans")
    return model


@ESTIMATORS
def test_cpu_inference_reuses_one_float64_copy_that_is_not_pickled(
    estimator, blobs, monkeypatch
):
    X, _ = blobs
    copies = []

    def counting_deepcopy(module):
        copies.append(module)
        return copy.deepcopy(module)

    monkeypatch.setattr(_base, "copy", SimpleNamespace(deepcopy=counting_deepcopy))
    model = _without_estimator_start(estimator).set_params(n_clusters=3, random_state=0)
    model.fit(X)
    assert copies == [model.module_]  # made once, for labels_
    inference_module, dtype = model._inference_module()
    assert dtype == torch.float64 and inference_module is not model.module_
    assert (
        next(inference_module.parameters(), torch.zeros(1, dtype=dtype)).dtype == dtype
    )
    model.predict(X)
    model.predict_proba(X[:5])
    model.transform(X)
    assert len(copies) == 1
    assert "_inference_copy" not in model.__getstate__()
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    restored.predict(X)
    assert len(copies) == 2  # rebuilt once after unpickling
    model.set_params(random_state=1).fit(X)
    assert model._inference_module()[0] is not inference_module


@ESTIMATORS
def test_model_saved_on_missing_device_loads_on_cpu(estimator, blobs, monkeypatch):
    X, _ = blobs
    model = clone(estimator).set_params(n_clusters=3, random_state=0).fit(X)
    expected = model.predict(X)
    # Pretend the model was fitted on a GPU that the loading machine lacks.
    model._device = torch.device("cuda:0")
    payload = pickle.dumps(model)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning, match="cuda:0"):
        restored = pickle.loads(payload)
    assert restored._device == torch.device("cpu")
    np.testing.assert_array_equal(restored.predict(X), expected)


@ESTIMATORS
def test_clone_pipeline_and_grid_search(estimator, blobs):
    X, y = blobs
    pipeline = make_pipeline(
        MinMaxScaler(), clone(estimator).set_params(random_state=0)
    )
    step = type(estimator).__name__.lower()
    search = GridSearchCV(
        pipeline,
        {f"{step}__n_clusters": [2, 3, 5]},
        scoring=make_scorer(adjusted_rand_score),
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    assert search.best_params_[f"{step}__n_clusters"] == 3
    assert adjusted_rand_score(y, search.best_estimator_.predict(X)) > 0.9


@ESTIMATORS
def test_history_records_every_epoch_of_every_phase(estimator, blobs):
    X, _ = blobs
    model = clone(estimator).set_params(n_clusters=3, random_state=0).fit(X)
    phase, n_epochs = first_phase(estimator)
    first = [h for h in model.history_ if h["phase"] == phase]
    assert [h["epoch"] for h in first] == list(range(1, n_epochs + 1))
    assert all(np.isfinite(h["loss"]) for h in model.history_)


@pytest.mark.parametrize(
    ("estimator", "phase", "budget"),
    [
        (
            AutoEncoderKMeans(3, hidden_layer_sizes=(8,), latent_dim=2),
            "pretrain",
            {"pretrain_epochs": 400},
        ),
        (
            GMVAEClustering(
                3, hidden_layer_sizes=(8,), latent_dim=2, init_iterations=10
            ),
            "train",
            {"max_epochs": 400},
        ),
    ],
    ids=["AutoEncoderKMeans", "GMVAEClustering"],
)
def test_a_phase_stops_once_its_loss_is_flat(
    estimator, phase, budget, blobs, monkeypatch
):
    X, _ = blobs
    # One check per epoch of the 90 rows (one batch each).
    monkeypatch.setattr(_training, "CHECK_ROWS", len(X))
    monkeypatch.setattr(_autoencoder, "PRETRAINING_PLATEAU_ROWS", len(X))
    model = clone(estimator).set_params(random_state=0, **budget).fit(X)
    epochs = [h for h in model.history_ if h["phase"] == phase]
    assert model.n_iter_ == len(epochs) < 400
    # The last n_iter_no_change=10 epochs did not improve on the best before.
    losses = [h["loss"] for h in epochs]
    assert min(losses[-10:]) > min(losses[:-10]) * (1 - 1e-4)
    budgeted = clone(model).set_params(n_iter_no_change=None).fit(X)
    assert budgeted.n_iter_ == 400


def test_the_pretraining_checks_its_plateau_over_more_rows(blobs, monkeypatch):
    # One record per epoch; the pretraining averages PRETRAINING_PLATEAU_ROWS
    # rows (over a thousand epochs of these 90), so its flat loss, which
    # stops the one-epoch checks above, runs the whole budget here.
    X, _ = blobs
    monkeypatch.setattr(_training, "CHECK_ROWS", len(X))
    model = AutoEncoderKMeans(
        3, hidden_layer_sizes=(8,), latent_dim=2, pretrain_epochs=400, random_state=0
    ).fit(X)
    assert model.n_iter_ == 400


@ESTIMATORS
def test_verbose_two_prints_a_line_per_epoch(estimator, blobs, capsys):
    X, _ = blobs
    clone(estimator).set_params(n_clusters=3, verbose=2).fit(X)
    phase, n_epochs = first_phase(estimator)
    lines = [
        line for line in capsys.readouterr().out.splitlines() if f"[{phase}]" in line
    ]
    assert len(lines) == n_epochs
    assert "loss=" in lines[0]


@ESTIMATORS
def test_verbose_one_shows_a_progress_bar(estimator, blobs, capsys):
    pytest.importorskip("tqdm")
    X, _ = blobs
    clone(estimator).set_params(n_clusters=3, verbose=1).fit(X)
    assert first_phase(estimator)[0] in capsys.readouterr().err


@ESTIMATORS
def test_verbose_zero_is_silent(estimator, blobs, capsys):
    X, _ = blobs
    clone(estimator).set_params(n_clusters=3).fit(X)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@ESTIMATORS
def test_exploding_loss_stops_with_advice(estimator, blobs):
    X, _ = blobs
    model = clone(estimator).set_params(
        n_clusters=3, optimizer="sgd", learning_rate=1e12, random_state=0
    )
    if is_shallow(model):
        # The shallow model has no pretraining: its one phase must explode.
        model.set_params(cluster_optimizer="sgd", cluster_learning_rate=1e12)
    with pytest.raises(ValueError, match=r"The \w+ loss became .*learning_rate"):
        model.fit(X * 1e3)
    assert not hasattr(model, "module_")


@ESTIMATORS
@pytest.mark.parametrize(
    ("chunk_values", "expected"),
    [(4 * 8, 16), (4 * 40, 40), (2**22, 90)],
    ids=["batch-size", "wider", "capped"],
)
def test_inference_runs_in_chunks_of_at_least_batch_size(
    estimator, blobs, monkeypatch, chunk_values, expected
):
    X, _ = blobs
    model = (
        clone(estimator).set_params(n_clusters=3, batch_size=16, random_state=0).fit(X)
    )
    # Chunks hold at most chunk_values values, at least batch_size rows and at
    # most 4,096 rows (here all 90).
    monkeypatch.setattr(_base, "_CHUNK_VALUES", chunk_values)
    sizes = []
    transform_tensor = model._transform_tensor

    def spy(module, x):
        sizes.append(x.shape[0])
        return transform_tensor(module, x)

    monkeypatch.setattr(model, "_transform_tensor", spy)
    model.transform(X)
    assert max(sizes) == expected and sum(sizes) == X.shape[0]


@ESTIMATORS
def test_row_results_do_not_depend_on_the_rest_of_the_call(estimator, blobs):
    X, _ = blobs
    model = clone(estimator).set_params(n_clusters=3, random_state=0).fit(X)
    together = model.transform(X)
    one_by_one = np.vstack([model.transform(X[i : i + 1]) for i in range(len(X))])
    # float64 inference: differences stay at rounding level (~1e-16), far below
    # the 1e-7 that float32 matrix products of different shapes produce.
    np.testing.assert_allclose(together, one_by_one, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(
        model.predict(X), [model.predict(r[None])[0] for r in X]
    )
    scores = model.score_samples(X)
    assert scores.shape == (len(X),)
    np.testing.assert_allclose(
        scores, [model.score_samples(r[None])[0] for r in X], rtol=1e-12
    )
    assert model.score(X) == pytest.approx(scores.mean())


# ----------------------------------------------------------------- bad input


@ESTIMATORS
@pytest.mark.parametrize(
    ("make_bad", "error", "message"),
    [
        (
            lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X),
            ValueError,
            "NaN",
        ),
        (
            lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.inf, X),
            ValueError,
            "infinity",
        ),
        (lambda X: X.astype(str).astype(object) + "x", ValueError, "could not convert"),
        (
            lambda X: sp.csr_matrix(
                np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X)
            ),
            ValueError,
            r"NaN or infinity in 1 of rows 0 to 89 \(the first: row 1\)",
        ),
        (lambda X: X[:, 0], ValueError, "Expected 2D array"),
        (lambda X: X[:0], ValueError, "0 sample"),
    ],
    ids=["nan", "inf", "strings", "sparse-nan", "1d", "empty"],
)
def test_bad_training_input_is_rejected(estimator, blobs, make_bad, error, message):
    X, _ = blobs
    with pytest.raises(error, match=message):
        clone(estimator).set_params(n_clusters=3).fit(make_bad(X))


@ESTIMATORS
def test_more_clusters_than_samples_is_rejected(estimator, blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match=r"n_samples=5 should be >= n_clusters=8"):
        clone(estimator).set_params(n_clusters=8).fit(X[:5])


@ESTIMATORS
def test_predict_with_other_feature_count_is_rejected(estimator, blobs):
    X, _ = blobs
    model = clone(estimator).set_params(n_clusters=3).fit(X)
    methods = (
        model.predict,
        model.predict_proba,
        model.transform,
        model.score,
        model.score_samples,
    )
    for method in methods:
        with pytest.raises(ValueError, match=r"X has 3 features, but .* expecting 4"):
            method(X[:, :3])


@ESTIMATORS
def test_predict_before_fit_is_rejected(estimator, blobs):
    from sklearn.exceptions import NotFittedError

    X, _ = blobs
    with pytest.raises(NotFittedError):
        clone(estimator).predict(X)


@ESTIMATORS
@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"optimizer": "rmsprop"},
            r"'optimizer' parameter .* among \{('adam', 'sgd'|'sgd', 'adam')\}",
        ),
        ({"learning_rate": -1.0}, r"'learning_rate' parameter .* range \(0.0, inf\)"),
        ({"batch_size": 0}, r"'batch_size' parameter .* range \[1, inf\)"),
        ({"n_clusters": 0}, r"'n_clusters' parameter"),
        ({"latent_dim": 1.5}, r"'latent_dim' parameter"),
        ({"verbose": "loud"}, r"'verbose' parameter"),
        ({"device": 3}, r"'device' parameter"),
        ({"device": "gpu"}, r"device='gpu' is not a valid device"),
        (
            {"hidden_layer_sizes": (16, 0)},
            r"hidden_layer_sizes must be .* positive integers",
        ),
        ({"hidden_layer_sizes": (16.5,)}, r"hidden_layer_sizes must be"),
        ({"conv_channels": ()}, r"conv_channels must be a non-empty"),
        (
            {"image_shape": (1, 2, 3)},
            r"image_shape=\(1, 2, 3\) must be .* n_features=4",
        ),
        (
            {"image_shape": (2, 2)},
            r"image_shape=\(2, 2\) must be \(channels, height, width\)",
        ),
        (
            {"image_shape": (1, -1, 3)},
            r"image_shape=\(1, -1, 3\) must be .*one entry may be -1",
        ),
        ({"image_shape": (1, -1, -1)}, r"image_shape=\(1, -1, -1\) must be"),
        ({"image_shape": (0, -1, 1)}, r"image_shape must be .* positive integers"),
        ({"conv_channels": "wide"}, r"'conv_channels' parameter .*\{'auto'\}"),
    ],
)
def test_invalid_parameters_are_named(estimator, blobs, params, message):
    X, _ = blobs
    with pytest.raises(ValueError, match=message):
        clone(estimator).set_params(**{"n_clusters": 3, **params}).fit(X)


@ESTIMATORS
def test_fewer_distinct_clusters_than_asked_for_are_warned_about(estimator):
    # Two distinct rows cannot fill three clusters, whatever the method does.
    X = np.repeat([[0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]], 10, axis=0)
    model = clone(estimator).set_params(n_clusters=3)
    with pytest.warns(
        ConvergenceWarning, match=r"Only 2 of n_clusters=3 clusters"
    ) as record:
        model.fit(X)
    # Labels close the gap the empty cluster leaves and agree with predict.
    np.testing.assert_array_equal(np.unique(model.labels_), [0, 1])
    np.testing.assert_array_equal(model.labels_, model.predict(X))
    assert model.predict_proba(X)[:, 2].max() < 0.5
    ours = [w for w in record if "Only 2 of" in str(w.message)]
    assert [w.filename for w in ours] == [__file__]  # points at the caller
    # Each method names its own remedies.
    assert type(model)._merged_clusters_advice in str(ours[0].message)


@ESTIMATORS
def test_settings_are_resolved_once_per_fit(estimator, blobs, monkeypatch):
    X, _ = blobs
    calls = {"image_shape": 0, "device": 0}
    resolve_image_shape, resolve = _base._resolve_image_shape, _base.resolve_device

    def image_shape(*args):
        calls["image_shape"] += 1
        return resolve_image_shape(*args)

    def device(*args):
        calls["device"] += 1
        return resolve(*args)

    monkeypatch.setattr(_base, "_resolve_image_shape", image_shape)
    monkeypatch.setattr(_base, "resolve_device", device)
    model = _without_estimator_start(estimator).set_params(n_clusters=3, random_state=0)
    model.fit(X).predict(X)
    assert calls == {"image_shape": 1, "device": 1}


@ESTIMATORS
def test_image_shape_may_infer_one_side_like_reshape(estimator, blobs):
    X, _ = blobs
    model = clone(estimator).set_params(image_shape=(1, -1, 2), conv_channels=(2,))
    model.fit(X)
    assert model._image_shape == (1, 2, 2)
    assert model.image_shape == (1, -1, 2)  # the parameter is left as given


@AUTOENCODER_ESTIMATORS
@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"pretraining": "greedy"},
            r"'pretraining' parameter .* among \{.*'layerwise'.*\}",
        ),
        ({"corruption": 1.0}, r"'corruption' parameter .* range \[0.0, 1.0\)"),
        (
            {"neighbor_weight": -1.0},
            r"'neighbor_weight' parameter .* range \[0.0, inf\)",
        ),
        ({"n_neighbors": 0}, r"'n_neighbors' parameter .* range \[1, inf\)"),
        ({"augmentation": "yes"}, r"'augmentation' parameter .* 'bool'"),
        ({"memory": 3}, r"'memory' parameter .* None, .*str.*cache"),
        (
            {"pretraining": "layerwise", "image_shape": (1, 2, 2)},
            r"pretraining='layerwise' .* not available with image_shape",
        ),
    ],
)
def test_invalid_pretraining_parameters_are_named(estimator, blobs, params, message):
    X, _ = blobs
    with pytest.raises(ValueError, match=message):
        clone(estimator).set_params(**{"n_clusters": 3, **params}).fit(X)


def test_unavailable_cuda_is_an_error_not_a_silent_fallback(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device(torch.device("cuda:1"))


def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(_base.torch.backends.mps, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(_base.torch.backends.mps, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


def test_labels_close_gaps_left_by_empty_clusters():
    columns = np.array([4, 1, 4, 1])
    order = _base._label_order(np.bincount(columns, minlength=5))
    labels = _base._relabel(columns, order)
    np.testing.assert_array_equal(order, [1, 4, 0, 2, 3])
    np.testing.assert_array_equal(labels, [1, 0, 1, 0])


def test_relabelled_columns_are_what_predict_returns_ties_included():
    # Probabilities on a coarse grid, so that many rows tie between columns.
    proba = np.random.RandomState(0).randint(1, 3, size=(500, 6)).astype(float)
    proba[:, [0, 3]] = 0.0  # two clusters that no row uses
    columns = proba.argmax(axis=1)
    order = _base._label_order(np.bincount(columns, minlength=6))
    labels = _base._relabel(columns, order)
    np.testing.assert_array_equal(labels, proba[:, order].argmax(axis=1))
    np.testing.assert_array_equal(np.unique(labels), [0, 1, 2, 3])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@ESTIMATORS
def test_cuda_fit_and_cpu_reload(estimator, blobs):
    X, _ = blobs
    model = (
        clone(estimator).set_params(n_clusters=3, device="cuda", random_state=0).fit(X)
    )
    assert model._device.type == "cuda"
    assert next(model.module_.parameters()).is_cuda
    state = pickle.dumps(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = pickle.loads(state)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


@AUTOENCODER_ESTIMATORS
def test_corruption_makes_pretraining_denoise(estimator, blobs):
    X, _ = blobs
    # Without the neighbour term the pretraining loss is the reconstruction.
    settings = {
        "n_clusters": 3,
        "random_state": 0,
        "pretrain_epochs": 10,
        "neighbor_weight": 0.0,
    }
    plain = clone(estimator).set_params(corruption=0.0, **settings).fit(X)
    again = clone(estimator).set_params(corruption=0.0, **settings).fit(X)
    noisy = clone(estimator).set_params(corruption=0.5, **settings).fit(X)
    # Reconstructing from half the inputs is harder than from all of them.
    assert _last_loss(noisy, "pretrain") > _last_loss(plain, "pretrain")
    assert plain.history_ == again.history_


@AUTOENCODER_ESTIMATORS
def test_neighbor_weight_adds_its_term_to_the_pretraining(estimator, blobs):
    X, _ = blobs
    settings = {"n_clusters": 3, "random_state": 0, "pretrain_epochs": 10}
    plain = clone(estimator).set_params(neighbor_weight=0.0, **settings).fit(X)
    weighted = clone(estimator).set_params(neighbor_weight=1.0, **settings).fit(X)
    # The term is of order 1 at least (5 negatives); the reconstruction of
    # standardised blobs starts near 1 and decreases.
    assert _last_loss(weighted, "pretrain") > _last_loss(plain, "pretrain") + 1.0
    assert not np.allclose(weighted.transform(X), plain.transform(X))
    # More neighbours than other rows are capped, not an error.
    clone(estimator).set_params(n_neighbors=len(X), **settings).fit(X[:12])


@AUTOENCODER_ESTIMATORS
def test_augmentation_pretrains_on_shifted_and_rotated_images(
    estimator, blobs, monkeypatch
):
    X, _ = blobs
    shapes = []
    augment = _autoencoder.random_affine
    monkeypatch.setattr(
        _autoencoder,
        "random_affine",
        lambda batch, shape, generator: (
            shapes.append(shape) or augment(batch, shape, generator)
        ),
    )
    settings = {"n_clusters": 3, "random_state": 0, "pretrain_epochs": 3}
    plain = clone(estimator).set_params(**settings).fit(X)
    assert shapes == []
    augmented = clone(estimator).set_params(augmentation=True, **settings).fit(X)
    # Every pretraining batch is transformed, the rows read as 2x2 images.
    pretraining = [h for h in augmented.history_ if h["phase"] == "pretrain"]
    n_batches = pretraining[-1]["n_iterations"]
    assert shapes == [(1, 2, 2)] * n_batches
    assert not np.allclose(augmented.transform(X), plain.transform(X))
    shapes.clear()
    clone(estimator).set_params(
        augmentation=True, image_shape=(4, 1, 1), conv_channels=(2,), **settings
    ).fit(X)
    assert set(shapes) == {(4, 1, 1)}


@AUTOENCODER_ESTIMATORS
def test_augmentation_of_rows_that_are_not_images_is_an_error(estimator, blobs):
    X, _ = blobs
    model = clone(estimator).set_params(n_clusters=3, augmentation=True)
    with pytest.raises(ValueError, match="3 features per row are not a square"):
        model.fit(X[:, :3])


def _last_loss(model, phase):
    return [h["loss"] for h in model.history_ if h["phase"] == phase][-1]


@AUTOENCODER_ESTIMATORS
def test_memory_reuses_the_pretrained_autoencoder(
    estimator, blobs, tmp_path, monkeypatch
):
    X, _ = blobs
    phases = []
    train = _training.train

    def recording_train(*args, phase, **kwargs):
        phases.append(phase)
        return train(*args, phase=phase, **kwargs)

    monkeypatch.setattr(_training, "train", recording_train)
    settings = {"n_clusters": 3, "random_state": 0}
    plain = clone(estimator).set_params(**settings).fit(X)
    assert phases.count("pretrain") == 1

    phases.clear()
    cached = clone(estimator).set_params(memory=str(tmp_path), **settings)
    first = clone(cached).fit(X)
    second = clone(cached).set_params(n_clusters=2).fit(X)
    third = clone(cached).set_params(n_clusters=3).fit(X)
    clone(cached).set_params(verbose=2).fit(X)
    # Only the first fit pretrains; a cluster-phase parameter or verbose is not
    # part of the cache key.
    assert phases.count("pretrain") == 1
    assert second.labels_.max() == 1
    # A cache hit gives the same model as pretraining anew.
    np.testing.assert_array_equal(first.labels_, plain.labels_)
    np.testing.assert_array_equal(third.labels_, plain.labels_)
    assert third.history_ == plain.history_

    phases.clear()
    clone(cached).set_params(pretrain_epochs=2).fit(X)
    clone(cached).set_params(neighbor_weight=1.0).fit(X)
    clone(cached).set_params(augmentation=True).fit(X)
    clone(cached).set_params(random_state=1).fit(X)
    clone(cached).fit(X[:60])
    # A new pretraining parameter, seed or training set is a cache miss.
    assert phases.count("pretrain") == 5
