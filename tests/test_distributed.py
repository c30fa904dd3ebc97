"""Fits over a torch.distributed process group: 2 processes, gloo, this machine.

Each test spawns the processes, which join one group through a file store,
run a job on their shard and send back what the test compares. A process that
fails or hangs ends the test with a message, not a hung test run.
"""

from __future__ import annotations

import datetime
import multiprocessing
import pickle
import time
import traceback

import numpy as np
import pytest
import torch
import torch.distributed as dist
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.preprocessing import MinMaxScaler

from skdeepcluster import (
    AutoEncoderKMeans,
    DECClustering,
    DMAEClustering,
    GMVAEClustering,
)
from skdeepcluster._data import column_stats
from skdeepcluster._distributed import Collectives
from skdeepcluster.metrics import cluster_accuracy

WORLD_SIZE = 2
JOIN_TIMEOUT = 300  # seconds for all processes of one test
GROUP_TIMEOUT = 60  # seconds a collective waits for a missing process

# Small budgets: the tests check the synchronisation, not the method.
SMALL = {
    AutoEncoderKMeans: {"hidden_layer_sizes": (64,), "pretrain_epochs": 3},
    DECClustering: {
        "hidden_layer_sizes": (64,),
        "pretrain_epochs": 3,
        "max_epochs": 3,
        "update_interval": 4,
    },
    DMAEClustering: {
        "hidden_layer_sizes": (64,),
        "pretrain_epochs": 3,
        "max_epochs": 3,
        "network_learning_rate": 1e-3,
    },
    GMVAEClustering: {
        "hidden_layer_sizes": (64,),
        "max_epochs": 3,
        "init_iterations": 20,
        # Its partition is found across the group too.
        "init_params": AutoEncoderKMeans(hidden_layer_sizes=(64,), pretrain_epochs=3),
    },
}


def _process(rank, store, job, args, results):
    """One process of the group: run ``job(rank, *args)``, send back its result."""
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo",
        init_method=f"file://{store}",
        rank=rank,
        world_size=WORLD_SIZE,
        timeout=datetime.timedelta(seconds=GROUP_TIMEOUT),
    )
    try:
        outcome = ("ok", job(rank, *args))
    except Exception as exc:
        outcome = ("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    finally:
        dist.destroy_process_group()
    results.put((rank, pickle.dumps(outcome)))


def run_in_group(tmp_path, job, *args, timeout=JOIN_TIMEOUT):
    """``{rank: ("ok", result) or ("error", message)}`` of ``job`` on each process.

    The test fails when the processes have not all reported after ``timeout``
    seconds.
    """
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    store = tmp_path / "store"
    processes = [
        context.Process(target=_process, args=(rank, store, job, args, results))
        for rank in range(WORLD_SIZE)
    ]
    for process in processes:
        process.start()
    outcomes = {}
    deadline = time.monotonic() + timeout
    try:
        while len(outcomes) < WORLD_SIZE and time.monotonic() < deadline:
            try:
                rank, outcome = results.get(timeout=1)
            except Exception:  # queue.Empty: check the processes still run
                if any(p.exitcode not in (None, 0) for p in processes):
                    break
                continue
            outcomes[rank] = pickle.loads(outcome)
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
    if len(outcomes) < WORLD_SIZE:
        missing = sorted(set(range(WORLD_SIZE)) - set(outcomes))
        pytest.fail(
            f"processes {missing} of the group did not report within "
            f"{timeout} s (exit codes "
            f"{[p.exitcode for p in processes]}); outcomes: {outcomes}"
        )
    return outcomes


def results_of(outcomes):
    """The results of every process, failing the test on the first error."""
    for rank, (status, value) in sorted(outcomes.items()):
        if status != "ok":
            pytest.fail(f"process {rank} failed:\n{value}")
    return [outcomes[rank][1] for rank in range(WORLD_SIZE)]


def digits_shards():
    """Scaled digits, and two shards of unequal size (1,000 and 797 rows)."""
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X).astype(np.float32)
    order = np.random.RandomState(0).permutation(len(X))
    X, y = X[order], y[order]
    return X, y, [X[:1000], X[1000:]]


