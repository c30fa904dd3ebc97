"""The one training loop: batching, hooks, history and the NaN guard."""

import pytest
import torch

from skdeepcluster import _training
from skdeepcluster._training import (
    LabelChangeMonitor,
    LossPlateauMonitor,
    make_optimizer,
    train,
)


def _setup(n_samples=10, seed=0):
    torch.manual_seed(seed)
    module = torch.nn.Linear(2, 1)
    data = torch.randn(n_samples, 2)
    return module, data


def _run(module, data, loss, **kwargs):
    options = {
        "phase": "test",
        "n_epochs": 3,
        "batch_size": 4,
        "optimizer": "sgd",
        "learning_rate": 0.01,
        "generator": torch.Generator().manual_seed(0),
        "history": [],
    }
    options.update(kwargs)
    return train(module, data, loss, **options), options["history"]


def test_each_epoch_visits_every_row_once_in_index_slices():
    module, data = _setup()
    seen = []

    def loss(batch, indices):
        seen.append(indices.clone())
        torch.testing.assert_close(batch, data[indices])
        return module(batch).pow(2).mean()

    result, history = _run(module, data, loss)
    assert [len(i) for i in seen] == [4, 4, 2] * 3
    for epoch in range(3):
        rows = torch.cat(seen[3 * epoch : 3 * epoch + 3])
        assert sorted(rows.tolist()) == list(range(10))
    assert not torch.equal(torch.cat(seen[:3]), torch.cat(seen[3:6]))
    assert result.n_epochs == 3 and result.n_iterations == 9
    assert result.converged is None  # no tol monitor without an interval hook
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert [h["n_iterations"] for h in history] == [3, 6, 9]


def test_permutations_follow_the_generator_seed():
    orders = []
    for _ in range(2):
        module, data = _setup()
        seen = []

        def loss(batch, indices, seen=seen, module=module):
            seen.append(indices.clone())
            return module(batch).pow(2).mean()

        _run(module, data, loss)
        orders.append(torch.cat(seen))
    assert torch.equal(orders[0], orders[1])


def test_batch_larger_than_data_is_the_whole_data():
    module, data = _setup(n_samples=3)
    sizes = []

    def loss(batch, indices):
        sizes.append(batch.shape[0])
        return module(batch).pow(2).mean()

    _run(module, data, loss, batch_size=256)
    assert sizes == [3, 3, 3]


def test_history_loss_is_the_sample_weighted_epoch_mean():
    module, data = _setup()
    losses = []

    def loss(batch, indices):
        value = module(batch).pow(2).mean()
        losses.append((value.item(), batch.shape[0]))
        return value

    _, history = _run(module, data, loss, n_epochs=1, learning_rate=0.0 + 1e-12)
    expected = sum(v * n for v, n in losses) / 10
    assert history[0]["loss"] == pytest.approx(expected, rel=1e-5)


def test_interval_hook_runs_at_multiples_and_its_labels_stop_training_on_tol():
    module, data = _setup()
    calls = []
    # 3 of 10 labels change between the first calls, then 1, then none.
    labels = [[0] * 10, [1] * 3 + [0] * 7, [1] * 4 + [0] * 6, [1] * 4 + [0] * 6]

    def on_interval(iteration):
        calls.append(iteration)
        return torch.tensor(labels[len(calls) - 1])

    result, history = _run(
        module,
        data,
        lambda batch, indices: module(batch).pow(2).mean(),
        n_epochs=10,
        interval=2,
        on_interval=on_interval,
        tol=0.15,
    )
    # 0.3 and 0.1 changed at iterations 2 and 4: 0.1 < tol stops before the update.
    assert calls == [0, 2, 4]
    assert result.converged and result.n_iterations == 4
    assert result.n_epochs == 2 and len(history) == 2


def test_interval_hook_without_labels_or_tol_never_stops():
    module, data = _setup()
    calls = []
    result, _ = _run(
        module,
        data,
        lambda batch, indices: module(batch).pow(2).mean(),
        interval=4,
        on_interval=lambda iteration: calls.append(iteration),
    )
    assert calls == [0, 4, 8] and result.n_iterations == 9
    assert result.converged is None  # tol=0: nothing could stop it


