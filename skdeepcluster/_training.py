"""The one mini-batch training loop used by every phase of every estimator.

Data in memory lives on the device as one tensor; each epoch walks through a
permutation drawn from a seeded :class:`torch.Generator` in index slices, so
there is no per-sample ``DataLoader`` and no copy of the data per epoch.
Streamed data (:class:`~skdeepcluster._data.StreamedRows`) are visited block by
block, the blocks and the rows within each in a random order. A method supplies
a batch loss and, where it needs them, a hook called every ``interval`` iterations
(DEC's target update) whose labels feed the loop's ``tol`` monitor, and one
called at the end of each epoch (schedules).

The loop stops a phase by convergence, not only by its epoch budget: it checks
the mean loss of every :data:`CHECK_ROWS` rows trained on, or of more where a
phase's loss is noisier (several epochs of small data, a fraction of an epoch
of large data), and stops after ``n_iter_no_change`` checks without
improvement: the rule of scikit-learn's ``MLPClassifier``, counted in rows
rather than epochs so that an epoch of millions of rows is not waited out and
a small data set is not stopped by the noise of a few batches.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

import torch

from ._data import StreamedRows
from ._distributed import Collectives

BatchLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""``batch_loss(batch, indices) -> scalar loss``; ``indices`` index the full data."""

IntervalHook = Callable[[int], torch.Tensor | None]
"""Given the iteration count, returns the labels of all training rows (or None).

The labels feed the loop's ``tol`` monitor (:class:`LabelChangeMonitor`).
"""

EpochHook = Callable[[int], None]
"""Given the number of the epoch that just ended."""

OPTIMIZERS = {
    "adam": (torch.optim.Adam, {}),
    "sgd": (torch.optim.SGD, {"momentum": 0.9}),
}
"""The optimizers an estimator's ``optimizer`` parameters name, with their options."""


CHECK_ROWS = 20_000
"""Rows behind each record and, unless a phase asks for more, each plateau
check: the loss is recorded in ``history`` (and checked to be finite) every
epoch or every CHECK_ROWS rows, whichever comes first, so that a phase on
millions of rows reports every few seconds, and ``n_iter_no_change`` compares
means over at least that many rows (one record of a long epoch, several
epochs of small data)."""

MIN_IMPROVEMENT = 1e-4
"""Relative decrease of the checked loss below the best so far that counts as
an improvement (``MLPClassifier``'s ``tol``, relative so that it means the same
for every loss scale)."""


class TrainingResult(NamedTuple):
    """What a call to :func:`train` did.

    ``n_epochs`` counts the epochs begun (a phase stopped within its first
    epoch ran one). ``converged`` is None when no monitor could stop the
    phase (``n_iter_no_change`` None, and no ``on_interval`` with ``tol`` > 0),
    else whether a monitor stopped it before its budget ran out.
    """

    n_epochs: int
    n_iterations: int
    converged: bool | None


class LabelChangeMonitor:
    """The ``tol`` rule: converged once few training labels still change.

    Each call compares the training labels with those of the previous call;
    when the fraction that changed is below ``tol`` (0 never stops), it returns
    True and ``converged`` becomes True. In a process group the labels are
    each process's own rows and the fraction is over all of them.
    """

    def __init__(self, tol: float, collectives: Collectives | None = None):
        self.tol = tol
        self.collectives = collectives or Collectives()
        self.converged = False
        self._previous: torch.Tensor | None = None

    def __call__(self, labels: torch.Tensor) -> bool:
        if self._previous is not None:
            counts = torch.tensor(
                [(labels != self._previous).sum().item(), len(labels)],
                dtype=torch.float64,
            )
            n_changed, n_rows = self.collectives.sum(counts).tolist()
            self.converged = n_changed / n_rows < self.tol
        self._previous = labels
        return self.converged


class LossPlateauMonitor:
    """The ``n_iter_no_change`` rule: converged once the loss stopped improving.

    Each call passes the mean loss of one check; after ``n_iter_no_change``
    consecutive checks that did not improve on the best loss so far by
    :data:`MIN_IMPROVEMENT` (relative), it returns True. None never stops.
    """

    def __init__(self, n_iter_no_change: int | None):
        self.n_iter_no_change = n_iter_no_change
        self.best = math.inf
        self.n_without_improvement = 0

    def __call__(self, loss: float) -> bool:
        threshold = self.best - MIN_IMPROVEMENT * abs(self.best)
        if not math.isfinite(self.best) or loss < threshold:
            self.best = loss
            self.n_without_improvement = 0
        else:
            self.n_without_improvement += 1
        return (
            self.n_iter_no_change is not None
            and self.n_without_improvement >= self.n_iter_no_change
        )


