"""The one mini-batch training loop used by every phase of every estimator.

Data lives on the device as one tensor; each epoch walks through a permutation
drawn from a seeded :class:`torch.Generator` in index slices, so there is no
per-sample ``DataLoader`` and no copy of the data per epoch. A method supplies a
batch loss and, where it needs them, a hook called every ``interval`` iterations
(DEC's target update) whose labels feed the loop's ``tol`` monitor, and one
called at the end of each epoch (schedules).
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

import torch

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


class TrainingResult(NamedTuple):
    """What a call to :func:`train` did.

    ``converged`` is None when the phase had no ``tol`` monitor, else whether
    the monitor stopped it before ``n_epochs`` ran out.
    """

    n_epochs: int
    n_iterations: int
    converged: bool | None


class LabelChangeMonitor:
    """The ``tol`` rule: converged once few training labels still change.

    Each call compares the training labels with those of the previous call;
    when the fraction that changed is below ``tol`` (0 never stops), it returns
    True and ``converged`` becomes True.
    """

    def __init__(self, tol: float):
        self.tol = tol
        self.converged = False
        self._previous: torch.Tensor | None = None

    def __call__(self, labels: torch.Tensor) -> bool:
        if self._previous is not None:
            changed = (labels != self._previous).double().mean().item()
            self.converged = changed < self.tol
        self._previous = labels
        return self.converged


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
    verbose: int = 0,
    parameters: Iterable[torch.nn.Parameter] | None = None,
    max_iterations: int | None = None,
    interval: int | None = None,
    on_interval: IntervalHook | None = None,
    tol: float = 0.0,
    on_epoch_end: EpochHook | None = None,
    learning_rate_name: str = "learning_rate",
) -> TrainingResult:
    """Minimise ``batch_loss`` over mini-batches of ``data`` for ``n_epochs``.

    Parameters
    ----------
    module : torch.nn.Module
        Put in training mode; its parameters are optimised unless ``parameters``
        names a subset.
    data : torch.Tensor of shape (n_samples, n_features)
        All training rows, already on the training device.
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
        epoch, where ``loss`` is the epoch's mean over samples.
    verbose : int, default=0
        0 silent, 1 a progress bar per phase (tqdm, if installed), 2 a line per
        epoch.
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

    Returns
    -------
    TrainingResult
        Epochs and iterations run, and whether the ``tol`` monitor stopped
        training (None without ``on_interval``).

    Raises
    ------
    ValueError
        If an epoch's mean loss is NaN or infinite; checked once per epoch so
        that the loop does not wait on the device after every batch.
    """
    module.train()
    if parameters is None:
        parameters = module.parameters()
    optim = make_optimizer(optimizer, parameters, learning_rate)
    n_samples = data.shape[0]
    batch_size = min(batch_size, n_samples)
    if interval is None:
        interval = math.ceil(n_samples / batch_size)
    monitor = LabelChangeMonitor(tol)
    progress = _Progress(phase, n_epochs, verbose)
    iteration = 0
    epochs_run = 0
    stopped = False
    try:
        with flushed_subnormals(data.device):
            for epoch in range(1, n_epochs + 1):
                order = torch.randperm(
                    n_samples, generator=generator, device=data.device
                )
                total = torch.zeros((), device=data.device)
                seen = 0
                for start in range(0, n_samples, batch_size):
                    if max_iterations is not None and iteration >= max_iterations:
                        stopped = True
                        break
                    if on_interval is not None and iteration % interval == 0:
                        labels = on_interval(iteration)
                        stopped = labels is not None and monitor(labels)
                        if stopped:
                            break
                    indices = order[start : start + batch_size]
                    loss = batch_loss(data[indices], indices)
                    optim.zero_grad(set_to_none=True)
                    loss.backward()
                    optim.step()
                    total += loss.detach() * indices.shape[0]
                    seen += indices.shape[0]
                    iteration += 1
                if seen:
                    epochs_run += 1
                    epoch_loss = (total / seen).item()
                    _check_finite(
                        epoch_loss, phase, epoch, learning_rate_name, learning_rate
                    )
                    history.append(
                        {
                            "phase": phase,
                            "epoch": epoch,
                            "loss": epoch_loss,
                            "n_iterations": iteration,
                        }
                    )
                    progress.update(epoch, epoch_loss)
                if stopped:
                    break
                if on_epoch_end is not None:
                    on_epoch_end(epoch)
    finally:
        optim.zero_grad(set_to_none=True)
        progress.close()
        module.eval()
    converged = None if on_interval is None else monitor.converged
    return TrainingResult(epochs_run, iteration, converged)


def _check_finite(
    loss: float, phase: str, epoch: int, learning_rate_name: str, learning_rate: float
) -> None:
    if not math.isfinite(loss):
        raise ValueError(
            f"The {phase} loss became {loss} at epoch {epoch}; training stopped. "
            f"Lower {learning_rate_name} (now {learning_rate}), scale the input "
            "features (e.g. with StandardScaler or MinMaxScaler), and drop "
            "constant or extreme-valued columns."
        )


class _Progress:
    """Progress display that reads the loop's per-epoch losses (verbose 1 or 2)."""

    def __init__(self, phase: str, n_epochs: int, verbose: int):
        self.phase = phase
        self.n_epochs = n_epochs
        self.verbose = verbose
        self.bar = None
        if verbose == 1:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                self.verbose = 2
            else:
                self.bar = tqdm(total=n_epochs, desc=phase, unit="epoch")

    def update(self, epoch: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.4g}")
        elif self.verbose >= 2:
            print(
                f"[{self.phase}] epoch {epoch}/{self.n_epochs} loss={loss:.6g}",
                file=sys.stdout,
                flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