def test_interval_defaults_to_one_epoch():
    module, data = _setup()
    calls = []
    _run(
        module,
        data,
        lambda batch, indices: module(batch).pow(2).mean(),
        on_interval=lambda iteration: calls.append(iteration),
    )
    assert calls == [0, 3, 6]  # 3 batches of at most 4 of the 10 rows per epoch


def test_max_iterations_stops_within_an_epoch():
    module, data = _setup()
    result, history = _run(
        module,
        data,
        lambda batch, indices: module(batch).pow(2).mean(),
        n_epochs=10,
        max_iterations=5,
    )
    assert result.n_iterations == 5 and result.n_epochs == 2
    assert [h["n_iterations"] for h in history] == [3, 5]


def test_a_long_epoch_is_checked_every_check_rows(monkeypatch):
    monkeypatch.setattr(_training, "CHECK_ROWS", 4)
    module, data = _setup()
    result, history = _run(
        module,
        data,
        lambda batch, indices: module(batch).pow(2).mean(),
        n_epochs=2,
        batch_size=2,
    )
    # Every 2 batches of 2 rows, and at the end of each 5-batch epoch.
    assert [h["n_iterations"] for h in history] == [2, 4, 5, 7, 9, 10]
    assert [h["epoch"] for h in history] == [0.4, 0.8, 1.0, 1.4, 1.8, 2.0]
    assert result.n_epochs == 2 and result.converged is None


def test_a_flat_loss_stops_training_after_n_iter_no_change_checks(monkeypatch):
    monkeypatch.setattr(_training, "CHECK_ROWS", 4)
    module, data = _setup()
    result, history = _run(
        module,
        data,
        lambda batch, indices: module(batch).sum() * 0 + 1.0,
        n_epochs=100,
        batch_size=2,
        n_iter_no_change=3,
    )
    # Records after 2, 4, 5, 7 and 9 batches; the one after 5 covers 2 rows
    # and joins the next in one check. The first check sets the best loss,
    # three more without improvement stop in the second epoch.
    assert [h["n_iterations"] for h in history] == [2, 4, 5, 7, 9]
    assert result.n_iterations == 9
    assert result.converged and result.n_epochs == 2


def test_small_data_is_checked_over_several_epochs(monkeypatch):
    monkeypatch.setattr(_training, "CHECK_ROWS", 25)
    module, data = _setup()
    result, history = _run(
        module,
        data,
        lambda batch, indices: module(batch).sum() * 0 + 1.0,
        n_epochs=100,
        n_iter_no_change=2,
    )
    # A check every 3 epochs of 10 rows: the best at epoch 3, then 6 and 9.
    assert len(history) == 9 and result.n_epochs == 9 and result.converged


def test_a_loss_that_keeps_improving_runs_its_whole_budget(monkeypatch):
    monkeypatch.setattr(_training, "CHECK_ROWS", 10)
    module, data = _setup()
    steps = []

    def loss(batch, indices):
        steps.append(1)
        return module(batch).sum() * 0 + 1.0 / len(steps)

    result, history = _run(module, data, loss, n_epochs=20, n_iter_no_change=2)
    assert result.n_epochs == 20 and result.converged is False
    assert len(history) == 20