def make_optimizer(
    name: str, parameters: Iterable[torch.nn.Parameter], learning_rate: float
) -> torch.optim.Optimizer:
    """The optimizer called ``name`` in :data:`OPTIMIZERS`.

    The fused implementation (one kernel for all parameters) is used where the
    installed torch has one for the parameters' device: on the CPU it makes
    Adam's step on large networks several times cheaper. Elsewhere the
    default implementation runs the same update.
    """
    optimizer, options = OPTIMIZERS[name]
    parameters = list(parameters)
    try:
        return optimizer(parameters, lr=learning_rate, fused=True, **options)
    except RuntimeError:  # no fused kernel for this device in this torch
        return optimizer(parameters, lr=learning_rate, **options)


@contextlib.contextmanager
def flushed_subnormals(device: torch.device) -> Iterator[None]:
    """Treat subnormal floats as zero on the CPU while the block runs.

    Numbers below the smallest normal float (about 1.2e-38 in float32) take a
    slow path on x86 CPUs. Training makes many: Adam's first moment of a weight
    that stops getting gradient (a dead ReLU unit, a pixel that is always 0)
    decays by 0.9 per step into that range, and so do the gradients of
    unlikely clusters, and the GMVAE's warm start and training slow down
    markedly as they accumulate. Flushing them to zero changes nothing
    measurable, as in TensorFlow and XLA, which flush by default. The flag is
    per thread: torch sets it on the calling thread, where the loop runs. Its
    previous state is restored afterwards.
    """
    if device.type != "cpu" or _subnormals_are_flushed():
        yield
        return
    changed = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if changed:
            torch.set_flush_denormal(False)


def _subnormals_are_flushed() -> bool:
    """Whether this thread flushes subnormal floats to zero."""
    smallest = torch.full((1,), torch.finfo(torch.float32).tiny)
    return (smallest / 2).item() == 0.0


