"""TensorBoard Embedding Projector files.

:func:`write_projector` writes, into one directory:

* ``vectors.tsv`` - one row per key, values separated by tabs, no header;
* ``metadata.tsv`` - the keys, one per line without a header when there is no other column, or
  a header line (``key``, then the label column names) and one row per key otherwise;
* ``projector_config.pbtxt`` - the ``ProjectorConfig`` that points TensorBoard at both
  (``tensorboard --logdir DIR``); the two TSV files can also be loaded into the standalone
  projector web page.

TSV has no quoting, so text fields are escaped: backslash becomes ``\\\\``, tab ``\\t``,
newline ``\\n`` and carriage return ``\\r``; an empty field is written as ``""`` so that every
row stays visible. Each file is replaced atomically.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from embedkit._io import atomic_write

__all__ = ["escape_field", "write_projector"]

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_ROWS_PER_WRITE = 4096


def escape_field(value: object) -> str:
    """A value as one TSV field (see the module notes for the escapes).

    Examples
    --------
    >>> escape_field("new\\nyork\\tcity")
    'new\\\\nyork\\\\tcity'
    >>> escape_field(None), escape_field("")
    ('', '""')
    """
    if value is None:
        return ""
    text = str(value).translate(_ESCAPES)
    return text if text else '""'


def _pbtxt_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_projector(
    directory: str | os.PathLike[str],
    vectors: np.ndarray,
    keys: Sequence[Hashable],
    columns: Mapping[str, Sequence[object]] | None = None,
    tensor_name: str = "embedkit",
) -> dict[str, str]:
    """Write ``vectors.tsv``, ``metadata.tsv`` and ``projector_config.pbtxt`` into ``directory``.

    Parameters
    ----------
    directory : str or os.PathLike
        Created if missing.
    vectors : ndarray of shape (n, dim)
    keys : sequence of keys
        One per row (written with :func:`str`).
    columns : mapping of str to sequence, optional
        Extra metadata columns, each with one value per row (``None`` for missing).
    tensor_name : str, default "embedkit"
        Name shown by the projector.

    Returns
    -------
    dict
        Paths of the files written, under ``"vectors"``, ``"metadata"`` and ``"config"``.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> paths = write_projector(d, np.eye(2, dtype=np.float32), ["a\\tb", "c"], {"n": [1, 2]})
    >>> open(paths["metadata"]).read()
    'key\\tn\\na\\\\tb\\t1\\nc\\t2\\n'
    """
    columns = dict(columns or {})
    for name, values in columns.items():
        if len(values) != len(keys):
            raise ValueError(f"column {name!r} has {len(values)} values for {len(keys)} keys")
    if vectors.shape[0] != len(keys):
        raise ValueError(f"{vectors.shape[0]} vectors for {len(keys)} keys")
    os.makedirs(directory, exist_ok=True)
    paths = {name: os.path.join(os.fspath(directory), file) for name, file in (
        ("vectors", "vectors.tsv"), ("metadata", "metadata.tsv"),
        ("config", "projector_config.pbtxt"))}
    line = "\t".join(["%.7g"] * vectors.shape[1]) + "\n"
    with atomic_write(paths["vectors"]) as fh:
        for start in range(0, vectors.shape[0], _ROWS_PER_WRITE):
            block = np.asarray(vectors[start : start + _ROWS_PER_WRITE], dtype=np.float64)
            fh.write("".join(line % tuple(row) for row in block.tolist()))
    with atomic_write(paths["metadata"]) as fh:
        if columns:
            fh.write("\t".join(escape_field(c) for c in ["key", *columns]) + "\n")
        cols = list(columns.values())
        for i, key in enumerate(keys):
            fields = [escape_field(key)] + [escape_field(c[i]) for c in cols]
            fh.write("\t".join(fields) + "\n")
    with atomic_write(paths["config"]) as fh:
        fh.write(
            "embeddings {\n"
            f"  tensor_name: {_pbtxt_string(tensor_name)}\n"
            '  tensor_path: "vectors.tsv"\n'
            '  metadata_path: "metadata.tsv"\n'
            "}\n"
        )
    return paths