# ------------------------------------------------------------------ jobs


def _collectives_job(rank):
    collectives = Collectives.resolve("auto")
    rows = torch.full((3 + rank, 2), float(rank))
    gathered = collectives.gather_rows(rows)
    stats = collectives.column_stats(column_stats(rows.numpy()), len(rows))
    variance = collectives.variance(rows)
    # Process 1 has an empty batch: the mean gradient is process 0's.
    parameter = torch.nn.Parameter(torch.zeros(2))
    if rank == 0:
        parameter.grad = torch.tensor([1.0, 2.0])
    collectives.average_gradients([parameter], 4 if rank == 0 else 0)
    return {
        "active": collectives.active,
        "gathered": gathered,
        "stats": stats,
        "variance": variance,
        "gradient": parameter.grad,
        "sum": collectives.sum_int(rank + 1),
        "max": collectives.max_int(rank + 1),
    }


def _fit_job(rank, estimators, shards):
    return [pickle.dumps(estimator.fit(shards[rank])) for estimator in estimators]


def _fit_failing_on_one_shard_job(rank, shards):
    shard = shards[rank].copy()
    if rank == 1:
        shard[5, 3] = np.nan
    AutoEncoderKMeans(n_clusters=3, **SMALL[AutoEncoderKMeans]).fit(shard)


# ----------------------------------------------------------------- tests


def test_collectives_reduce_over_both_processes(tmp_path):
    first, second = results_of(run_in_group(tmp_path, _collectives_job))
    assert first["active"] and second["active"]
    all_rows = torch.cat([torch.zeros(3, 2), torch.ones(4, 2)])
    for result in (first, second):
        torch.testing.assert_close(result["gathered"], all_rows)
        np.testing.assert_allclose(result["stats"].mean, all_rows.mean(0).numpy())
        np.testing.assert_allclose(
            result["stats"].var, all_rows.var(0, unbiased=False).numpy()
        )
        assert (result["stats"].min, result["stats"].max) == (0.0, 1.0)
        torch.testing.assert_close(result["variance"], all_rows.var(0))
        torch.testing.assert_close(result["gradient"], torch.tensor([1.0, 2.0]))
        assert (result["sum"], result["max"]) == (3, 2)


def test_single_process_is_the_identity():
    collectives = Collectives.resolve("auto")
    rows = torch.arange(6.0).reshape(3, 2)
    assert not collectives.active
    assert collectives.gather_rows(rows) is rows
    assert collectives.sum_int(3) == 3
    with pytest.raises(
        ValueError, match=r"distributed=True needs a torch\.distributed"
    ):
        Collectives.resolve(True)
    with pytest.raises(ValueError, match="distributed=True needs"):
        AutoEncoderKMeans(n_clusters=2, distributed=True).fit(rows.numpy())


def full_batch(estimator):
    """``estimator`` trained on whole batches, with no random draw in its losses.

    Its training does not depend on the order of the rows, so a fit on two
    shards must equal the one-process fit on their union up to rounding.
    """
    return estimator(
        n_clusters=10,
        random_state=0,
        hidden_layer_sizes=(32,),
        batch_size=2000,
        pretrain_epochs=5,
        neighbor_weight=0.0,
        **({} if estimator is AutoEncoderKMeans else {"max_epochs": 5}),
        **({"update_interval": 1} if estimator is DECClustering else {}),
    )


FULL_BATCH = [AutoEncoderKMeans, DECClustering, DMAEClustering]


