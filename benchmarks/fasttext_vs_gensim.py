"""embedkit ``FastText`` vs gensim ``FastText`` (and embedkit ``Word2Vec``) in one run.

Usage::

    nice python benchmarks/fasttext_vs_gensim.py [--corpus PATH] [--epochs 5] [--buckets N]
        [--seeds 1 2 3] [--libs embedkit-ft gensim ...]

Settings (all models): skip-gram, dim 100, window 5, negative 5, min_count 5, subsample 1e-3,
lr 0.025 -> 1e-4, 2 threads; FastText: minn 3, maxn 6, the same ``--buckets`` (default
500,000, embedkit's default) for both libraries. Each model trains in its own subprocess
(peak RSS is its own: VmHWM, read right after training and again after the evaluation).
Each seed trains every model once (the models interleaved); the table gives mean and
standard deviation over the seeds.

Rare and unseen words (``embedkit.eval.unseen``); both held-out sets are **removed from the
training corpus** for every model:

* held-out pairs: a fixed sample of 1 in 4 of the WordSim-353 / SimLex-999 words (every word
  whose fastText hash is 0 mod 4) is dropped. Over the WS353 + SimLex pairs with such a word
  (or a word rarer than min_count): coverage and Spearman of the answered ones; and Spearman
  over *all* pairs with an unanswered pair at cosine 0 (Bojanowski et al.'s null vector).
* unseen inflections: 300 inflections/derivations (``governments``, ``played``) whose stem
  (``government``, ``play``) occurs >= 50 times and stays, chosen by
  :func:`~embedkit.eval.unseen.inflection_holdout` ordered by fastText's hash (no word of
  the eval files is held out or used as a stem). Hits@10: the stem is among the 10
  vocabulary words nearest to the unseen word's vector; median rank of the stem. Agreement:
  the Spearman correlation between the unseen word's cosines to the 2,000 most frequent
  words and the same word's cosines in a reference Word2Vec trained on the *full* text
  (where it was seen); "(stem's vector)" uses the model's stem vector instead.

WS353/SimLex/analogy are scored on the words each model saw, as ``Embeddings.evaluate_*`` do.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
sys.path.insert(0, str(HERE))
from text_vs_gensim import eval_paths  # noqa: E402  (one place for the eval files)

LIBS = ("embedkit-ft", "gensim", "embedkit-ft-shared", "embedkit-w2v")


def _pairs():
    from embedkit.eval.words import read_word_pairs

    _, ws, sl = eval_paths()
    return [(a.lower(), b.lower(), s) for a, b, s in read_word_pairs(ws) + read_word_pairs(sl)]


def held_out_words() -> set[str]:
    from embedkit.subwords import ft_hash

    return {w for a, b, _ in _pairs() for w in (a, b) if ft_hash(w) % 4 == 0}


def eval_words() -> set[str]:
    """Every word of the WS353, SimLex and analogy files (never an inflection held out)."""
    analogies, _, _ = eval_paths()
    words = {w for a, b, _ in _pairs() for w in (a, b)}
    opener = gzip.open if str(analogies).endswith(".gz") else open
    with opener(analogies, "rt") as fh:
        words |= {w.lower() for line in fh if not line.startswith(":") for w in line.split()}
    return words


def _vmhwm_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _quality(emb, inflections, reference) -> dict:
    """Scores of ``emb`` (an Embeddings, or a SubwordEmbeddings answering unseen words)."""
    import numpy as np

    from embedkit import Embeddings
    from embedkit.eval.unseen import evaluate_heldout_pairs, evaluate_unseen_inflections

    analogies, ws, sl = eval_paths()
    seen = Embeddings(np.asarray(emb.vectors), list(emb.index_to_key))
    out = dict(ws353=seen.evaluate_word_pairs(ws).spearman,
               simlex=seen.evaluate_word_pairs(sl).spearman,
               analogy=seen.evaluate_analogies(analogies).accuracy)
    hp = evaluate_heldout_pairs(emb, _pairs(), held_out_words())
    inf = evaluate_unseen_inflections(emb, [tuple(p) for p in inflections], reference=reference)
    out.update(rare_pairs=hp.n_heldout, rare_coverage=hp.coverage,
               rare_spearman=hp.spearman_heldout, all_pairs_spearman=hp.spearman_all,
               infl_words=inf.n_words, infl_coverage=inf.coverage, infl_hits10=inf.hits_at_10,
               infl_hits1=inf.hits_at_1, infl_median_rank=inf.median_rank,
               infl_cosine=inf.mean_cosine, infl_cosine_other=inf.mean_cosine_other,
               infl_agreement=inf.agreement, infl_agreement_stem=inf.agreement_stem,
               infl_n_agreement=inf.n_agreement)
    return out


def _cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _reference(corpus: str):
    """The reference model (trained with the held-out words) next to ``corpus``, or None."""
    from embedkit import Embeddings

    path = Path(corpus).parent / "reference.npz"
    return Embeddings.load(path) if path.exists() else None


def run(lib: str, corpus: str, epochs: int, buckets: int, threads: int, seed: int,
        inflections: list | None) -> dict:
    """Train one model; ``inflections`` None skips the quality evaluation."""
    common = dict(dim=100, window=5, negative=5, min_count=5, subsample=1e-3, lr=0.025,
                  min_lr=1e-4, epochs=epochs, threads=threads)
    if lib == "reference":  # Word2Vec on the full text (``corpus``): held-out words seen
        import embedkit

        ref = embedkit.Word2Vec(random_state=seed, progress=False, tokenizer="split",
                                compute_loss=False, **common).fit(corpus)
        ref.embeddings_.save(Path(corpus).parent / "reference.npz")
        return dict(lib=lib, train=ref.training_seconds_)
    if lib == "gensim":
        import numpy as np
        from gensim.models import FastText as G
        from gensim.models.word2vec import LineSentence

        from embedkit.subwords import SubwordEmbeddings

        model = G(vector_size=100, window=5, negative=5, min_count=5, sample=1e-3,
                  alpha=0.025, min_alpha=1e-4, sg=1, min_n=3, max_n=6, bucket=buckets,
                  workers=threads, seed=seed)
        t0 = time.perf_counter()
        model.build_vocab(LineSentence(corpus))
        t1, c1 = time.perf_counter(), _cpu()
        model.train(LineSentence(corpus), total_examples=model.corpus_count, epochs=epochs)
        train, cpu = time.perf_counter() - t1, _cpu() - c1
        rss_fit = _vmhwm_mb()
        wv = model.wv
        # gensim's model as a SubwordEmbeddings: same hash, unseen word = mean of its n-grams
        emb = SubwordEmbeddings(wv.vectors, list(wv.index_to_key), ngram_vectors=wv.vectors_ngrams,
                                minn=3, maxn=6)
        for w in ("goverment", "unseenwordxyz", "naïveté"):
            np.testing.assert_allclose(emb[w], wv[w], rtol=1e-4, atol=1e-6)
        q = _quality(emb, inflections, _reference(corpus)) if inflections is not None else {}
        return dict(lib=lib, seed=seed, train=train, cpu=cpu, vocab=t1 - t0,
                    raw_words=model.corpus_total_words * epochs, trained_words=None,
                    rss_fit=rss_fit, rss=_vmhwm_mb(), **q)
    import embedkit

    ft = lib.startswith("embedkit-ft")
    cls = embedkit.FastText if ft else embedkit.Word2Vec
    extra = dict(minn=3, maxn=6, buckets=buckets) if ft else {}
    if lib == "embedkit-ft-shared":  # one set of negatives per two contexts (faster option)
        extra["shared_negatives"] = True
    # load the kernels from Numba's cache before timing
    warm = {**extra, "buckets": 10} if extra else {}
    cls(dim=8, min_count=1, epochs=1, progress=False, **warm).fit(["a b c a b"])
    c0 = _cpu()  # includes the vocabulary pass (one thread, ~1-2 s): conservative
    model = cls(random_state=seed, progress=False, tokenizer="split", compute_loss=False,
                **common, **extra).fit(corpus)
    cpu = _cpu() - c0
    rss_fit = _vmhwm_mb()
    q = {} if inflections is None else _quality(model.embeddings_, inflections,
                                                _reference(corpus))
    return dict(lib=lib, seed=seed, train=model.training_seconds_, cpu=cpu,
                vocab=model.vocab_seconds_,
                trained_words=sum(s.trained_words for s in model.epoch_stats_),
                raw_words=sum(s.raw_words for s in model.epoch_stats_), rss_fit=rss_fit,
                rss=_vmhwm_mb(), **q)


def gensim_effective(log_text: str) -> int | None:
    """gensim's "effective words" from its training log line."""
    import re

    m = re.findall(r"\((\d+) effective words\)", log_text)
    return int(m[-1]) if m else None


