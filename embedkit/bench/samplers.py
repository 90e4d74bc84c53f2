"""Benchmark negative samplers against each other: quality, speed, memory, gradient signal.

:func:`compare_samplers` trains one model per (sampler, seed) on a words, graph or k-mer task
and returns one row per run; :func:`summarize` reduces the runs to mean and spread over seeds.

Peak memory is the high-water mark of the process's resident set size (RSS), sampled every
10 ms by a background thread while the model trains (``psutil``). ``tracemalloc`` would miss
it: it only sees allocations made through Python's allocator, not Numba's NRT arrays or the
BLAS buffers. ``peak_rss_mb`` is the absolute high-water mark during the run and
``rss_delta_mb`` its increase over the RSS just before the run (what the run itself needed,
up to allocator reuse). Without psutil, ``resource.getrusage`` gives the lifetime maximum RSS
(Unix); its delta is then only a lower bound, because that maximum never goes down.
"""

from __future__ import annotations

import gc
import numbers
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from embedkit.samplers import get_sampler

__all__ = [
    "compare_samplers", "summarize", "PeakMemory", "TASKS", "RESULT_COLUMNS", "DEFAULT_SAMPLERS",
]

#: Columns every result frame has (task metrics are added after ``quality``).
RESULT_COLUMNS = [
    "task", "sampler", "seed", "quality", "quality_metric", "words_per_s", "wall_s", "train_s",
    "peak_rss_mb", "rss_delta_mb", "mean_neg_sigmoid", "final_loss", "n_vocab",
]


