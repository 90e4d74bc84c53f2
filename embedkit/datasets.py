"""Paths to, and loaders for, the data sets bundled in the repository's ``datasets/`` folder.

The files are not package data: they live next to the package in a source checkout (embedkit is
installed with ``pip install -e .``). Set the environment variable ``EMBEDKIT_DATA`` to a folder
holding the same files to use them from elsewhere. Nothing is ever downloaded.

Every file has a short name in a registry; :func:`dataset_path` resolves any of them and
:func:`available_datasets` lists them. See ``datasets/README.md`` for sources, licenses and counts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

__all__ = [
    "DATA_ENV_VAR",
    "available_datasets",
    "data_dir",
    "dataset_path",
    "text_corpus_path",
    "analogies_path",
    "wordsim353_path",
    "simlex999_path",
    "ws353_similarity_path",
    "ws353_relatedness_path",
    "load_word_pairs",
    "load_wordsim353",
    "drosophila_edges_path",
    "drosophila_labels_path",
    "load_drosophila",
    "lambda_genome_path",
    "splice_path",
    "tiny_fasta_path",
    "load_splice",
]

#: Environment variable that overrides the location of the data folder.
DATA_ENV_VAR = "EMBEDKIT_DATA"

# name -> (file name inside the data folder, one-line description)
_REGISTRY: dict[str, tuple[str, str]] = {
    "text_corpus": (
        "corpus.txt.gz",
        "State of the Union addresses, 1.81M tokens, one sentence per line",
    ),
    "analogies": ("questions-words.txt", "19,544 word analogy questions (Mikolov et al. 2013)"),
    "wordsim353": ("wordsim353.tsv", "WordSimilarity-353, 353 scored word pairs"),
    "simlex999": ("simlex999.txt", "SimLex-999, 999 scored word pairs"),
    "ws353_similarity": ("ws353_similarity.txt", "WordSim-353 similarity subset, 203 pairs"),
    "ws353_relatedness": ("ws353_relatedness.txt", "WordSim-353 relatedness subset, 252 pairs"),
    "drosophila_edges": (
        "drosophila-left.edges.tsv",
        "Drosophila larva left mushroom body connectome: 209 neurons, 7,425 weighted arcs",
    ),
    "drosophila_labels": ("drosophila-left.labels.tsv", "cell type of the 209 neurons (4 classes)"),
    "lambda_genome": ("lambda.fa.gz", "Enterobacteria phage lambda genome, 48,502 nt (FASTA)"),
    "splice": ("splice.tsv", "primate splice junctions: 3,186 sequences of 60 nt, 3 classes"),
    "tiny_fasta": ("tiny.fa", "3 small synthetic FASTA records (wrapping, lowercase, N run)"),
}

# registry names whose files are `word1<TAB>word2<TAB>score` lines (``#`` comments allowed)
_WORD_PAIR_SETS = ("wordsim353", "simlex999", "ws353_similarity", "ws353_relatedness")


def data_dir() -> Path:
    """The folder holding the bundled data sets.

    ``$EMBEDKIT_DATA`` if that environment variable is set and non-empty, otherwise the
    ``datasets/`` folder of the repository this package was imported from.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        If the folder does not exist (for example when embedkit was installed from a wheel rather
        than from a source checkout and ``EMBEDKIT_DATA`` is not set).

    Examples
    --------
    >>> (data_dir() / "corpus.txt.gz").is_file()
    True
    """
    env = os.environ.get(DATA_ENV_VAR, "")
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(
                f"{DATA_ENV_VAR}={env!r} does not point to a folder; set it to the folder that "
                "holds the embedkit data files (the repository's datasets/) or unset it"
            )
        return path
    path = Path(__file__).resolve().parents[1] / "datasets"
    if not path.is_dir():
        raise FileNotFoundError(
            f"embedkit's data folder {path} does not exist. The data sets ship with the source "
            f"repository (install it with `pip install -e .`), or set {DATA_ENV_VAR} to a folder "
            "holding the files"
        )
    return path


def available_datasets() -> dict[str, str]:
    """Names accepted by :func:`dataset_path`, each with a one-line description.

    Examples
    --------
    >>> "wordsim353" in available_datasets()
    True
    """
    return {name: desc for name, (_, desc) in _REGISTRY.items()}


def dataset_path(name: str) -> Path:
    """Path of a bundled data set, by registry name.

    Parameters
    ----------
    name : str
        One of the names of :func:`available_datasets`, e.g. ``"text_corpus"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        If ``name`` is not a known data set (the message lists the known names).
    FileNotFoundError
        If the data folder or the file is missing.

    Examples
    --------
    >>> dataset_path("analogies").name
    'questions-words.txt'
    """
    try:
        filename = _REGISTRY[name][0]
    except (KeyError, TypeError):
        known = ", ".join(sorted(_REGISTRY))
        raise ValueError(f"unknown data set {name!r}; available: {known}") from None
    path = data_dir() / filename
    if not path.is_file():
        raise FileNotFoundError(
            f"data set {name!r} is missing: {path} does not exist "
            f"(data folder {path.parent}; see datasets/README.md)"
        )
    return path


def text_corpus_path() -> Path:
    """Path of the bundled English corpus ``corpus.txt.gz`` (1.81M tokens, one sentence a line).

    The text is already normalised (lowercase ASCII, single spaces), so
    ``TextCorpus(path, tokenizer="split")`` reads it fastest.

    Examples
    --------
    >>> text_corpus_path().name
    'corpus.txt.gz'
    """
    return dataset_path("text_corpus")


def analogies_path() -> Path:
    """Path of the word analogy questions ``questions-words.txt`` (19,544 questions).

    Examples
    --------
    >>> analogies_path().read_text().splitlines()[0]
    ': capital-common-countries'
    """
    return dataset_path("analogies")


def wordsim353_path() -> Path:
    """Path of ``wordsim353.tsv`` (WordSimilarity-353; 2 ``#`` comment lines, 353 pairs).

    Examples
    --------
    >>> wordsim353_path().suffix
    '.tsv'
    """
    return dataset_path("wordsim353")


def simlex999_path() -> Path:
    """Path of ``simlex999.txt`` (SimLex-999; 2 ``#`` comment lines, 999 pairs).

    Examples
    --------
    >>> simlex999_path().name
    'simlex999.txt'
    """
    return dataset_path("simlex999")


def ws353_similarity_path() -> Path:
    """Path of ``ws353_similarity.txt`` (similarity subset of WordSim-353, 203 pairs, no header).

    Examples
    --------
    >>> ws353_similarity_path().name
    'ws353_similarity.txt'
    """
    return dataset_path("ws353_similarity")


def ws353_relatedness_path() -> Path:
    """Path of ``ws353_relatedness.txt`` (relatedness subset of WordSim-353, 252 pairs, no header).

    Examples
    --------
    >>> ws353_relatedness_path().name
    'ws353_relatedness.txt'
    """
    return dataset_path("ws353_relatedness")


def load_word_pairs(name: str) -> pd.DataFrame:
    """Load a bundled word-pair similarity set as a table.

    Lines starting with ``#`` and blank lines are skipped; words keep their case.

    Parameters
    ----------
    name : str
        ``"wordsim353"``, ``"simlex999"``, ``"ws353_similarity"`` or ``"ws353_relatedness"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``word1`` (str), ``word2`` (str), ``score`` (float64), in file order.

    Raises
    ------
    ValueError
        If ``name`` is not a word-pair set, or a line is not ``word1<TAB>word2<TAB>score``.

    Examples
    --------
    >>> load_word_pairs("simlex999").shape
    (999, 3)
    """
    if name not in _WORD_PAIR_SETS:
        raise ValueError(f"{name!r} is not a word-pair data set; available: {_WORD_PAIR_SETS}")
    path = dataset_path(name)
    rows: list[tuple[str, str, float]] = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.rstrip("\r\n").split("\t")
            try:
                if len(fields) != 3:
                    raise ValueError(f"expected 3 tab-separated fields, got {len(fields)}")
                rows.append((fields[0], fields[1], float(fields[2])))
            except ValueError as exc:
                raise ValueError(f"{path}, line {lineno}: {exc}") from None
    return pd.DataFrame(rows, columns=["word1", "word2", "score"]).astype({"score": "float64"})


def load_wordsim353() -> pd.DataFrame:
    """Load WordSimilarity-353 as a table.

    Returns
    -------
    pandas.DataFrame
        353 rows; columns ``word1``, ``word2`` (str, original case) and ``score`` (float, 0-10).

    Examples
    --------
    >>> ws = load_wordsim353()
    >>> ws.shape, list(ws.columns)
    ((353, 3), ['word1', 'word2', 'score'])
    """
    return load_word_pairs("wordsim353")


def lambda_genome_path() -> Path:
    """Path of the phage lambda genome ``lambda.fa.gz`` (one FASTA record, 48,502 nt).

    Examples
    --------
    >>> lambda_genome_path().name
    'lambda.fa.gz'
    """
    return dataset_path("lambda_genome")


def splice_path() -> Path:
    """Path of the splice-junction table ``splice.tsv`` (``id``, ``class``, ``sequence``).

    Examples
    --------
    >>> splice_path().name
    'splice.tsv'
    """
    return dataset_path("splice")


def tiny_fasta_path() -> Path:
    """Path of ``tiny.fa``: 3 synthetic records with line wrapping, lowercase and an N run.

    Examples
    --------
    >>> tiny_fasta_path().name
    'tiny.fa'
    """
    return dataset_path("tiny_fasta")


def load_splice() -> pd.DataFrame:
    """Load the primate splice-junction set (StatLog version of the UCI data).

    Returns
    -------
    pandas.DataFrame
        3,186 rows; columns ``id`` (int), ``class`` (str: ``"ei"`` donor 767, ``"ie"`` acceptor
        765, ``"n"`` neither 1,654) and ``sequence`` (str, 60 nt over A/C/G/T; the junction lies
        between positions 30 and 31).

    Examples
    --------
    >>> df = load_splice()
    >>> df.shape, df["class"].value_counts()["n"]
    ((3186, 3), np.int64(1654))
    """
    path = splice_path()
    df = pd.read_csv(path, sep="\t", dtype={"id": "int64", "class": str, "sequence": str})
    if list(df.columns) != ["id", "class", "sequence"]:
        raise ValueError(f"{path}: expected columns id, class, sequence; got {list(df.columns)}")
    return df


def drosophila_edges_path() -> Path:
    """Path of ``drosophila-left.edges.tsv`` (``src``, ``dst``, ``weight`` = synapse count).

    Examples
    --------
    >>> drosophila_edges_path().name
    'drosophila-left.edges.tsv'
    """
    return dataset_path("drosophila_edges")


def drosophila_labels_path() -> Path:
    """Path of ``drosophila-left.labels.tsv`` (``node``, ``label``: K, P, O or I).

    Examples
    --------
    >>> drosophila_labels_path().name
    'drosophila-left.labels.tsv'
    """
    return dataset_path("drosophila_labels")


def load_drosophila():
    """Load the larval Drosophila left mushroom body connectome (Eichler et al. 2017).

    Returns
    -------
    graph : networkx.DiGraph
        209 nodes ``0..208``; 7,425 arcs ``src -> dst`` with attribute ``weight`` (number of
        synapses).
    labels : dict
        node -> cell type: ``"K"`` Kenyon cell (101), ``"P"`` projection neuron (58),
        ``"O"`` output neuron (29), ``"I"`` input neuron (21).

    Examples
    --------
    >>> G, labels = load_drosophila()
    >>> G.number_of_nodes(), G.number_of_edges(), labels[0]
    (209, 7425, 'K')
    """
    import networkx as nx

    edges = pd.read_csv(drosophila_edges_path(), sep="\t")
    nodes = pd.read_csv(drosophila_labels_path(), sep="\t")
    G = nx.DiGraph()
    G.add_nodes_from(nodes["node"].tolist())
    weights = edges["weight"].astype(float).tolist()
    G.add_weighted_edges_from(
        zip(edges["src"].tolist(), edges["dst"].tolist(), weights, strict=True)
    )
    return G, dict(zip(nodes["node"].tolist(), nodes["label"].tolist(), strict=True))
