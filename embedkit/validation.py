"""Parameter checks shared by estimators and context generators.

Every public entry point validates its parameters with these functions, so a bad value gets the
same clear message wherever it is passed (and never reaches a Numba kernel).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["check_int", "check_float", "check_positive_int", "check_positive_float"]


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]`` (``high=None``: no upper bound).

    Raises
    ------
    TypeError
        If ``value`` is not an integer (bools are rejected).
    ValueError
        If it is out of range.

    Examples
    --------
    >>> check_int("k", 5, 1, 31)
    5
    """
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in {low}..{high}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return int(value)


def check_float(name: str, value: Any, low: float, high: float = np.inf, *,
                low_open: bool = False) -> float:
    """``value`` as a finite float in ``[low, high]`` (``(low, high]`` with ``low_open``).

    Raises
    ------
    TypeError
        If ``value`` is not a real number (bools are rejected).
    ValueError
        If it is not finite or out of range.

    Examples
    --------
    >>> check_float("lr", 0.025, 0.0, low_open=True)
    0.025
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < low or value > high or (low_open and value == low):
        bound = f"({low}, {high}]" if low_open else f"[{low}, {high}]"
        raise ValueError(f"{name} must be in {bound}, got {value}")
    return value


def check_positive_int(name: str, value: Any, *, allow_none: bool = False) -> int | None:
    """``value`` as an int >= 1 (or None with ``allow_none``); anything else is a ValueError.

    Examples
    --------
    >>> check_positive_int("batch_words", 10), check_positive_int("n", None, allow_none=True)
    (10, None)
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        expected = "a positive int or None" if allow_none else "a positive int"
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return int(value)


def check_positive_float(name: str, value: Any) -> float:
    """``value`` as a finite float > 0.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If it is not finite or not positive.
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return value
