"""Benchmark harness: compare negative samplers on words, graphs and k-mers.

:func:`compare_samplers` returns a pandas DataFrame (one row per sampler and seed),
:func:`summarize` the mean and spread over seeds, and :func:`plot_quality_vs_time`
(``embedkit.bench.plot``, needs matplotlib) draws quality against training time.
"""

from __future__ import annotations

from embedkit.bench.samplers import (
    DEFAULT_SAMPLERS,
    RESULT_COLUMNS,
    TASKS,
    PeakMemory,
    compare_samplers,
    summarize,
)


def plot_quality_vs_time(*args, **kwargs):
    """See :func:`embedkit.bench.plot.plot_quality_vs_time` (imported lazily: matplotlib)."""
    from embedkit.bench.plot import plot_quality_vs_time as plot

    return plot(*args, **kwargs)


__all__ = [
    "DEFAULT_SAMPLERS",
    "RESULT_COLUMNS",
    "TASKS",
    "PeakMemory",
    "compare_samplers",
    "summarize",
    "plot_quality_vs_time",
]
