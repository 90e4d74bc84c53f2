"""Imports of optional dependencies with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["EXTRAS", "require"]

#: Optional module -> the ``pip install 'embedkit[...]'`` extra that provides it.
EXTRAS = {
    "pynndescent": "ann",
    "umap": "umap",
    "sklearn": "plot",
    "matplotlib": "plot",
    "gensim": "gensim",
}


def require(module: str, purpose: str) -> ModuleType:
    """Import an optional dependency or raise an :class:`ImportError` naming its extra.

    Parameters
    ----------
    module : str
        Top-level module name, e.g. ``"pynndescent"``.
    purpose : str
        What needs it, for the message (e.g. ``"build_index(method='pynndescent')"``).

    Returns
    -------
    module

    Raises
    ------
    ImportError
        ``"<purpose> needs <package>: pip install 'embedkit[<extra>]'"``.

    Examples
    --------
    >>> require("json", "this example").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = EXTRAS.get(top)
        package = {"umap": "umap-learn", "sklearn": "scikit-learn"}.get(top, top)
        hint = f"pip install 'embedkit[{extra}]'" if extra else f"pip install {package}"
        raise ImportError(f"{purpose} needs {package}: {hint}") from exc
