"""Commands on saved vectors: ``plot`` (a 2-D map as PNG/SVG/PDF) and ``export`` (formats and
TensorBoard projector files), plus the neighbour map that ``embedkit demo`` saves."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["load_vectors", "read_labels", "register", "save_neighbour_map"]

_EXPORT_FORMATS = ("npz", "word2vec", "word2vec-binary", "glove")


def read_labels(path: str, emb) -> dict:
    """``key<TAB>label`` lines (``#`` comments, blank lines skipped) mapped onto ``emb``'s keys.

    Keys are matched by their text, so integer node ids work. Keys not in the model are
    ignored; a line without a tab, or a file where no key matches, is an error.
    """
    by_text = {str(k): k for k in emb.index_to_key}
    labels, unknown = {}, 0
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            text = line.rstrip("\r\n")
            if not text.strip() or text.startswith("#"):
                continue
            key, sep, label = text.partition("\t")
            if not sep:
                raise ValueError(f"{path}, line {lineno}: expected 'key<TAB>label'")
            if key in by_text:
                labels[by_text[key]] = label
            else:
                unknown += 1
    if not labels:
        raise ValueError(f"{path}: none of its {unknown} keys is in the model")
    return labels


def _cmd_plot(args: argparse.Namespace) -> int:
    emb = load_vectors(args.model)
    labels = read_labels(args.labels, emb) if args.labels else None
    if args.keys:
        keys = [_key(emb, text) for text in args.keys]
    elif labels is not None:
        keys = [k for k in emb.index_to_key if k in labels][: args.limit]
    else:
        keys = emb.index_to_key[: args.limit]
    annotate = keys[: args.annotate] if args.annotate is not None else None
    fig = emb.plot(keys, labels, method=args.method, annotate=annotate,
                   random_state=args.seed, title=args.title or Path(args.model).name)
    fig.savefig(args.output, dpi=args.dpi)
    print(f"{len(keys)} points ({args.method}) drawn to {args.output}")
    return 0


def _key(emb, text: str):
    """The model key whose text is ``text``."""
    if text in emb:
        return text
    for k in emb.index_to_key:
        if str(k) == text:
            return k
    raise KeyError(f"{text!r} is not in the vocabulary")


def _cmd_export(args: argparse.Namespace) -> int:
    emb = load_vectors(args.model)
    if args.limit is not None:
        emb = emb.restrict(args.limit)
    if args.projector:
        labels = read_labels(args.labels, emb) if args.labels else None
        paths = emb.export_projector(args.output, labels)
        print(f"{len(emb)} vectors written for the TensorBoard projector: {paths['vectors']}, "
              f"{paths['metadata']}, {paths['config']} (tensorboard --logdir {args.output})")
        return 0
    if args.labels:
        raise ValueError("--labels is only used with --projector")
    fmt = args.format or _format_from_suffix(args.output)
    if fmt == "npz":
        emb.save(args.output)
    else:
        emb.save_word2vec_format(args.output, binary=fmt == "word2vec-binary",
                                 write_header=fmt != "glove")
    print(f"{len(emb)} vectors written to {args.output} ({fmt})")
    return 0


def load_vectors(path: str):
    """Load saved vectors by suffix, as the other commands do, plus GloVe text (``.glove``)."""
    from embedkit.cli.text import load_embeddings
    from embedkit.embeddings import Embeddings

    if path.removesuffix(".gz").endswith(".glove"):
        return Embeddings.load_word2vec_format(path, no_header=True)
    return load_embeddings(path)


def _format_from_suffix(path: str) -> str:
    name = path.removesuffix(".gz")
    if name.endswith((".txt", ".vec")):
        return "word2vec"
    if name.endswith(".bin"):
        return "word2vec-binary"
    if name.endswith(".glove"):
        return "glove"
    return "npz"


def save_neighbour_map(emb, words, path: str, topn: int = 6) -> str | None:
    """Draw ``words`` and their ``topn`` neighbours (coloured by query word) to ``path``.

    Uses t-SNE when scikit-learn is installed, else PCA. Returns the absolute path, or
    ``None`` (after saying why) when matplotlib is missing or fewer than 3 words are known.
    """
    try:
        from embedkit.optional import require

        require("matplotlib", "the neighbour map")
    except ImportError as exc:
        print(f"(no map: {exc})")
        return None
    labels: dict = {}
    for word in words:
        if word in emb:
            labels.setdefault(word, word)
            for key, _ in emb.most_similar(word, topn=topn):
                labels.setdefault(key, word)
    if len(labels) < 3:
        return None
    try:
        import sklearn  # noqa: F401

        method = "tsne"
    except ImportError:
        method = "pca"
    params = {"perplexity": 5.0} if method == "tsne" else {}
    fig = emb.plot(list(labels), labels, method=method, annotate=True, random_state=0,
                   title=f"nearest neighbours ({method})", **params)
    fig.savefig(path, dpi=120)
    return str(Path(path).resolve())


def register(sub, train_sub) -> None:
    """Add ``plot`` and ``export`` to the ``embedkit`` parser."""
    p = sub.add_parser("plot", help="draw a 2-D map of saved vectors (PNG, SVG or PDF)",
                       description="Project vectors to 2-D (UMAP, t-SNE or PCA) and draw them, "
                       "coloured by labels when given.")
    p.add_argument("model", help="saved vectors (.npz, .txt, .vec, .bin or GloVe text)")
    p.add_argument("-o", "--output", required=True, help="image file (.png, .svg, .pdf)")
    p.add_argument("--labels", help="key<TAB>label file; colours the points (and, without "
                   "--keys, draws only labelled keys)")
    p.add_argument("--method", choices=["umap", "tsne", "pca"], default="umap",
                   help="projection (default %(default)s; umap needs embedkit[umap])")
    p.add_argument("--keys", nargs="+", help="draw these keys only")
    p.add_argument("--limit", type=int, default=2000,
                   help="at most this many keys, most frequent first (default %(default)s)")
    p.add_argument("--annotate", type=int, default=None,
                   help="write the first N keys next to their points (default: all if <= 50)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--title", default=None)
    p.add_argument("--dpi", type=int, default=150)
    p.set_defaults(func=_cmd_plot)

    p = sub.add_parser("export", help="convert saved vectors, or write TensorBoard projector "
                       "files", description="Write vectors in another format (by --format or "
                       "the output suffix: .npz, .txt/.vec word2vec text, .bin word2vec binary, "
                       ".glove GloVe text; .gz compresses text), or with --projector write "
                       "vectors.tsv, metadata.tsv and projector_config.pbtxt into a directory.")
    p.add_argument("model", help="saved vectors (.npz, .txt, .vec, .bin or GloVe text)")
    p.add_argument("output", help="output file, or directory with --projector")
    p.add_argument("--projector", action="store_true",
                   help="write TensorBoard Embedding Projector files into OUTPUT")
    p.add_argument("--format", choices=_EXPORT_FORMATS, default=None)
    p.add_argument("--labels", help="key<TAB>label file: a metadata column (with --projector)")
    p.add_argument("--limit", type=int, default=None, help="only the first N keys")
    p.set_defaults(func=_cmd_export)
