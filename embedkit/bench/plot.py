"""Plots of sampler benchmark results (needs matplotlib: ``pip install embedkit[plot]``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["plot_quality_vs_time"]


def plot_quality_vs_time(
    results: pd.DataFrame,
    *,
    quality: str = "quality",
    time: str = "train_s",
    ax: Any = None,
    title: str | None = None,
):
    """Quality against time per sampler: one point per sampler at the mean over seeds, with
    error bars of one standard deviation (when there are several seeds), and the seeds faint.

    Parameters
    ----------
    results : DataFrame
        The output of :func:`embedkit.bench.compare_samplers`.
    quality, time : str
        Columns for the y and x axes (default ``"quality"`` and ``"train_s"``; ``"wall_s"``
        includes vocabulary building and sampler refreshes).
    ax : matplotlib Axes, optional
        Draw here (default: a new figure).
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> df = pd.DataFrame({"task": "words", "sampler": ["a", "a", "b"], "seed": [0, 1, 0],
    ...                    "quality": [0.3, 0.32, 0.2], "train_s": [10, 11, 5]})
    >>> plot_quality_vs_time(df).get_xlabel()
    'train_s'
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'embedkit[plot]'") from exc
    for col in (quality, time, "sampler"):
        if col not in results.columns:
            raise ValueError(f"results have no column {col!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for i, (name, g) in enumerate(results.groupby("sampler", sort=False)):
        color = f"C{i % 10}"
        ax.scatter(g[time], g[quality], color=color, alpha=0.3, s=14)
        x, y = g[time].mean(), g[quality].mean()
        xerr = g[time].std(ddof=1) if len(g) > 1 else None
        yerr = g[quality].std(ddof=1) if len(g) > 1 else None
        ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="o", color=color, capsize=3, label=name)
    metric = results["quality_metric"].iloc[0] if "quality_metric" in results else quality
    ax.set_xlabel(time)
    ax.set_ylabel(metric if quality == "quality" else quality)
    if title is None and "task" in results:
        title = f"samplers on the {results['task'].iloc[0]} task"
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(title="sampler", fontsize="small")
    return ax