@pytest.fixture(scope="module")
def fitted_in_group(tmp_path_factory):
    """Each estimator of SMALL, then of FULL_BATCH, fitted on the digits' shards.

    One group for all, so that the processes start once.
    """
    _, _, shards = digits_shards()
    estimators = [
        estimator(n_clusters=10, random_state=0, **settings)
        for estimator, settings in SMALL.items()
    ] + [full_batch(estimator) for estimator in FULL_BATCH]
    outcomes = run_in_group(
        tmp_path_factory.mktemp("group"), _fit_job, estimators, shards
    )
    per_process = [[pickle.loads(m) for m in models] for models in results_of(outcomes)]
    return list(zip(*per_process, strict=True))


@pytest.mark.parametrize("index", range(len(SMALL)), ids=[e.__name__ for e in SMALL])
def test_every_process_ends_with_the_same_estimator(fitted_in_group, index):
    X, _, shards = digits_shards()
    fitted = fitted_in_group[index]
    first, second = (m.module_.state_dict() for m in fitted)
    assert first.keys() == second.keys()
    for name in first:
        torch.testing.assert_close(first[name], second[name], rtol=0, atol=0)
    # Loaded here, with no process group: they predict the union alike.
    np.testing.assert_array_equal(fitted[0].predict(X), fitted[1].predict(X))
    for rank, model in enumerate(fitted):
        np.testing.assert_array_equal(model.labels_, model.predict(shards[rank]))
    assert fitted[0].history_ == fitted[1].history_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "index", range(len(FULL_BATCH)), ids=[e.__name__ for e in FULL_BATCH]
)
def test_two_shards_train_as_one_process_on_their_union(fitted_in_group, index):
    # Gradients averaged over the rows of both shards, k-means on the rows of
    # both, DEC's cluster frequencies and the tol check over both: the same
    # training as on the union, in one process.
    X, _, _ = digits_shards()
    sharded = fitted_in_group[len(SMALL) + index][0]
    single = full_batch(FULL_BATCH[index]).fit(X)
    assert [h["loss"] for h in sharded.history_] == pytest.approx(
        [h["loss"] for h in single.history_], rel=1e-4
    )
    expected = single.module_.state_dict()
    for name, value in sharded.module_.state_dict().items():
        torch.testing.assert_close(value, expected[name], rtol=1e-3, atol=1e-4)
    np.testing.assert_array_equal(sharded.predict(X), single.predict(X))


def test_a_process_that_fails_validation_stops_the_others(tmp_path):
    _, _, shards = digits_shards()
    outcomes = run_in_group(tmp_path, _fit_failing_on_one_shard_job, shards)
    status, message = outcomes[1]
    assert status == "error" and "NaN" in message
    status, message = outcomes[0]
    assert status == "error"
    assert "Validating X failed on process(es) [1]" in message


def test_memory_is_refused_in_a_group(tmp_path):
    _, _, shards = digits_shards()
    model = AutoEncoderKMeans(n_clusters=3, memory=str(tmp_path / "cache"))
    outcomes = run_in_group(tmp_path, _fit_job, [model], shards)
    for status, message in outcomes.values():
        assert status == "error" and "memory caches the pretraining" in message


def test_a_clusterer_that_fits_one_shard_alone_is_refused_as_gmvae_start(tmp_path):
    _, _, shards = digits_shards()
    model = GMVAEClustering(n_clusters=3, init_params=KMeans(3))
    outcomes = run_in_group(tmp_path, _fit_job, [model], shards)
    for status, message in outcomes.values():
        assert status == "error" and "each process would partition" in message


@pytest.mark.slow
@pytest.mark.parametrize("estimator", list(SMALL), ids=lambda e: e.__name__)
def test_two_shards_match_one_process_in_quality(tmp_path, estimator):
    X, y, shards = digits_shards()
    model = estimator(n_clusters=10, random_state=0)
    single = cluster_accuracy(y, model.fit_predict(X))
    # Fits with every default take minutes on one thread per process.
    outcomes = run_in_group(tmp_path, _fit_job, [model], shards, timeout=1800)
    sharded = cluster_accuracy(y, pickle.loads(results_of(outcomes)[0][0]).predict(X))
    assert sharded >= single - 0.03, (single, sharded)
