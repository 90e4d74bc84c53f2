"""Graph files: delimited edge lists (plain or gzip) and binary ``.npz`` / ``.npy`` graphs.

:func:`read_edgelist` sniffs the separator and a header line, takes integer node columns
straight into int64 arrays (no Python object per field) when every node field is a plain
integer, and names the file and line of any malformed row. :func:`read_binary_graph` loads
scipy ``save_npz`` matrices, ``save_edges`` archives and ``.npy`` edge arrays without a text
pass. Both return a :class:`~embedkit.contexts.graph.Graph`.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from embedkit._io import is_gzip, open_text
from embedkit.contexts.graph import (
    INT_RE,
    Graph,
    check_graph_options,
    factorize_labels,
    finish_graph,
    from_arrays,
    from_sparse_matrix,
)
from embedkit.contexts.graph_files import (
    int_edge_arrays,
    int_labels,
    plain_integer_file,
    read_npy_edges,
    read_npz,
)

__all__ = ["read_binary_graph", "read_edgelist"]

logger = logging.getLogger("embedkit")

# first-line field names that mark a header in an edge-list file (compared lowercased)
_HEADER_NAMES = {
    "src", "dst", "source", "target", "from", "to", "node1", "node2", "node_1", "node_2",
    "head", "tail", "weight", "start", "end", "id1", "id2", "protein1", "protein2", "gene1",
    "gene2", "nodea", "nodeb", "from_node", "to_node", "source_node", "target_node",
}


def _split_fn(sep: str):
    if sep == r"\s+":
        return str.split
    if sep == ",":
        return lambda line: [f.strip() for f in line.split(",")]
    return lambda line: line.split(sep)


def _is_float(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _sniff(path: str, comment: str | None) -> tuple[str, list[str] | None]:
    """Separator and the fields of the first data line (``None`` if the file has none)."""
    with open_text(path) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip() or (comment and line.lstrip().startswith(comment)):
                continue
            sep = "\t" if "\t" in line else ("," if "," in line else r"\s+")
            return sep, _split_fn(sep)(line.strip() if sep == r"\s+" else line)
    return r"\s+", None


def _second_data_line(path: str, sep: str, comment: str | None) -> list[str] | None:
    """The fields of the second data line (the first after a header), if any."""
    seen = 0
    with open_text(path) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip() or (comment and line.lstrip().startswith(comment)):
                continue
            seen += 1
            if seen == 2:
                return _split_fn(sep)(line.strip() if sep == r"\s+" else line)
    return None


def _locate_error(path: str, sep: str, header: bool, comment: str | None, ncols: int,
                  weighted: bool) -> None:
    """Scan the file line by line and raise a ValueError naming the first bad line."""
    split = _split_fn(sep)
    seen_header = not header
    with open_text(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\r\n")
            if not line.strip() or (comment and line.lstrip().startswith(comment)):
                continue
            if comment and comment in line:
                line = line[: line.index(comment)]
            fields = split(line.strip() if sep == r"\s+" else line)
            if not seen_header:
                seen_header = True
                continue
            where = f"{path}, line {lineno}"
            if len(fields) != ncols:
                raise ValueError(f"{where}: expected {ncols} {_sep_name(sep)}-separated fields "
                                 f"(source, target{', weight' if ncols == 3 else ''}), got "
                                 f"{len(fields)}: {line[:80]!r}")
            if any(not x.strip() for x in fields[:2]):
                raise ValueError(f"{where}: empty node name: {line[:80]!r}")
            if ncols == 3 and weighted:
                try:
                    x = float(fields[2])
                except ValueError:
                    raise ValueError(f"{where}: weight {fields[2]!r} is not a number") from None
                if not np.isfinite(x) or x < 0:
                    kind = "NaN" if np.isnan(x) else ("infinite" if np.isinf(x) else "negative")
                    raise ValueError(f"{where}: {kind} weight {fields[2]!r}; weights must be "
                                     "finite and >= 0")


def _sep_name(sep: str) -> str:
    return {"\t": "tab", ",": "comma"}.get(sep, "whitespace")


def _convert_labels(labels: list[str], nodetype) -> list:
    if nodetype is None:
        if all(INT_RE.match(x) for x in labels):
            return [int(x) for x in labels]
        return labels
    if nodetype is str:
        return labels
    try:
        return [nodetype(x) for x in labels]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cannot convert node labels with nodetype={nodetype!r}: {exc}") from None


def read_edgelist(
    path: str | os.PathLike,
    *,
    directed: bool = False,
    weighted: bool | None = None,
    sep: str | None = None,
    header: bool | None = None,
    comment: str | None = "#",
    nodetype: type | None = None,
    duplicates: str = "max",
) -> Graph:
    """Read an edge-list file: ``source target [weight]`` per line.

    Parameters
    ----------
    path : str or os.PathLike
        Plain or gzip-compressed (detected from the magic bytes) UTF-8 text.
    directed : bool, default False
        Edges ``u v`` are arcs ``u -> v`` (True) or undirected edges (False).
    weighted : bool or None
        ``None``: use the third column as weights if there is one. ``False``: ignore it.
    sep : str, optional
        Field separator. Default: detected from the first data line: tab if it has a tab,
        else comma if it has a comma, else any run of whitespace.
    header : bool, optional
        Whether the first data line is a header. Default: detected; with three fields it is
        a header if the third is not a number, with two if both are common column names
        (``src``, ``dst``, ``source``, ``target``, ``from``, ``to``, ``node1``, ...).
    comment : str or None, default "#"
        Lines starting with this (after leading blanks) are skipped; so are blank lines.
    nodetype : type, optional
        Applied to node names. Default: ``int`` if every name is a plain decimal integer
        (``"7"``, not ``"007"``), else ``str``.
    duplicates : {"max", "sum"}, default "max"
        How repeated edges are merged.

    Returns
    -------
    Graph

    Raises
    ------
    ValueError
        A line with the wrong number of fields, an empty node name, a weight that is not a
        number or is NaN, infinite or negative (the message names the file and line), or a
        file with no edges.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "g.tsv")
    >>> _ = open(p, "w").write("src\\tdst\\tweight\\na\\tb\\t2\\nb\\tc\\t1.5\\n")
    >>> g = read_edgelist(p)
    >>> g.labels, g.weights.tolist()
    (['a', 'b', 'c'], [2.0, 2.0, 1.5, 1.5])
    """
    import pandas as pd

    check_graph_options(directed, weighted, duplicates)
    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(f"edge-list file not found: '{name}'")
    if os.path.isdir(name):
        raise ValueError(f"'{name}' is a directory, not an edge-list file")
    detected, first = _sniff(name, comment)
    if first is None:
        raise ValueError(f"{name}: the edge list is an empty graph (no edges)")
    if sep is None:
        sep = detected
    elif sep != detected:  # re-split the first data line with the user's separator
        with open_text(name) as f:
            for line in f:
                line = line.rstrip("\r\n")
                if line.strip() and not (comment and line.lstrip().startswith(comment)):
                    first = _split_fn(sep)(line.strip() if sep == r"\s+" else line)
                    break
    if header is None:
        if len(first) >= 3:
            header = not _is_float(first[2])
        else:
            header = all(x.strip().lower() in _HEADER_NAMES for x in first[:2])
    ncols = len(first)
    if ncols not in (2, 3):
        if header:
            raise ValueError(f"{name}: the header has {ncols} fields; an edge list has 2 "
                             "(source, target) or 3 (source, target, weight)")
        _locate_error(name, sep, False, comment, 2 if ncols < 2 else 3, True)
    if weighted and ncols < 3:
        raise ValueError(f"{name}: weighted=True but the file has no weight column")
    use_w = ncols == 3 and weighted is not False
    sample = _second_data_line(name, sep, comment) if header else first
    if nodetype in (None, int) and sample is not None and len(sample) == ncols and all(
            INT_RE.match(x.strip()) for x in sample[:2]) and (
            nodetype is int or plain_integer_file(name, sep=sep, comment=comment,
                                                  ncols=ncols, header=bool(header))):
        fast = int_edge_arrays(name, sep=sep, header=bool(header), comment=comment,
                               ncols=ncols, use_w=use_w)
        if fast is not None:
            return _int_graph(name, *fast, directed=directed, duplicates=duplicates)
    try:
        df = pd.read_csv(
            name, sep=sep, header=None, skiprows=0, comment=comment, dtype=str,
            skip_blank_lines=True, engine="c",
            compression="gzip" if is_gzip(name) else None, keep_default_na=False,
            skipinitialspace=sep == ",", names=list(range(ncols)), index_col=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        _locate_error(name, sep, bool(header), comment, ncols, use_w)
        raise ValueError(f"{name}: cannot parse the edge list ({exc})") from None
    if header:
        df = df.iloc[1:]
    if df.shape[0] and df.isna().any().any():
        _locate_error(name, sep, bool(header), comment, ncols, use_w)
    if sep != r"\s+":
        df[0] = df[0].str.strip()
        df[1] = df[1].str.strip()
    src_s = df[0].to_numpy(dtype=object)
    dst_s = df[1].to_numpy(dtype=object)
    if src_s.size == 0:
        raise ValueError(f"{name}: the edge list is an empty graph (no edges)")
    if (df[0].str.len() == 0).any() or (df[1].str.len() == 0).any():
        _locate_error(name, sep, bool(header), comment, ncols, use_w)
    w = None
    if use_w:
        w = pd.to_numeric(df[2], errors="coerce").to_numpy(dtype=np.float64)
        if not (np.isfinite(w) & (w >= 0)).all():
            _locate_error(name, sep, bool(header), comment, ncols, use_w)
            raise ValueError(f"{name}: invalid weights")  # pragma: no cover - located above
    s, t, labels = factorize_labels(src_s, dst_s)
    labels = _convert_labels([str(x) for x in labels], nodetype)
    g = from_arrays(s, t, w, labels, directed=directed, duplicates=duplicates)
    _log_read(name, g)
    return finish_graph(g, name)


def _log_read(name: str, g: Graph) -> None:
    logger.info("read %s: %d nodes, %d arcs (%s, %s)", name, g.n_nodes, g.n_arcs,
                "directed" if g.directed else "undirected",
                "weighted" if g.weighted else "unweighted")


def _int_graph(name: str, src: np.ndarray, dst: np.ndarray, w: np.ndarray | None, *,
               directed: bool, duplicates: str) -> Graph:
    """The integer fast path of :func:`read_edgelist` (no Python object per field)."""
    if w is not None:
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name}: edge {k + 1} ({src[k]} -> {dst[k]}): weight "
                             f"{float(w[k])!r} is not finite and >= 0")
    s, t, labels = int_labels(src, dst)
    del src, dst
    g = from_arrays(s, t, w, labels, directed=directed, duplicates=duplicates,
                     check_labels=False)  # distinct ints by construction
    _log_read(name, g)
    return finish_graph(g, name)


def read_binary_graph(path: str | os.PathLike, *, directed: bool = False,
                      weighted: bool | None = None, duplicates: str = "max") -> Graph:
    """Read a graph from a binary file, without a text pass or a label dictionary.

    Node labels are the ids ``0..n-1`` (``Graph.labels`` is ``range(n)``).

    Parameters
    ----------
    path : str or os.PathLike
        * ``.npz`` written by ``scipy.sparse.save_npz`` (CSR, CSC or COO): the adjacency
          matrix, row -> column, weights from its values (all ones: unweighted);
        * ``.npz`` written by :func:`embedkit.contexts.graph_files.save_edges`: arrays
          ``src``, ``dst``, optional ``weight`` and ``n_nodes``;
        * ``.npy``: an integer array of shape ``(m, 2)``, one edge per row (unweighted).
    directed, weighted, duplicates
        As in :func:`as_graph`.

    Returns
    -------
    Graph

    Raises
    ------
    ValueError
        A malformed, truncated or foreign file, ids out of range, a matrix that is not square,
        NaN, infinite or negative weights, or no edges (the message names the file).
    """
    check_graph_options(directed, weighted, duplicates)
    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(f"graph file not found: '{name}'")
    if os.path.isdir(name):
        raise ValueError(f"'{name}' is a directory, not a graph file")
    if name.lower().endswith(".npy"):
        src, dst, n = read_npy_edges(name)
        if weighted:
            raise ValueError(f"{name}: weighted=True but an .npy edge file has no weights")
        g = from_arrays(src, dst, None, range(n), directed=directed, duplicates=duplicates)
    else:
        kind, arrays = read_npz(name)
        if kind == "sparse":
            try:
                g = from_sparse_matrix(arrays["matrix"], directed, weighted, duplicates)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        else:
            w = arrays["weight"]
            if weighted and w is None:
                raise ValueError(f"{name}: weighted=True but the archive has no weight array")
            g = from_arrays(arrays["src"], arrays["dst"], None if weighted is False else w,
                             range(arrays["n_nodes"]), directed=directed,
                             duplicates=duplicates)
    _log_read(name, g)
    return finish_graph(g, name)
