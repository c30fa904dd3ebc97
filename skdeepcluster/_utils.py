"""Small helpers shared by the estimators: sklearn internals, devices and seeding.

scikit-learn's parameter-validation machinery is private; it is imported here and
nowhere else, so that a future move inside scikit-learn breaks a single line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

__all__ = [
    "DeviceWarning",
    "HasMethods",
    "Interval",
    "StrOptions",
    "_fit_context",
    "draw_seeds",
    "resolve_device",
    "seeded_torch",
    "to_numpy",
]


class DeviceWarning(UserWarning):
    """Warning raised when a fitted model is loaded on a different device.

    A model fitted on a GPU and unpickled on a machine without that device is
    moved to the CPU, with this warning, and predicts there as usual.

    Examples
    --------
    >>> import warnings
    >>> from skdeepcluster import DeviceWarning
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeviceWarning)  # e.g. in a batch job
    """


_DEVICE_HELP = (
    "Use 'auto', 'cpu', 'cuda', 'cuda:<index>', 'mps' or a torch.device instance."
)


def resolve_device(device: str | torch.device) -> torch.device:
    """Turn the ``device`` parameter into an available :class:`torch.device`.

    ``"auto"`` picks CUDA when available, then Apple's MPS, then the CPU. An
    explicit device that this machine does not have is an error, not a silent
    fallback, so that a user asking for a GPU knows when they did not get one.
    """
    if isinstance(device, str) and device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid device. {_DEVICE_HELP}"
        ) from exc
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on this "
                "machine. Use device='cpu' or device='auto'."
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) are present."
            )
    elif resolved.type == "mps" and not _mps_available():
        raise ValueError(
            f"device={device!r} was requested but MPS is not available on this "
            "machine. Use device='cpu' or device='auto'."
        )
    elif resolved.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device={device!r} is not supported. {_DEVICE_HELP}")
    return resolved


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return backend is not None and backend.is_available()


def device_is_available(device: torch.device) -> bool:
    """Whether tensors can be placed on ``device`` on this machine."""
    if device.type == "cuda":
        index = device.index or 0
        return torch.cuda.is_available() and index < torch.cuda.device_count()
    if device.type == "mps":
        return _mps_available()
    return device.type == "cpu"


_SEED_BOUND = np.iinfo(np.int32).max


def draw_seeds(random_state: int | np.random.RandomState | None, n: int) -> list[int]:
    """The first ``n`` integer seeds drawn from ``random_state``.

    The one way the package turns ``random_state`` into seeds for torch and
    for scikit-learn: an integer gives the same seeds every time, a
    ``RandomState`` instance advances, None draws from numpy's global state.
    """
    rng = check_random_state(random_state)
    return [int(seed) for seed in rng.randint(_SEED_BOUND, size=n)]


@contextlib.contextmanager
def seeded_torch(seed: int, device: torch.device) -> Iterator[torch.Generator]:
    """Seed torch's global generators inside the block and restore them after.

    Module construction (default layer initialisation) and dropout draw from the
    global generators; forking them keeps fits reproducible without changing the
    random state the user sees outside ``fit``. Yields a new
    :class:`torch.Generator` on ``device`` seeded with ``seed``, for the
    training loop's batch order.
    """
    if device.type == "cuda":
        devices = [
            device.index if device.index is not None else torch.cuda.current_device()
        ]
        fork = torch.random.fork_rng(devices=devices, device_type="cuda")
    elif device.type == "mps":
        fork = torch.random.fork_rng(device_type="mps")
    else:
        fork = torch.random.fork_rng(devices=[])
    with fork:
        torch.manual_seed(seed)
        yield torch.Generator(device=device).manual_seed(seed)


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A fitted parameter as a float64 numpy array, whatever its device."""
    return tensor.detach().cpu().double().numpy()
