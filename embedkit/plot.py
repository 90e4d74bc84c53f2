"""2-D maps of embeddings (UMAP, t-SNE or PCA) as matplotlib figures.

Behind :meth:`Embeddings.plot <embedkit.embeddings.Embeddings.plot>` and ``embedkit plot``.
Rows are scaled to unit length first, so the map shows cosine geometry. PCA is computed with
NumPy (needs only matplotlib: ``pip install 'embedkit[plot]'``); t-SNE uses scikit-learn (same
extra) and UMAP ``umap-learn`` (``pip install 'embedkit[umap]'``). Figures are created without
pyplot (no global state, no GUI backend); ``fig.savefig("map.png")`` renders with Agg.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from embedkit.optional import require

__all__ = ["METHODS", "plot_map", "project_2d"]

METHODS = ("umap", "tsne", "pca")
_MAX_LEGEND = 20
_AUTO_ANNOTATE = 50


def project_2d(
    vectors: np.ndarray, method: str = "umap", random_state: int | None = 0, **params: Any
) -> np.ndarray:
    """Coordinates of shape ``(n, 2)`` of the unit-scaled rows of ``vectors``.

    Parameters
    ----------
    vectors : ndarray of shape (n, dim)
    method : {"umap", "tsne", "pca"}, default "umap"
    random_state : int, optional
        Seed for UMAP/t-SNE (PCA is deterministic: each axis is signed so that its largest
        loading is positive).
    **params
        Passed to ``umap.UMAP`` or ``sklearn.manifold.TSNE``.

    Returns
    -------
    ndarray of float64, shape (n, 2)

    Examples
    --------
    >>> xy = project_2d(np.eye(4, 3) + 0.1, method="pca")
    >>> xy.shape
    (4, 2)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"need at least 2 vectors to draw a map, got shape {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms > 0, norms, 1.0)
    n = x.shape[0]
    if method == "pca":
        if params:
            raise TypeError(f"unexpected parameters for PCA: {sorted(params)}")
        centred = x - x.mean(axis=0)
        _, vecs = np.linalg.eigh(centred.T @ centred)
        axes = vecs[:, ::-1][:, :2]
        if axes.shape[1] < 2:
            axes = np.hstack([axes, np.zeros((axes.shape[0], 1))])
        axes *= np.where(axes[np.abs(axes).argmax(axis=0), [0, 1]] < 0, -1.0, 1.0)
        return centred @ axes
    if method == "tsne":
        manifold = require("sklearn.manifold", "plot(method='tsne')")
        params.setdefault("perplexity", float(min(30.0, max(1.0, (n - 1) / 3))))
        params.setdefault("init", "pca")
        model = manifold.TSNE(n_components=2, random_state=random_state, **params)
        return np.asarray(model.fit_transform(x), dtype=np.float64)
    umap = require("umap", "plot(method='umap')")
    params.setdefault("n_neighbors", min(15, n - 1))
    if random_state is not None:
        params.setdefault("n_jobs", 1)  # umap-learn is only reproducible single-threaded
    model = umap.UMAP(n_components=2, metric="cosine", random_state=random_state, **params)
    return np.asarray(model.fit_transform(x), dtype=np.float64)


def _label_list(labels: Any, keys: Sequence[Hashable]) -> list[Any] | None:
    if labels is None:
        return None
    if isinstance(labels, Mapping):
        return [labels.get(k) for k in keys]
    out = list(labels)
    if len(out) != len(keys):
        raise ValueError(f"labels has {len(out)} entries but there are {len(keys)} keys")
    return out


def _annotated(annotate: Any, keys: Sequence[Hashable]) -> list[int]:
    if annotate is None:
        return list(range(len(keys))) if len(keys) <= _AUTO_ANNOTATE else []
    if annotate is True or annotate is False:
        return list(range(len(keys))) if annotate else []
    position = {k: i for i, k in enumerate(keys)}
    wanted = [annotate] if isinstance(annotate, (str, tuple)) else list(annotate)
    missing = [k for k in wanted if k not in position]
    if missing:
        raise KeyError(f"keys to annotate are not on the map: {missing[:5]}")
    return [position[k] for k in wanted]


def plot_map(
    coords: np.ndarray,
    keys: Sequence[Hashable],
    labels: Any = None,
    *,
    annotate: Any = None,
    ax: Any = None,
    figsize: tuple[float, float] = (8.0, 8.0),
    title: str | None = None,
    point_size: float | None = None,
) -> Any:
    """Scatter plot of 2-D coordinates, coloured by label, with chosen keys annotated.

    Parameters
    ----------
    coords : ndarray of shape (n, 2)
    keys : sequence of keys
        One per point (used for annotations).
    labels : mapping of key to label, or sequence of labels, optional
        Categories colour the points (with a legend up to 20 categories; keys without a label
        are grey); numbers use a continuous colour map with a colour bar.
    annotate : None, bool, key or list of keys
        Keys to write next to their points (``None``: all when there are at most 50 points).
    ax : matplotlib Axes, optional
        Draw here instead of in a new figure.
    figsize : (float, float), default (8, 8)
    title : str, optional
    point_size : float, optional
        Marker area (default: smaller for more points).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_map(np.array([[0, 0], [1, 1.0]]), ["a", "b"], {"a": "x", "b": "y"})
    >>> sum(len(c.get_offsets()) for c in fig.axes[0].collections)
    2
    """
    figure_mod = require("matplotlib.figure", "plot()")
    coords = np.asarray(coords, dtype=np.float64)
    if coords.shape != (len(keys), 2):
        raise ValueError(f"coords must have shape ({len(keys)}, 2), got {coords.shape}")
    if ax is None:
        fig = figure_mod.Figure(figsize=figsize, layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    size = point_size if point_size is not None else float(np.clip(3000 / len(keys), 2, 40))
    values = _label_list(labels, keys)
    if values is None:
        ax.scatter(coords[:, 0], coords[:, 1], s=size, c="tab:blue", linewidths=0)
    elif all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        points = ax.scatter(coords[:, 0], coords[:, 1], s=size, c=np.asarray(values, float),
                            cmap="viridis", linewidths=0)
        fig.colorbar(points, ax=ax)
    else:
        _categorical(ax, coords, values, size)
    for i in _annotated(annotate, keys):
        ax.annotate(str(keys[i]), coords[i], fontsize=8, xytext=(3, 3),
                    textcoords="offset points")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return fig


def _categorical(ax: Any, coords: np.ndarray, values: list[Any], size: float) -> None:
    cats = sorted({v for v in values if v is not None}, key=str)
    mpl = require("matplotlib", "plot()")
    palette = mpl.colormaps["tab20" if len(cats) > 10 else "tab10"]
    missing = np.array([v is None for v in values])
    if missing.any():
        ax.scatter(coords[missing, 0], coords[missing, 1], s=size, c="lightgrey",
                   linewidths=0, label="(no label)")
    for j, cat in enumerate(cats):
        mask = np.array([v is not None and v == cat for v in values])
        colour = palette(j % palette.N) if len(cats) <= _MAX_LEGEND else \
            mpl.colormaps["turbo"](j / max(1, len(cats) - 1))
        ax.scatter(coords[mask, 0], coords[mask, 1], s=size, color=colour, linewidths=0,
                   label=str(cat))
    if len(cats) <= _MAX_LEGEND:
        ax.legend(fontsize=8, markerscale=max(1.0, 30 / size) ** 0.5, frameon=False)