def train(
    module: torch.nn.Module,
    data: torch.Tensor,
    batch_loss: BatchLoss,
    *,
    phase: str,
    n_epochs: int,
    batch_size: int,
    optimizer: str,
    learning_rate: float,
    generator: torch.Generator,
    history: list[dict],
    n_iter_no_change: int | None = None,
    plateau_rows: int | None = None,
    verbose: int = 0,
    parameters: Iterable[torch.nn.Parameter] | None = None,
    max_iterations: int | None = None,
    interval: int | None = None,
    on_interval: IntervalHook | None = None,
    tol: float = 0.0,
    on_epoch_end: EpochHook | None = None,
    learning_rate_name: str = "learning_rate",
    collectives: Collectives | None = None,
) -> TrainingResult:
    """Minimise ``batch_loss`` over mini-batches of ``data``.

    Training stops at the first of: ``n_epochs`` epochs, ``max_iterations``
    updates, ``n_iter_no_change`` loss checks without improvement, or the
    ``tol`` monitor of ``on_interval``.

    Parameters
    ----------
    module : torch.nn.Module
        Put in training mode; its parameters are optimised unless ``parameters``
        names a subset.
    data : torch.Tensor of shape (n_samples, n_features) or StreamedRows
        All training rows, already on the training device, or streamed rows
        that put one block at a time there.
    batch_loss : callable
        ``batch_loss(batch, indices)`` returns the scalar loss of the rows
        ``data[indices]`` (passed as ``batch``).
    phase : str
        Name recorded in ``history`` and error messages ("pretrain", "cluster").
    n_epochs, batch_size : int
        Budget and batch size; a batch larger than the data is the whole data.
    optimizer, learning_rate
        See :func:`make_optimizer`.
    generator : torch.Generator
        Draws the per-epoch permutations; on the same device as ``data``.
    history : list of dict
        One ``{"phase", "epoch", "loss", "n_iterations"}`` dict is appended per
        epoch, or every :data:`CHECK_ROWS` rows when an epoch is longer:
        ``loss`` is the mean over the rows since the previous one, ``epoch``
        the epochs done (a fraction within an epoch).
    n_iter_no_change : int, optional
        Stop after this many consecutive checks (each over at least
        ``plateau_rows`` rows) whose mean loss did not improve on the best
        one (:class:`LossPlateauMonitor`); None never stops on the loss.
    plateau_rows : int, optional
        Rows behind each plateau check (by default :data:`CHECK_ROWS`):
        records are averaged until they cover this many. A phase whose loss
        scatters more from one record to the next than it falls over several
        asks for more.
    verbose : int, default=0
        0 silent, 1 a progress bar per phase (tqdm, if installed), 2 a line per
        history entry.
    max_iterations : int, optional
        Stop after this many mini-batch updates, if ``n_epochs`` has not
        run out first.
    interval : int, optional
        Iterations between two calls of ``on_interval``; by default one epoch.
    on_interval : callable, optional
        ``on_interval(iteration)`` runs before the update of every iteration
        that is a multiple of ``interval`` (iteration 0 included). It returns
        the labels of all training rows, or None; training stops when fewer
        than a fraction ``tol`` of them changed since the previous call.
    tol : float, default=0.0
        See ``on_interval``; 0 never stops.
    on_epoch_end : callable, optional
        ``on_epoch_end(epoch)`` runs after each epoch.
    learning_rate_name : str, default="learning_rate"
        The estimator parameter that sets ``learning_rate``, named in the error
        raised on a NaN/inf loss.
    collectives : Collectives, optional
        The fit's process group. In one, ``data`` is this process's shard and
        ``batch_size`` the global batch: each process takes a share of it in
        proportion to its rows, all run the same number of iterations per
        epoch (a process whose shard is done contributes empty batches), the
        gradients are averaged over the rows of all shares before each step,
        and the recorded losses and the stopping rules are over all rows, so
        every process stops at the same iteration with the same parameters.

    Returns
    -------
    TrainingResult
        Epochs begun and iterations run, and whether a monitor stopped
        training.

    Raises
    ------
    ValueError
        If the loss of a history entry is NaN or infinite; checked once per
        entry so that the loop does not wait on the device after every batch.
    """
    module.train()
    collectives = collectives or Collectives()
    if parameters is None:
        parameters = module.parameters()
    optim = make_optimizer(optimizer, parameters, learning_rate)
    trained = [p for group in optim.param_groups for p in group["params"]]
    n_local = data.shape[0]
    n_samples = collectives.sum_int(n_local)
    batch_size = min(batch_size, n_samples)
    local_batch = -(-batch_size * n_local // n_samples)  # ceil, in integers
    if isinstance(data, StreamedRows):
        local_batches = data.n_batches(local_batch)
    else:
        local_batches = math.ceil(n_local / local_batch)
    batches_per_epoch = collectives.max_int(local_batches)
    if interval is None:
        interval = batches_per_epoch
    record_every = math.ceil(min(n_samples, CHECK_ROWS) / batch_size)
    total_iterations = n_epochs * batches_per_epoch
    if max_iterations is not None:
        total_iterations = min(total_iterations, max_iterations)
    if plateau_rows is None:
        plateau_rows = CHECK_ROWS
    labels_monitor = LabelChangeMonitor(tol, collectives)
    loss_monitor = LossPlateauMonitor(n_iter_no_change)
    # In a process group, rank 0 reports for all.
    progress = _Progress(phase, total_iterations, 0 if collectives.rank else verbose)
    total = torch.zeros((), device=data.device)
    seen = since = 0  # rows and iterations since the last record
    window_total, window_seen = 0.0, 0  # loss and rows since the last check
    iteration = 0
    stopped = False

    def record() -> bool:
        """Record the loss since the previous record; True if it stopped improving.

        The plateau monitor reads the mean over at least ``plateau_rows``
        rows: one or more records of a long epoch, several epochs of small
        data.
        """
        nonlocal total, seen, since, window_total, window_seen
        sums = collectives.sum(torch.stack([total, total.new_tensor(seen)]))
        loss = (sums[0] / sums[1]).item()
        seen = int(sums[1].item())
        epochs = iteration / batches_per_epoch
        _check_finite(loss, phase, epochs, learning_rate_name, learning_rate)
        history.append(
            {"phase": phase, "epoch": epochs, "loss": loss, "n_iterations": iteration}
        )
        progress.update(iteration, epochs, loss)
        window_total += loss * seen
        window_seen += seen
        total = torch.zeros((), device=data.device)
        seen = since = 0
        if window_seen < plateau_rows:
            return False
        plateau = loss_monitor(window_total / window_seen)
        window_total, window_seen = 0.0, 0
        return plateau

    try:
        with flushed_subnormals(data.device):
            for epoch in range(1, n_epochs + 1):
                batches = _epoch_batches(
                    data, local_batch, generator, batches_per_epoch
                )
                for batch, indices in batches:
                    if iteration >= total_iterations:
                        break
                    if on_interval is not None and iteration % interval == 0:
                        labels = on_interval(iteration)
                        stopped = labels is not None and labels_monitor(labels)
                        if stopped:
                            break
                    n_rows = 0 if indices is None else indices.shape[0]
                    optim.zero_grad(set_to_none=True)
                    if n_rows:
                        loss = batch_loss(batch, indices)
                        loss.backward()
                        total += loss.detach() * n_rows
                    collectives.average_gradients(trained, n_rows)
                    optim.step()
                    seen += n_rows
                    iteration += 1
                    since += 1
                    if since == record_every or iteration % batches_per_epoch == 0:
                        stopped = record()
                        if stopped:
                            break
                else:  # the whole epoch ran
                    if on_epoch_end is not None:
                        on_epoch_end(epoch)
                    continue
                break
            if since:
                record()
    finally:
        optim.zero_grad(set_to_none=True)
        progress.close()
        module.eval()
    monitored = (on_interval is not None and tol > 0) or n_iter_no_change is not None
    converged = stopped if monitored else None
    return TrainingResult(
        math.ceil(iteration / batches_per_epoch), iteration, converged
    )


def _epoch_batches(
    data: torch.Tensor | StreamedRows,
    batch_size: int,
    generator: torch.Generator,
    n_batches: int,
) -> Iterator[tuple[torch.Tensor | None, torch.Tensor | None]]:
    """``(batch, indices)`` of one epoch, in an order drawn from ``generator``.

    A tensor is visited in one permutation of its rows; streamed rows block by
    block, in a random order of blocks and of the rows within each. Once the
    rows are done, ``(None, None)`` (no rows) until ``n_batches`` were given:
    in a process group, where another process's shard has more batches.
    """
    blocks = data.blocks(generator) if isinstance(data, StreamedRows) else [(0, data)]
    given = 0
    for offset, rows in blocks:
        order = torch.randperm(len(rows), generator=generator, device=rows.device)
        for start in range(0, len(rows), batch_size):
            local = order[start : start + batch_size]
            given += 1
            yield rows[local], local + offset if offset else local
    for _ in range(given, n_batches):
        yield None, None


def _check_finite(
    loss: float,
    phase: str,
    epochs: float,
    learning_rate_name: str,
    learning_rate: float,
) -> None:
    if not math.isfinite(loss):
        raise ValueError(
            f"The {phase} loss became {loss} after {epochs:.3g} epochs; training "
            "stopped. "
            f"Lower {learning_rate_name} (now {learning_rate}), scale the input "
            "features (e.g. with StandardScaler or MinMaxScaler), and drop "
            "constant or extreme-valued columns."
        )


class _Progress:
    """Progress display that reads the loop's history entries (verbose 1 or 2)."""

    def __init__(self, phase: str, total_iterations: int, verbose: int):
        self.phase = phase
        self.total_iterations = total_iterations
        self.verbose = verbose
        self.done = 0
        self.bar = None
        if verbose == 1:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                self.verbose = 2
            else:
                self.bar = tqdm(total=total_iterations, desc=phase, unit="batch")

    def update(self, iteration: int, epochs: float, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(iteration - self.done)
            self.bar.set_postfix(epoch=f"{epochs:.3g}", loss=f"{loss:.4g}")
        elif self.verbose >= 2:
            print(
                f"[{self.phase}] epoch {epochs:.3g} iteration {iteration}/"
                f"{self.total_iterations} loss={loss:.6g}",
                file=sys.stdout,
                flush=True,
            )
        self.done = iteration

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