def _stats(rs: list[dict]) -> tuple[dict, dict]:
    """Per numeric key, the mean and standard deviation over the seeds."""
    mean, sd = dict(rs[0]), {}
    for k, v in rs[0].items():
        vals = [r.get(k) for r in rs]
        if isinstance(v, (int, float)) and not isinstance(v, bool) and None not in vals:
            mean[k] = statistics.fmean(vals)
            finite = len(vals) > 1 and all(math.isfinite(v) for v in vals)
            sd[k] = statistics.stdev(vals) if finite else 0.0  # inf: an unanswered rank
    return mean, sd


def write_corpus(src: str, dst: str, held: set[str], max_lines: int | None) -> collections.Counter:
    """``src`` minus ``held`` (first ``max_lines`` lines) to ``dst``; the counts of ``src``."""
    from embedkit.eval.unseen import drop_words

    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rt") as fin:
        lines = [line for i, line in enumerate(fin) if max_lines is None or i < max_lines]
    counts: collections.Counter = collections.Counter()
    for line in lines:
        counts.update(line.split())
    if dst:
        with open(dst, "w") as fout:
            fout.writelines(line + "\n" for line in drop_words(lines, held))
    return counts


def _fmt(mean: dict, sd: dict, key: str, spec: str = ".3f") -> str:
    v = mean.get(key)
    if v is None or v != v:
        return "n/a"
    return f"{v:{spec}} ± {sd[key]:{spec}}" if sd.get(key) else f"{v:{spec}}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(SHARED / "text" / "corpus.txt.gz"))
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--buckets", type=int, default=500_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--inflections", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--speed-only", action="store_true", help="skip the quality evaluation")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1],
                    help="train every model once per seed, interleaved (mean ± sd printed)")
    ap.add_argument("--libs", nargs="+", default=list(LIBS), choices=LIBS)
    ap.add_argument("--max-lines", type=int, default=None,
                    help="use only the first N lines of the corpus (a documented subset)")
    args = ap.parse_args()
    if args.worker:
        import logging

        if args.worker == "gensim":
            logging.basicConfig(level=logging.INFO, stream=sys.stderr)
        infl = None if args.speed_only else json.loads(Path(args.inflections).read_text())
        print(json.dumps(run(args.worker, args.corpus, args.epochs, args.buckets,
                             args.threads, args.seeds[0], infl)))
        return
    from embedkit.eval.unseen import inflection_holdout

    tmp = tempfile.mkdtemp()
    corpus = str(Path(tmp) / "corpus.txt")
    held = held_out_words()
    src = args.corpus if Path(args.corpus).exists() else None
    if src is None:
        from embedkit import datasets

        src = str(datasets.text_corpus_path())
    counts = write_corpus(src, "", set(), args.max_lines)
    from embedkit.subwords import ft_hash

    inflections = inflection_holdout(counts, n=300, min_count=10, min_stem_count=50,
                                     exclude=eval_words(), key=ft_hash)  # fastText's hash
    infl_path = Path(tmp) / "inflections.json"
    infl_path.write_text(json.dumps(inflections))
    write_corpus(src, corpus, held | {w for w, _ in inflections}, args.max_lines)
    print(f"{len(inflections)} unseen inflections, e.g. {inflections[:8]}", flush=True)
    if not args.speed_only:  # the reference for the inflections: Word2Vec on the full text
        full = str(Path(tmp) / "full" / "corpus.txt")
        Path(full).parent.mkdir()
        write_corpus(src, full, set(), args.max_lines)
        subprocess.run([sys.executable, __file__, "--worker", "reference", "--corpus", full,
                        "--epochs", str(args.epochs), "--threads", str(args.threads),
                        "--seeds", "0", "--speed-only"], check=True, capture_output=True)
        (Path(full).parent / "reference.npz").replace(Path(tmp) / "reference.npz")
        Path(full).unlink()
    runs: dict[str, list[dict]] = {}
    for seed in args.seeds:
        for lib in args.libs:
            cmd = [sys.executable, __file__, "--worker", lib, "--corpus", corpus, "--epochs",
                   str(args.epochs), "--buckets", str(args.buckets), "--threads",
                   str(args.threads), "--seeds", str(seed), "--inflections", str(infl_path)]
            p = subprocess.run(cmd + (["--speed-only"] if args.speed_only else []),
                               capture_output=True, text=True)
            if p.returncode:
                sys.exit(p.stderr[-3000:])
            r = json.loads(p.stdout.strip().splitlines()[-1])
            if lib == "gensim":
                r["trained_words"] = gensim_effective(p.stderr)
            r["words_per_s"] = (r["trained_words"] or 0) / r["train"]
            r["words_per_cpu_s"] = (r["trained_words"] or 0) / r["cpu"]
            runs.setdefault(lib, []).append(r)
            print(json.dumps(r), flush=True)
    stats = {lib: _stats(rs) for lib, rs in runs.items()}
    if "gensim" in runs and len(args.seeds) > 1:
        for lib in runs:
            if lib != "gensim":
                print(f"per seed, {lib} / gensim words/s: " + ", ".join(
                    f"{a['words_per_s'] / b['words_per_s']:.2f}x"
                    for a, b in zip(runs[lib], runs["gensim"], strict=True)))
    print(f"\ncorpus {src} minus {len(held)} held-out pair words and {len(inflections)} "
          f"inflections; {args.epochs} epochs, {args.buckets} buckets, {args.threads} threads, "
          f"seeds {args.seeds}\n")
    gs = stats["gensim"][0]["words_per_s"] if "gensim" in stats else float("nan")
    print("| model | effective words/s | vs gensim | words per CPU-s | train s | "
          "peak RSS MB (fit / +eval) |")
    print("|---|---:|---:|---:|---:|---:|")
    for lib, (m, _sd) in stats.items():
        print(f"| {lib} | {m['words_per_s']:,.0f} | {m['words_per_s'] / gs:.2f}x | "
              f"{m['words_per_cpu_s']:,.0f} | {m['train']:.1f} | "
              f"{m['rss_fit']:.0f} / {m['rss']:.0f} |")
    if args.speed_only:
        return
    print("\n| model | WS353 | SimLex | analogy | held-out pairs: coverage | Spearman | "
          "all pairs, OOV at 0 | unseen inflections: coverage | stem hits@10 | median rank | "
          "agreement with reference | (stem's vector) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for lib, (m, sd) in stats.items():
        print(f"| {lib} | {_fmt(m, sd, 'ws353')} | {_fmt(m, sd, 'simlex')} | "
              f"{_fmt(m, sd, 'analogy')} | {m['rare_coverage']:.2f} of {m['rare_pairs']:.0f} | "
              f"{_fmt(m, sd, 'rare_spearman')} | {_fmt(m, sd, 'all_pairs_spearman')} | "
              f"{m['infl_coverage']:.2f} of {m['infl_words']:.0f} | {_fmt(m, sd, 'infl_hits10')} | "
              f"{_fmt(m, sd, 'infl_median_rank', '.0f')} | {_fmt(m, sd, 'infl_agreement')} | "
              f"{_fmt(m, sd, 'infl_agreement_stem')} |")
    if "gensim" in runs and len(args.seeds) > 1:
        print_paired(runs)


def print_paired(runs: dict[str, list[dict]]) -> None:
    """Per model, its per-seed difference from gensim (same seed): mean ± sd, seeds lower."""
    print("\n| minus gensim, same seed | WS353 | SimLex | analogy |\n|---|---:|---:|---:|")
    for lib, rs in runs.items():
        if lib == "gensim" or "ws353" not in rs[0]:
            continue
        cells = []
        for key in ("ws353", "simlex", "analogy"):
            d = [a[key] - b[key] for a, b in zip(rs, runs["gensim"], strict=True)]
            lower = sum(x < 0 for x in d)
            cells.append(f"{statistics.fmean(d):+.4f} ± {statistics.stdev(d):.4f} "
                         f"({lower}/{len(d)} lower)")
        print(f"| {lib} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