@pytest.mark.parametrize(("plateau_rows", "n_iterations"), [(4, 4), (8, 20)])
def test_the_plateau_check_averages_the_records_of_plateau_rows(
    plateau_rows, n_iterations, monkeypatch
):
    # A record every 2 batches of 2 rows; the recorded losses fall by 0.01
    # every two records and scatter by 0.2 between them: 1.0, 1.2, 0.99,
    # 1.19, ... One record per check stops at the first scatter; checks of
    # two records see the fall and run the whole budget.
    monkeypatch.setattr(_training, "CHECK_ROWS", 4)
    module, data = _setup(n_samples=8)
    steps = []

    def loss(batch, indices):
        record = len(steps) // 2
        steps.append(1)
        value = 1.0 - 0.01 * (record // 2) + 0.2 * (record % 2)
        return module(batch).sum() * 0 + value

    result, _ = _run(
        module,
        data,
        loss,
        n_epochs=5,
        batch_size=2,
        n_iter_no_change=1,
        plateau_rows=plateau_rows,
    )
    assert result.n_iterations == n_iterations
    assert result.converged == (n_iterations < 20)


def test_loss_plateau_monitor_counts_checks_without_relative_improvement():
    monitor = LossPlateauMonitor(n_iter_no_change=2)
    assert not monitor(-10.0)  # the first check is the best so far
    assert not monitor(-10.0005)  # better by 5e-5 of |best|: no improvement
    assert not monitor(-10.01)  # an improvement resets the count
    assert not monitor(-10.01)
    assert monitor(-9.0)
    never = LossPlateauMonitor(n_iter_no_change=None)
    assert not any(never(1.0) for _ in range(50))


def test_epoch_hook_runs_after_every_epoch():
    module, data = _setup()
    epochs = []
    result, _ = _run(
        module,
        data,
        lambda batch, indices: module(batch).pow(2).mean(),
        on_epoch_end=epochs.append,
    )
    assert epochs == [1, 2, 3] and result.n_epochs == 3


def test_label_change_monitor_compares_with_the_previous_call():
    monitor = LabelChangeMonitor(tol=0.3)
    assert not monitor(torch.tensor([0, 0, 0, 0]))  # nothing to compare with
    assert not monitor(torch.tensor([1, 1, 0, 0]))  # half changed
    assert monitor(torch.tensor([1, 1, 0, 1]))  # a quarter changed
    assert monitor.converged
    assert not LabelChangeMonitor(tol=0.0)(torch.tensor([0]))


def test_only_the_given_parameters_are_updated():
    module, data = _setup()
    bias = module.bias.detach().clone()
    _run(
        module,
        data,
        lambda batch, indices: (module(batch) - 5).pow(2).mean(),
        parameters=[module.weight],
    )
    assert torch.equal(module.bias, bias)


def test_non_finite_loss_stops_training_with_advice():
    module, data = _setup()
    with pytest.raises(
        ValueError, match=r"The test loss became nan after 1 epochs.*learning_rate"
    ):
        _run(module, data, lambda batch, indices: module(batch).sum() * float("nan"))


@pytest.mark.parametrize(
    ("name", "cls"), [("adam", torch.optim.Adam), ("sgd", torch.optim.SGD)]
)
def test_optimizers_by_name(name, cls):
    optimizer = make_optimizer(name, torch.nn.Linear(2, 1).parameters(), 0.5)
    assert isinstance(optimizer, cls)
    assert optimizer.param_groups[0]["lr"] == 0.5
    if name == "sgd":
        assert optimizer.param_groups[0]["momentum"] == 0.9
    assert optimizer.defaults["fused"]  # torch has fused CPU kernels for both


def test_optimizer_without_fused_kernel_falls_back(monkeypatch):
    class NoFusedAdam(torch.optim.Adam):
        def __init__(self, params, fused=None, **options):
            params = list(params)  # as torch, read them before checking fused
            if fused:
                raise RuntimeError("`fused=True` is not supported on this device")
            super().__init__(params, **options)

    monkeypatch.setitem(_training.OPTIMIZERS, "adam", (NoFusedAdam, {}))
    layer = torch.nn.Linear(2, 1)
    optimizer = make_optimizer("adam", layer.parameters(), 0.5)
    assert isinstance(optimizer, NoFusedAdam)
    assert not optimizer.defaults["fused"]
    # The parameters survive the failed first attempt (a generator would not).
    assert len(optimizer.param_groups[0]["params"]) == 2


def _is_flushed():
    smallest = torch.full((1,), torch.finfo(torch.float32).tiny)
    return (smallest / 2).item() == 0.0


@pytest.mark.skipif(
    not torch.set_flush_denormal(False), reason="no flush-to-zero on this CPU"
)
@pytest.mark.parametrize("flushed_before", [False, True])
def test_subnormals_are_flushed_while_training_and_the_setting_is_restored(
    flushed_before,
):
    module, data = _setup()
    during = []

    def loss(batch, indices):
        during.append(_is_flushed())
        return module(batch).pow(2).mean()

    torch.set_flush_denormal(flushed_before)
    try:
        _run(module, data, loss)
        assert during == [True] * 9
        assert _is_flushed() == flushed_before

        def failing(batch, indices):
            raise RuntimeError("stop")

        with pytest.raises(RuntimeError, match="stop"):
            _run(module, data, failing)
        assert _is_flushed() == flushed_before
    finally:
        torch.set_flush_denormal(False)
