"""Large-graph inputs that skip the text pass and the node-label dictionary.

* :func:`read_npz`: a scipy ``save_npz`` sparse matrix (CSR, CSC or COO) is an adjacency
  matrix, row -> column, on nodes ``0..n-1``; or an edge archive written by :func:`save_edges`
  (arrays ``src``, ``dst``, optional ``weight`` and ``n_nodes``).
* :func:`read_npy_edges`: an ``.npy`` integer array of shape ``(m, 2)``, one edge per row.
* :func:`int_edge_arrays`: the integer fast path of
  :func:`~embedkit.contexts.edgelist.read_edgelist`: node columns parsed straight into int64
  arrays (no Python string per field), used when every node name is a plain decimal integer.
* :func:`int_labels`: node ids that already are ``0..n-1`` are used as they are
  (``labels = range(n)``); other integers are numbered in order of first appearance.

Nothing is unpickled (``allow_pickle=False``) and every array is checked (shape, dtype, id
range, finite non-negative weights) with an error that names the file.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Hashable, Sequence

import numpy as np

from embedkit._io import atomic_write, is_gzip, open_binary

__all__ = ["int_edge_arrays", "int_labels", "plain_integer_file", "read_npy_edges", "read_npz",
           "save_edges"]

_SPARSE_KEYS = {"format", "shape"}
_EDGE_KEYS = {"src", "dst"}


_INT_FIELD = rb"-?(?:0|[1-9][0-9]*)"
_SEP_RE = {"\t": rb"[ ]*\t[ ]*", ",": rb"[ ]*,[ ]*", r"\s+": rb"[ \t]+"}


def plain_integer_file(path: str, *, sep: str, comment: str | None, ncols: int,
                       header: bool) -> bool:
    """Whether every data line's two node fields are plain decimal integers (``"7"``, not
    ``"007"``, ``"+7"`` or ``"7.0"``), the rule of
    :func:`~embedkit.contexts.edgelist.read_edgelist`.

    Lines are counted with regular expressions over 8 MiB blocks of bytes (no Python object
    per line): every line must be blank, a comment, the header, or a good edge line.
    """
    if sep not in _SEP_RE or (comment is not None and len(comment) != 1):
        return False
    s = _SEP_RE[sep]
    tail = (s + rb"[^\n]*" if ncols == 3 else rb"[ \t\r]*") + rb"$"
    good = re.compile(rb"^[ \t]*" + _INT_FIELD + s + _INT_FIELD + tail, re.M)
    skip = re.compile(rb"^[ \t]*(?:" + (re.escape(comment.encode()) + rb"[^\n]*"
                                         if comment else rb"") + rb")?\r?$", re.M)
    allowed = 1 if header else 0
    pending = b""
    with open_binary(path) as f:
        while True:
            block = f.read(1 << 23)
            data = pending + block
            if block:
                cut = data.rfind(b"\n") + 1
                data, pending = data[:cut], data[cut:]
            elif not data:
                return True
            else:
                data += b"\n"
            text = data[:-1]  # ends with "\n": drop it, or "^" would match once more after it
            bad = data.count(b"\n") - len(good.findall(text)) - len(skip.findall(text))
            allowed -= bad
            if allowed < 0:
                return False
            if not block:
                return True


def int_edge_arrays(path: str, *, sep: str, header: bool, comment: str | None, ncols: int,
                    use_w: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """``(src, dst, weights)`` int64/float64 arrays of an integer edge list, or ``None`` if
    a field does not parse (the caller then takes the general path, which names the line)."""
    import pandas as pd

    cols = [0, 1, 2] if use_w else [0, 1]
    dtype = {0: np.int64, 1: np.int64}
    if use_w:
        dtype[2] = np.float64
    try:
        df = pd.read_csv(
            path, sep=sep, header=0 if header else None, names=list(range(ncols)),
            usecols=cols, comment=comment, dtype=dtype, skip_blank_lines=True, engine="c",
            compression="gzip" if is_gzip(path) else None, na_filter=False,
            skipinitialspace=sep == ",", index_col=False,
        )
    except (ValueError, OverflowError, pd.errors.ParserError):
        return None
    if df.shape[0] == 0:
        return None
    src = df[0].to_numpy(dtype=np.int64)
    dst = df[1].to_numpy(dtype=np.int64)
    w = df[2].to_numpy(dtype=np.float64) if use_w else None
    return src, dst, w


def int_labels(src: np.ndarray, dst: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, Sequence[Hashable]]:
    """Node ids and labels for integer node names.

    If the names are exactly ``0..n-1`` (each used at least once) they are the ids and the
    labels are ``range(n)``; otherwise ids follow the order of first appearance (sources
    before targets, as the string path numbers them) and labels are Python ints.
    """
    lo = min(int(src.min()), int(dst.min()))
    hi = max(int(src.max()), int(dst.max()))
    if lo == 0 and hi < 2**31 - 1:
        seen = np.zeros(hi + 1, dtype=bool)
        seen[src] = True
        seen[dst] = True
        if seen.all():
            return src, dst, range(hi + 1)
        del seen
    import pandas as pd

    codes, uniques = pd.factorize(np.concatenate([src, dst]), sort=False)
    m = src.size
    return codes[:m], codes[m:], uniques.tolist()


# ---------------------------------------------------------------------------------------------
# Binary files
# ---------------------------------------------------------------------------------------------


def _bad(path: str, what: str) -> ValueError:
    return ValueError(f"{path}: {what}")


def _check_ids(path: str, src: np.ndarray, dst: np.ndarray, n: int | None) -> int:
    for name, a in (("source", src), ("target", dst)):
        if not np.issubdtype(a.dtype, np.integer):
            raise _bad(path, f"{name} node ids must be integers, got dtype {a.dtype}")
    if src.size == 0:
        raise _bad(path, "the edge list is an empty graph (no edges)")
    lo = min(int(src.min()), int(dst.min()))
    hi = max(int(src.max()), int(dst.max()))
    if lo < 0:
        raise _bad(path, f"negative node id {lo}; binary edge files hold ids 0..n-1")
    if n is None:
        n = hi + 1
    elif hi >= n:
        raise _bad(path, f"node id {hi} is out of range for n_nodes = {n}")
    return int(n)


def _check_w(path: str, w: np.ndarray, m: int) -> np.ndarray:
    if w.shape != (m,):
        raise _bad(path, f"weight has shape {w.shape}, expected ({m},) like src and dst")
    if not np.issubdtype(w.dtype, np.number) or np.issubdtype(w.dtype, np.complexfloating):
        raise _bad(path, f"weights must be real numbers, got dtype {w.dtype}")
    w = w.astype(np.float64, copy=False)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise _bad(path, f"edge {k}: weight {float(w[k])!r} is not finite and >= 0")
    return w


def _open_npz(path: str):
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise _bad(path, f"not a readable .npz archive ({exc})") from None


def read_npz(path: str) -> tuple[str, dict]:
    """Load a graph archive: ``("sparse", {indptr|row, indices|col, data, shape, format})`` for
    a scipy ``save_npz`` matrix, ``("edges", {src, dst, weight, n_nodes})`` for
    :func:`save_edges`. Arrays are checked; a truncated or foreign archive raises."""
    with _open_npz(path) as z:
        keys = set(z.files)
        try:
            if _SPARSE_KEYS <= keys:
                return "sparse", _sparse_from(path, z)
            if _EDGE_KEYS <= keys:
                return "edges", _edges_from(path, z)
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            if isinstance(exc, ValueError) and str(exc).startswith(path):
                raise
            raise _bad(path, f"corrupt or truncated archive ({exc})") from None
    raise _bad(path, f"holds arrays {sorted(keys)}: expected a scipy.sparse.save_npz matrix "
                     "(format, shape, indices, indptr, data) or an edge archive (src, dst[, "
                     "weight, n_nodes]) written by embedkit.contexts.graph_files.save_edges")


def _sparse_from(path: str, z) -> dict:
    import scipy.sparse as sp

    fmt = z["format"].item()
    fmt = fmt.decode() if isinstance(fmt, bytes) else str(fmt)
    shape = tuple(int(x) for x in z["shape"])
    if len(shape) != 2 or shape[0] != shape[1]:
        raise _bad(path, f"an adjacency matrix must be square, got shape {shape}")
    data = z["data"] if "data" in z.files else None
    if fmt in ("csr", "csc"):
        indptr, indices = z["indptr"], z["indices"]
        if indptr.shape != (shape[0] + 1,) or (data is not None and data.shape != indices.shape):
            raise _bad(path, f"{fmt} arrays do not match the shape {shape}")
        cls = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
        try:
            A = cls((data, indices, indptr), shape=shape)
            A.check_format(full_check=True)
        except ValueError as exc:
            raise _bad(path, f"inconsistent {fmt} matrix ({exc})") from None
        return {"matrix": A}
    if fmt == "coo":
        row, col = z["row"], z["col"]
        if row.shape != col.shape or (data is not None and data.shape != row.shape):
            raise _bad(path, "coo arrays row, col, data differ in length")
        _check_ids(path, row, col, shape[0]) if row.size else None
        return {"matrix": sp.coo_matrix((data, (row, col)), shape=shape)}
    raise _bad(path, f"sparse format {fmt!r} is not supported (csr, csc or coo)")


def _edges_from(path: str, z) -> dict:
    src, dst = z["src"], z["dst"]
    if src.ndim != 1 or src.shape != dst.shape:
        raise _bad(path, f"src and dst must be 1-D of equal length, got {src.shape} and "
                         f"{dst.shape}")
    n = int(z["n_nodes"]) if "n_nodes" in z.files else None
    if n is not None and n < 1:
        raise _bad(path, f"n_nodes must be >= 1, got {n}")
    n = _check_ids(path, src, dst, n)
    w = _check_w(path, z["weight"], src.size) if "weight" in z.files else None
    return {"src": src, "dst": dst, "weight": w, "n_nodes": n}


def read_npy_edges(path: str) -> tuple[np.ndarray, np.ndarray, int]:
    """``(src, dst, n_nodes)`` of an ``.npy`` integer array of shape ``(m, 2)``."""
    try:
        a = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise _bad(path, f"not a readable .npy array ({exc})") from None
    if a.ndim != 2 or a.shape[1] != 2:
        raise _bad(path, f"an .npy edge file holds an integer array of shape (m, 2), got "
                         f"{a.shape}; for weights use an .npz archive (save_edges)")
    src = np.ascontiguousarray(a[:, 0])
    dst = np.ascontiguousarray(a[:, 1])
    del a
    return src, dst, _check_ids(path, src, dst, None)


def save_edges(path: str | os.PathLike, src, dst, weight=None, *, n_nodes: int | None = None
               ) -> None:
    """Write an edge archive (``.npz``: ``src``, ``dst``, optional ``weight``, ``n_nodes``).

    Ids are integers ``0..n_nodes-1`` (``n_nodes`` defaults to the largest id + 1; nodes
    without edges are isolated). The file is replaced atomically.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "g.npz")
    >>> save_edges(p, [0, 1], [1, 2], [1.0, 0.5])
    >>> from embedkit.contexts.graph import as_graph
    >>> as_graph(p).weights.tolist()
    [1.0, 1.0, 0.5, 0.5]
    """
    name = os.fspath(path)
    src = np.asarray(src)
    dst = np.asarray(dst)
    if src.ndim != 1 or src.shape != dst.shape:
        raise ValueError("src and dst must be 1-D arrays of equal length")
    n = _check_ids(name, src, dst, n_nodes)
    arrays = {"src": src, "dst": dst, "n_nodes": np.int64(n)}
    if weight is not None:
        arrays["weight"] = _check_w(name, np.asarray(weight), src.size)
    with atomic_write(name, "wb") as f:
        np.savez(f, **arrays)
