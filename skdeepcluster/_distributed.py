"""Collectives over a torch.distributed process group; identity without one.

When a fit runs in a process group (a script started by ``torchrun``, or one
that called :func:`torch.distributed.init_process_group`), each process passes
its own shard of the training rows to ``fit``. Every quantity that spans the
training set goes through the :class:`Collectives` of the fit: row counts,
loss sums, gradients (averaged over all rows of the global batch), DEC's
cluster frequencies, label changes, the rows k-means initialises from, and
the module's parameters, which rank 0 sends to the others after they are
built and after the clusters are placed. Without a process group (or with
``distributed=False``) every method returns its input and the fit is the
single-process one, with no extra work.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator

import numpy as np
import torch
import torch.distributed as dist

from ._data import ColumnStats, merge_column_stats


class Collectives:
    """The process group of one fit: ``world_size`` processes, this one ``rank``.

    Holds no reference to torch's group (the default one is used), so that
    it pickles with the estimator. One process is the identity.

    Examples
    --------
    >>> import torch
    >>> from skdeepcluster._distributed import Collectives
    >>> single = Collectives.resolve("auto")
    >>> single.active, single.sum(torch.tensor([1.0, 2.0]))
    (False, tensor([1., 2.]))
    """

    def __init__(self, world_size: int = 1, rank: int = 0, backend: str = "gloo"):
        self.world_size = world_size
        self.rank = rank
        self.backend = backend

    @classmethod
    def resolve(cls, distributed: bool | str) -> Collectives:
        """The fit's group for the estimator's ``distributed`` parameter.

        "auto" joins the default process group when one is initialised, True
        requires one, False never joins one.
        """
        initialized = dist.is_available() and dist.is_initialized()
        if distributed is True and not initialized:
            raise ValueError(
                "distributed=True needs a torch.distributed process group: start "
                "the script with torchrun, or call "
                "torch.distributed.init_process_group() before fit. Use "
                "distributed='auto' to fit on this process alone without one."
            )
        if distributed is False or not initialized or dist.get_world_size() == 1:
            return cls()
        return cls(dist.get_world_size(), dist.get_rank(), dist.get_backend())

    @property
    def active(self) -> bool:
        """Whether the fit spans more than this process."""
        return self.world_size > 1

    def device(self, device: torch.device) -> torch.device:
        """The training device of this process.

        A CUDA device without an index becomes this process's GPU under
        ``torchrun`` (``LOCAL_RANK``), as with DistributedDataParallel.
        """
        if self.active and device.type == "cuda" and device.index is None:
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        return device

    # ------------------------------------------------------------ reductions

    def _on_backend(self, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor`` where the backend reduces it (NCCL: a GPU; gloo: anywhere)."""
        if self.backend == "nccl" and tensor.device.type != "cuda":
            return tensor.to(torch.device("cuda", torch.cuda.current_device()))
        return tensor

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """The element-wise sum of ``tensor`` over the processes (a new tensor)."""
        if not self.active:
            return tensor
        reduced = self._on_backend(tensor.detach().clone())
        dist.all_reduce(reduced)
        return reduced.to(tensor.device)

    def sum_int(self, value: int) -> int:
        """The sum of an integer over the processes."""
        if not self.active:
            return value
        return int(self.sum(torch.tensor([value], dtype=torch.float64)).item())

    def max_int(self, value: int) -> int:
        """The largest value of an integer over the processes."""
        if not self.active:
            return value
        reduced = self._on_backend(torch.tensor([value], dtype=torch.float64))
        dist.all_reduce(reduced, op=dist.ReduceOp.MAX)
        return int(reduced.item())

    def gather_rows(self, rows: torch.Tensor) -> torch.Tensor:
        """The rows of every process, concatenated in rank order, on every process."""
        if not self.active:
            return rows
        sizes = torch.zeros(self.world_size, dtype=torch.float64)
        sizes[self.rank] = len(rows)
        sizes = self.sum(sizes).long().tolist()
        padded = rows.new_zeros((max(sizes), *rows.shape[1:]))
        padded[: len(rows)] = rows
        padded = self._on_backend(padded)
        parts = [torch.empty_like(padded) for _ in range(self.world_size)]
        dist.all_gather(parts, padded)
        gathered = torch.cat([part[:n] for part, n in zip(parts, sizes, strict=True)])
        return gathered.to(rows.device)

    def column_stats(self, stats: ColumnStats, n_rows: int) -> ColumnStats:
        """Per-feature statistics of all processes' rows from each one's own."""
        if not self.active:
            return stats
        parts: list = [None] * self.world_size
        dist.all_gather_object(parts, (n_rows, stats))
        return merge_column_stats(parts)

    def variance(self, rows: torch.Tensor) -> torch.Tensor:
        """Per-column variance (with Bessel's correction) of all processes' rows."""
        if not self.active:
            return rows.var(dim=0)
        values = rows.detach().double()
        sums = self.sum(
            torch.cat(
                [values.new_tensor([len(values)]), values.sum(0), values.pow(2).sum(0)]
            )
        )
        n, total, squares = sums[0], *sums[1:].split(rows.shape[1])
        variance = (squares - total.pow(2) / n) / (n - 1)
        return variance.clamp_min(0).to(rows.dtype)

    # ------------------------------------------------------------ the module

    def broadcast_seeds(self, seeds: Iterable[int]) -> list[int]:
        """Rank 0's seeds on every process (a fit draws them from ``random_state``)."""
        seeds = list(seeds)
        if not self.active:
            return seeds
        shared = [seeds]
        dist.broadcast_object_list(shared, src=0)
        return shared[0]

    def broadcast_module(self, module: torch.nn.Module) -> None:
        """Give every process rank 0's parameters and buffers, in place."""
        if not self.active:
            return
        with torch.no_grad():
            for tensor in module.state_dict().values():
                shared = self._on_backend(tensor)
                dist.broadcast(shared, src=0)
                if shared is not tensor:
                    tensor.copy_(shared)

    def average_gradients(self, parameters: list[torch.nn.Parameter], n_rows: int):
        """Set each gradient to its mean over the rows of all processes' batches.

        ``n_rows`` is this process's batch size and its gradients those of its
        batch's mean loss (None where it had no rows, or where the loss does
        not reach a parameter). After the call every process holds
        ``Σ n_r g_r / Σ n_r``, the gradient of the mean loss over the union of
        the batches, and None where no process had a gradient.
        """
        if not self.active:
            return
        reference = parameters[0]
        flat = [
            (p.grad * n_rows if p.grad is not None else torch.zeros_like(p)).reshape(-1)
            for p in parameters
        ]
        has_gradient = [float(p.grad is not None) for p in parameters]
        flat.append(reference.new_tensor([n_rows, *has_gradient]))
        reduced = self.sum(torch.cat(flat).to(reference.dtype))
        n_total = reduced[-len(parameters) - 1]
        flags = reduced[-len(parameters) :]
        offset = 0
        for parameter, flag in zip(parameters, flags.tolist(), strict=True):
            size = parameter.numel()
            if flag > 0:
                parameter.grad = (reduced[offset : offset + size] / n_total).view_as(
                    parameter
                )
            else:
                parameter.grad = None
            offset += size

    # ------------------------------------------------------------ failures

    @contextlib.contextmanager
    def agreement(self, step: str) -> Iterator[None]:
        """Run a step that may fail on some processes only; fail on all if so.

        A process that raises in the block tells the others before raising;
        they raise a RuntimeError that names it, instead of waiting for it in
        the next collective.
        """
        if not self.active:
            yield
            return
        try:
            yield
        except BaseException:
            self._failed_ranks(failed=True)
            raise
        failed = self._failed_ranks(failed=False)
        if failed:
            raise RuntimeError(
                f"{step} failed on process(es) {failed} of the torch.distributed "
                "group; their error says why. This process stopped too."
            )

    def _failed_ranks(self, failed: bool) -> list[int]:
        flags = torch.zeros(self.world_size, dtype=torch.float64)
        flags[self.rank] = float(failed)
        return np.flatnonzero(self.sum(flags).numpy()).tolist()
