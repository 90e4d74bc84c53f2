"""Continued training: fit on part of a corpus, continue on the rest; embedkit vs gensim.

Usage::

    python benchmarks/continued_training.py [--corpus PATH] [--split 0.5] [--threads 2]

Corpus: the bundled corpus (``embedkit.datasets.text_corpus_path()``, 1.8M tokens) unless
``--corpus`` is given (e.g. ``../shared/data/text/corpus.txt.gz``). Part A is the first
``--split`` of the lines, part B the rest. Settings (both libraries): skip-gram, dim 100,
window 5, negative 5, subsample 1e-3, min_count 5, 5 epochs per round, lr 0.025 -> 1e-4.

For each library, in one run and on the same machine:

* ``fit(A)``; then continue on B (embedkit ``partial_fit(B)``; gensim
  ``build_vocab(B, update=True)`` + ``train(B)``); and ``fit(A + B)`` from scratch;
* embedkit only: the same continuation with ``lr=0.005`` (from a saved copy of ``fit(A)``);
* seconds of each step (vocabulary + training), WordSim-353 Spearman after each, the new
  vocabulary size, and the neighbour drift of old words: the mean overlap of the top-10
  neighbours of the words ranked 100-1099 in A before and after continuing (1.0 = unchanged).

Quality is evaluated by the same code (embedkit's ``evaluate_word_pairs``) for both.
"""

from __future__ import annotations

import argparse
import gzip
import os
import tempfile
import time

import numpy as np

SETTINGS = dict(dim=100, window=5, negative=5, subsample=1e-3, min_count=5, epochs=5)


def _read(path: str) -> list[list[str]]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [line.split() for line in fh if line.strip()]


def _drift(before, after, words) -> float:
    overlap = []
    for w in words:
        a = {k for k, _ in before.most_similar(w, topn=10)}
        b = {k for k, _ in after.most_similar(w, topn=10)}
        overlap.append(len(a & b) / 10)
    return float(np.mean(overlap))


def run_embedkit(a, b, threads, ws):
    from embedkit import Word2Vec

    def make():
        s = SETTINGS
        return Word2Vec(dim=s["dim"], window=s["window"], negative=s["negative"],
                        subsample=s["subsample"], min_count=s["min_count"], epochs=s["epochs"],
                        threads=threads, random_state=1, progress=False, tokenizer="split",
                        compute_loss=False)

    Word2Vec(dim=8, min_count=1, epochs=1, progress=False, tokenizer="split").fit(a[:50])
    t = time.perf_counter()
    m = make().fit(a)
    t_a = time.perf_counter() - t
    before = m.wv.copy() if hasattr(m.wv, "copy") else _copy(m.wv)
    n_a = len(m.vocab_)
    path = os.path.join(tempfile.mkdtemp(), "a.npz")
    m.save(path)
    t = time.perf_counter()
    m.partial_fit(b)
    t_b = time.perf_counter() - t
    gentle = Word2Vec.load(path).set_params(threads=threads).partial_fit(b, lr=0.005)
    t = time.perf_counter()
    full = make().fit(a + b)
    t_full = time.perf_counter() - t
    words = before.index_to_key[100:1100]
    return dict(fit_a=t_a, cont=t_b, full=t_full, ws_a=ws(before), ws_cont=ws(m.wv),
                ws_full=ws(full.wv), new_words=len(m.vocab_) - n_a,
                drift=_drift(before, m.wv, words), ws_gentle=ws(gentle.wv),
                drift_gentle=_drift(before, gentle.wv, words))


def _copy(emb):
    from embedkit import Embeddings

    return Embeddings(np.array(emb.vectors), list(emb.index_to_key))


def run_gensim(a, b, threads, ws):
    from gensim.models import Word2Vec as G

    from embedkit import Embeddings

    s = SETTINGS

    def make():
        return G(vector_size=s["dim"], window=s["window"], negative=s["negative"],
                 sample=s["subsample"], min_count=s["min_count"], epochs=s["epochs"], sg=1,
                 workers=threads, seed=1)

    def emb(m):
        return Embeddings(np.array(m.wv.vectors), list(m.wv.index_to_key))

    t = time.perf_counter()
    m = make()
    m.build_vocab(a)
    m.train(a, total_examples=m.corpus_count, epochs=m.epochs)
    t_a = time.perf_counter() - t
    before = emb(m)
    n_a = len(m.wv)
    t = time.perf_counter()
    m.build_vocab(b, update=True)
    m.train(b, total_examples=len(b), epochs=m.epochs)
    t_b = time.perf_counter() - t
    t = time.perf_counter()
    full = make()
    full.build_vocab(a + b)
    full.train(a + b, total_examples=full.corpus_count, epochs=full.epochs)
    t_full = time.perf_counter() - t
    after = emb(m)
    words = before.index_to_key[100:1100]
    return dict(fit_a=t_a, cont=t_b, full=t_full, ws_a=ws(before), ws_cont=ws(after),
                ws_full=ws(emb(full)), new_words=len(m.wv) - n_a,
                drift=_drift(before, after, words))


def main() -> None:
    from embedkit import datasets

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(datasets.text_corpus_path()))
    ap.add_argument("--split", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    lines = _read(args.corpus)
    cut = int(len(lines) * args.split)
    a, b = lines[:cut], lines[cut:]
    print(f"corpus {args.corpus}: A {sum(map(len, a)):,} tokens, B {sum(map(len, b)):,}")
    pairs = str(datasets.wordsim353_path())

    def ws(emb):
        return emb.evaluate_word_pairs(pairs).spearman

    res = {"embedkit": run_embedkit(a, b, args.threads, ws),
           "gensim": run_gensim(a, b, args.threads, ws)}
    rows = [("fit(A) s", "fit_a", "{:.2f}"), ("continue on B s", "cont", "{:.2f}"),
            ("fit(A+B) s", "full", "{:.2f}"), ("WS353 after fit(A)", "ws_a", "{:.3f}"),
            ("WS353 after continuing", "ws_cont", "{:.3f}"),
            ("WS353 fit(A+B)", "ws_full", "{:.3f}"), ("new words", "new_words", "{}"),
            ("old words' top-10 kept", "drift", "{:.3f}")]
    print(f"{'':26s}{'embedkit':>10s}{'gensim':>10s}{'ratio':>8s}")
    for label, key, fmt in rows:
        e, g = res["embedkit"][key], res["gensim"][key]
        ratio = f"{e / g:.2f}x" if key in ("fit_a", "cont", "full") else ""
        print(f"{label:26s}{fmt.format(e):>10s}{fmt.format(g):>10s}{ratio:>8s}")
    e = res["embedkit"]
    print(f"embedkit partial_fit(B, lr=0.005): WS353 {e['ws_gentle']:.3f}, old words' top-10 "
          f"kept {e['drift_gentle']:.3f}")


if __name__ == "__main__":
    main()