class PeakMemory:
    """Context manager measuring the peak resident set size while its block runs.

    A background thread samples the RSS every ``interval`` seconds; on Linux, a new
    process-wide high-water mark (``VmHWM``) reached inside the block is also taken into
    account, so short spikes are not missed.

    Examples
    --------
    >>> with PeakMemory() as mem:
    ...     x = bytearray(10_000_000)
    >>> mem.peak_mb >= mem.start_mb
    True
    """

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.start_mb = float("nan")
        self.peak_mb = float("nan")

    @staticmethod
    def _rss_mb() -> float:
        """The current resident set size (psutil, else Linux ``/proc``, else the peak so far)."""
        try:
            import psutil
        except ImportError:
            pass
        else:
            return psutil.Process().memory_info().rss / 1024.0 ** 2
        try:
            import os

            with open("/proc/self/statm", encoding="ascii") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024.0 ** 2
        except (OSError, ValueError, IndexError):
            import resource
            import sys

            # the process's peak so far: an allocation below an earlier peak goes unseen
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            return peak / (1024.0 ** 2 if sys.platform == "darwin" else 1024.0)

    @staticmethod
    def _high_water_mb() -> float:
        """The kernel's peak RSS of this process so far (Linux ``VmHWM``), or NaN."""
        try:
            with open("/proc/self/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024.0
        except (OSError, ValueError):
            pass
        return float("nan")

    def __enter__(self) -> PeakMemory:
        self._hwm_start = self._high_water_mb()
        self.start_mb = self.peak_mb = self._rss_mb()
        self._stop = threading.Event()

        def watch() -> None:
            while not self._stop.wait(self.interval):
                self.peak_mb = max(self.peak_mb, self._rss_mb())

        self._thread = threading.Thread(target=watch, name="embedkit-peak-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._rss_mb())
        # A new process-wide high inside the block is exact, even if the sampling thread never
        # ran while it lasted (a short spike on a busy machine).
        hwm = self._high_water_mb()
        if hwm > self._hwm_start:
            self.peak_mb = max(self.peak_mb, hwm)

    @property
    def delta_mb(self) -> float:
        return self.peak_mb - self.start_mb


# -- tasks ---------------------------------------------------------------------------------------
# A task turns (data, sampler, seed, params) into (fitted model, metrics dict, primary metric).

def _words_task(data: Any, sampler: Any, seed: int, params: dict) -> tuple[Any, dict, str]:
    from embedkit import datasets
    from embedkit.models.word2vec import Word2Vec

    params = dict(params)
    analogy_vocab = params.pop("analogy_restrict_vocab", 30_000)
    if data is None:
        data = datasets.text_corpus_path()
        params.setdefault("tokenizer", "split")
    model = Word2Vec(sampler=sampler, random_state=seed, **params).fit(data)
    emb = model.embeddings_
    ws = emb.evaluate_word_pairs(datasets.wordsim353_path())
    sl = emb.evaluate_word_pairs(datasets.simlex999_path())
    an = emb.evaluate_analogies(datasets.analogies_path(), restrict_vocab=analogy_vocab)
    metrics = {
        "ws353_spearman": ws.spearman,
        "simlex_spearman": sl.spearman,
        "analogy_acc": an.accuracy,
        "analogy_semantic": an.semantic_accuracy,
        "analogy_syntactic": an.syntactic_accuracy,
        "ws353_oov": ws.oov_ratio,
    }
    return model, metrics, "ws353_spearman"


def _as_labels(labels: Any) -> dict:
    if isinstance(labels, pd.DataFrame):
        if labels.shape[1] < 2:
            raise ValueError("a labels DataFrame needs a node column and a label column")
        return dict(zip(labels.iloc[:, 0], labels.iloc[:, 1], strict=True))
    if isinstance(labels, pd.Series):
        return labels.to_dict()
    if isinstance(labels, Mapping):
        return dict(labels)
    raise TypeError("graph labels must be a dict, a pandas Series or a (node, label) DataFrame")


def _node_classification(emb: Any, labels: dict, seed: int) -> dict:
    """Macro/micro-F1 of node classification, 5 stratified 50/50 splits.

    Uses :func:`embedkit.eval.graphs.node_classification` (standardised features, logistic
    regression); a minimal equivalent stands in if that module is unavailable.
    """
    try:
        from embedkit.eval.graphs import node_classification
    except ImportError:
        node_classification = None
    if node_classification is not None:
        res = node_classification(emb, labels, train_ratios=[0.5], n_repeats=5,
                                  missing="drop", random_state=seed)
        return {"macro_f1": float(res["macro_f1"].iloc[0]),
                "micro_f1": float(res["micro_f1"].iloc[0])}
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedShuffleSplit
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    nodes = [n for n in labels if n in emb]
    if len(nodes) < 4:
        raise ValueError("fewer than 4 labelled nodes have vectors")
    X = emb[nodes]
    y = np.asarray([labels[n] for n in nodes])
    split = StratifiedShuffleSplit(n_splits=5, test_size=0.5, random_state=seed)
    macro, micro = [], []
    for tr, te in split.split(X, y):
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        pred = clf.fit(X[tr], y[tr]).predict(X[te])
        macro.append(f1_score(y[te], pred, average="macro"))
        micro.append(f1_score(y[te], pred, average="micro"))
    return {"macro_f1": float(np.mean(macro)), "micro_f1": float(np.mean(micro))}


class _Fitted:
    """Remembers the model ``link_prediction`` fits, for the speed and gradient columns."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator
        self.model = None

    def __call__(self, graph: Any):
        self.model = self.estimator.fit(graph)
        return self.model.embeddings_


def _graph_task(data: Any, sampler: Any, seed: int, params: dict) -> tuple[Any, dict, str]:
    from embedkit.models.node2vec import Node2Vec

    if data is None:
        import networkx as nx

        g = nx.karate_club_graph()
        data = (g, {v: g.nodes[v]["club"] for v in g})
    estimator = Node2Vec(sampler=sampler, random_state=seed, **params)
    if isinstance(data, tuple) and len(data) == 2:
        graph, labels = data
        model = estimator.fit(graph)
        return model, _node_classification(model.embeddings_, _as_labels(labels), seed), \
            "macro_f1"
    # a bare graph: link prediction on held-out edges (the model sees the rest)
    from embedkit.eval.graphs import link_prediction

    fitted = _Fitted(estimator)
    res = link_prediction(data, fitted, operators=("hadamard",), random_state=seed)
    metrics = {"link_auc": float(res.loc["hadamard", "roc_auc"]),
               "link_auc_dot": float(res.loc["dot", "roc_auc"])}
    return fitted.model, metrics, "link_auc"


def _kmers_task(data: Any, sampler: Any, seed: int, params: dict) -> tuple[Any, dict, str]:
    from embedkit.eval.kmers import evaluate_sequence_classification
    from embedkit.models.kmer2vec import Kmer2Vec

    if data is None:
        from embedkit import datasets

        table = pd.read_csv(datasets.data_dir() / "splice.tsv", sep="\t")
        data = (table["sequence"].tolist(), table["class"].tolist())
    if not (isinstance(data, tuple) and len(data) == 2):
        raise TypeError("the kmers task's data must be a (sequences, labels) tuple")
    seqs, labels = list(data[0]), list(data[1])
    model = Kmer2Vec(sampler=sampler, random_state=seed, **params).fit(seqs)
    table = evaluate_sequence_classification(model, seqs, labels, baseline=False,
                                             n_splits=3, random_state=seed)
    row = table.iloc[0]
    metrics = {"macro_f1": float(row["macro_f1"]), "accuracy": float(row["accuracy"])}
    return model, metrics, "macro_f1"


#: Task name -> runner ``(data, sampler, seed, params) -> (model, metrics, primary metric)``.
TASKS: dict[str, Callable[..., tuple[Any, dict, str]]] = {
    "words": _words_task,
    "graph": _graph_task,
    "kmers": _kmers_task,
}


#: Samplers compared when none are given, per task.
DEFAULT_SAMPLERS = {
    "words": ("unigram", "uniform", "hard", "spelling"),
    "graph": ("unigram", "uniform", "hard"),
    "kmers": ("unigram", "uniform", "hard", "spelling"),
}


def _sampler_items(samplers: Any) -> list[tuple[str, Any]]:
    """``[(label, sampler spec)]`` from names, objects, or a ``{label: spec}`` mapping."""
    if isinstance(samplers, str):
        samplers = [s for s in samplers.split(",") if s.strip()]
    if isinstance(samplers, Mapping):
        items = [(str(k), v) for k, v in samplers.items()]
    else:
        items = []
        for s in samplers:
            label = s.strip() if isinstance(s, str) else repr(s)
            items.append((label, s.strip() if isinstance(s, str) else s))
    if not items:
        raise ValueError("give at least one sampler")
    labels = [k for k, _ in items]
    if len(set(labels)) != len(labels):
        raise ValueError(f"sampler labels must be unique, got {labels}; pass a dict to name them")
    for _, spec in items:
        get_sampler(spec)  # fail early on unknown names or bad objects
    return items


def _seed_list(seeds: Any) -> list[int]:
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1 when given as a count, got {seeds}")
        return list(range(int(seeds)))
    out = [int(s) for s in seeds]
    if not out:
        raise ValueError("give at least one seed")
    return out


def compare_samplers(
    data: Any = None,
    samplers: Iterable[Any] | Mapping[str, Any] | str | None = None,
    task: str = "words",
    seeds: int | Sequence[int] = 3,
    *,
    progress: bool = False,
    callback: Callable[[dict], None] | None = None,
    **train_params: Any,
) -> pd.DataFrame:
    """Train one model per sampler and seed; return quality, speed, memory and gradient stats.

    Parameters
    ----------
    data : object, optional
        ``"words"``: anything :meth:`Word2Vec.fit` accepts (default: the bundled corpus, read
        with ``tokenizer="split"``). ``"graph"``: a ``(graph, labels)`` tuple, ``labels``
        mapping node -> class, for node classification (default: Zachary's karate club), or
        a bare graph for link prediction on held-out edges. ``"kmers"``: a
        ``(sequences, labels)`` tuple (default: the bundled splice-junction sequences).
    samplers : iterable, mapping, str or None
        Registry names (``"unigram"``, ``"uniform"``, ``"hard"``, ``"spelling"``), sampler
        objects, a ``{label: name or object}`` mapping, or a comma-separated string. ``None``:
        :data:`DEFAULT_SAMPLERS` of the task (no ``"spelling"`` for graphs, whose node keys
        have no spelling).
    task : {"words", "graph", "kmers"}, default "words"
    seeds : int or sequence of int, default 3
        A count (seeds ``0 .. seeds - 1``) or explicit seeds.
    progress : bool, default False
        Show a progress bar over the runs (training itself stays silent).
    callback : callable, optional
        Called with each result row (a dict) as soon as its run finishes.
    **train_params
        Estimator parameters for every run (``epochs``, ``dim``, ``threads`` ...). For words,
        ``analogy_restrict_vocab`` (default 30000) bounds the analogy search.

    Returns
    -------
    pandas.DataFrame
        One row per run with :data:`RESULT_COLUMNS` and the task's metrics. ``quality`` is the
        primary metric, named in ``quality_metric`` (words: WordSim-353 Spearman, also
        ``simlex_spearman``, ``analogy_acc`` ...; graph: node-classification ``macro_f1`` and
        ``micro_f1``, or ``link_auc`` (Hadamard operator + logistic regression) and
        ``link_auc_dot`` (plain dot product); k-mers: sequence-classification ``macro_f1``
        and ``accuracy``).
        ``words_per_s`` counts raw training tokens (words, walk steps or k-mers) per second of
        training; ``wall_s`` includes vocabulary building and table refreshes;
        ``mean_neg_sigmoid`` is the mean σ(v·u_n) over all negatives of the last epoch (the
        magnitude of the negative gradients).

    Examples
    --------
    >>> sents = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat"]] * 200
    >>> df = compare_samplers(sents, ["unigram", "uniform"], seeds=1, dim=8, epochs=1,
    ...                       min_count=1, threads=1)
    >>> df[["sampler", "seed"]].values.tolist()
    [['unigram', 0], ['uniform', 0]]
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {sorted(TASKS)}")
    items = _sampler_items(DEFAULT_SAMPLERS[task] if samplers is None else samplers)
    seed_list = _seed_list(seeds)
    params = {"progress": False, **train_params}
    runner = TASKS[task]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(items) * len(seed_list), unit="run", desc=f"bench {task}")
    rows = []
    try:
        for label, spec in items:
            for seed in seed_list:
                if bar is not None:
                    bar.set_postfix(sampler=label, seed=seed, refresh=True)
                gc.collect()
                t0 = time.perf_counter()
                with PeakMemory() as mem:
                    # a fresh sampler object per run: samplers may cache per-vocabulary state
                    sampler = get_sampler(spec) if isinstance(spec, str) else spec
                    model, metrics, primary = runner(data, sampler, seed, params)
                wall = time.perf_counter() - t0
                stats = model.epoch_stats_
                train_s = float(sum(st.seconds for st in stats))
                raw = float(sum(st.raw_words for st in stats))
                row = {
                    "task": task, "sampler": label, "seed": seed,
                    "quality": float(metrics[primary]), "quality_metric": primary,
                    "words_per_s": raw / train_s if train_s > 0 else float("nan"),
                    "wall_s": wall, "train_s": train_s,
                    "peak_rss_mb": mem.peak_mb, "rss_delta_mb": mem.delta_mb,
                    "mean_neg_sigmoid": float(stats[-1].mean_neg_sigmoid),
                    "final_loss": float(stats[-1].loss), "n_vocab": len(model.vocab_),
                    **metrics,
                }
                rows.append(row)
                del model
                if callback is not None:
                    callback(row)
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return pd.DataFrame(rows)


def summarize(results: pd.DataFrame, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean and spread (standard deviation over seeds) of every metric, per task and sampler.

    Parameters
    ----------
    results : DataFrame
        The output of :func:`compare_samplers`.
    metrics : sequence of str, optional
        Columns to summarise (default: every numeric column except ``seed``).

    Returns
    -------
    pandas.DataFrame
        One row per (task, sampler), in first-seen order, with ``n_seeds`` and columns
        ``<metric>_mean`` and ``<metric>_std`` (``ddof=1``; NaN for a single seed).

    Examples
    --------
    >>> df = pd.DataFrame({"task": ["words"] * 2, "sampler": ["unigram"] * 2, "seed": [0, 1],
    ...                    "quality": [0.2, 0.4]})
    >>> summarize(df)[["sampler", "n_seeds", "quality_mean"]].values.tolist()
    [['unigram', 2, 0.30000000000000004]]
    """
    if metrics is None:
        metrics = [c for c in results.columns
                   if c not in ("seed", "n_vocab") and pd.api.types.is_numeric_dtype(results[c])]
    missing = [m for m in metrics if m not in results.columns]
    if missing:
        raise ValueError(f"no such result columns: {missing}")
    grouped = results.groupby(["task", "sampler"], sort=False)
    out = grouped.size().rename("n_seeds").to_frame()
    for m in metrics:
        out[f"{m}_mean"] = grouped[m].mean()
        out[f"{m}_std"] = grouped[m].std(ddof=1)
    return out.reset_index()
