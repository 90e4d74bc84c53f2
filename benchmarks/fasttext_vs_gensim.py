"""embedkit ``FastText`` vs gensim ``FastText`` (and embedkit ``Word2Vec``) in one run.

Usage::

    nice python benchmarks/fasttext_vs_gensim.py [--corpus PATH] [--epochs 5] [--buckets N]

Settings (all models): skip-gram, dim 100, window 5, negative 5, min_count 5, subsample 1e-3,
lr 0.025 -> 1e-4, 2 threads; FastText: minn 3, maxn 6, the same ``--buckets`` (default
500,000, embedkit's default) for both libraries. Each model trains in its own subprocess
(peak RSS is its own: VmHWM).

Rare and unseen words: a fixed sample of 1 in 4 of the WordSim-353 / SimLex-999 words
(every word whose fastText hash is 0 mod 4; a deterministic choice) is **removed from the
training corpus** for every model. "Unseen pairs" are the WS353 + SimLex pairs with such a
word (plus pairs with a word rarer than min_count): Word2Vec cannot answer them (coverage
column); the FastText models answer from n-grams. WS353/SimLex/analogy are scored on the
remaining (seen) vocabulary exactly as ``Embeddings.evaluate_*`` do for both libraries.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
sys.path.insert(0, str(HERE))
from text_vs_gensim import eval_paths  # noqa: E402  (one place for the eval files)


def _pairs():
    from embedkit.eval.words import read_word_pairs

    _, ws, sl = eval_paths()
    return [(a.lower(), b.lower(), s) for a, b, s in read_word_pairs(ws) + read_word_pairs(sl)]


def held_out_words() -> set[str]:
    from embedkit.subwords import ft_hash

    return {w for a, b, _ in _pairs() for w in (a, b) if ft_hash(w) % 4 == 0}


def _vmhwm_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _quality(get, known, dim) -> dict:
    """Scores with ``get(word) -> vector or None`` (None: cannot answer)."""
    import numpy as np
    from scipy.stats import spearmanr

    from embedkit import Embeddings

    analogies, ws, sl = eval_paths()
    out = {}
    words = sorted(known)
    seen = Embeddings(np.vstack([get(w) for w in words]), words)
    out["ws353"] = seen.evaluate_word_pairs(ws).spearman
    out["simlex"] = seen.evaluate_word_pairs(sl).spearman
    out["analogy"] = seen.evaluate_analogies(analogies).accuracy
    held = held_out_words()
    rare = [(a, b, s) for a, b, s in _pairs() if a in held or b in held
            or a not in known or b not in known]
    sims, gold = [], []
    for a, b, s in rare:
        va, vb = get(a), get(b)
        if va is None or vb is None:
            continue
        den = float(np.linalg.norm(va) * np.linalg.norm(vb)) or 1.0
        sims.append(float(va @ vb) / den)
        gold.append(s)
    out["rare_pairs"] = len(rare)
    out["rare_coverage"] = len(sims) / max(len(rare), 1)
    out["rare_spearman"] = float(spearmanr(sims, gold).statistic) if len(sims) > 2 else None
    return out


def _cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


_NO_QUALITY = dict(ws353=float("nan"), simlex=float("nan"), analogy=float("nan"), rare_pairs=0,
                   rare_coverage=float("nan"), rare_spearman=None)


def run(lib: str, corpus: str, epochs: int, buckets: int, threads: int,
        quality: bool = True) -> dict:
    common = dict(dim=100, window=5, negative=5, min_count=5, subsample=1e-3, lr=0.025,
                  min_lr=1e-4, epochs=epochs, threads=threads)
    if lib == "gensim":
        from gensim.models import FastText as G
        from gensim.models.word2vec import LineSentence

        model = G(vector_size=100, window=5, negative=5, min_count=5, sample=1e-3,
                  alpha=0.025, min_alpha=1e-4, sg=1, min_n=3, max_n=6, bucket=buckets,
                  workers=threads, seed=1)
        t0 = time.perf_counter()
        model.build_vocab(LineSentence(corpus))
        t1, c1 = time.perf_counter(), _cpu()
        model.train(LineSentence(corpus), total_examples=model.corpus_count, epochs=epochs)
        train, cpu = time.perf_counter() - t1, _cpu() - c1
        effective = model.corpus_total_words  # raw; gensim's effective count is logged only
        eff = getattr(model, "_ek_effective", None)
        wv = model.wv
        known = set(wv.key_to_index)
        q = _quality(lambda w: wv[w] if (w in known or wv.get_vector(w).any()) else None,
                     known, 100) if quality else _NO_QUALITY
        trained = eff if eff is not None else None
        return dict(lib=lib, train=train, cpu=cpu, vocab=t1 - t0, raw_words=effective * epochs,
                    trained_words=trained, rss=_vmhwm_mb(), **q)
    import embedkit

    ft = lib.startswith("embedkit-ft")
    cls = embedkit.FastText if ft else embedkit.Word2Vec
    extra = dict(minn=3, maxn=6, buckets=buckets) if ft else {}
    if lib == "embedkit-ft-pairs":  # per-pair negatives, exactly as fastText / gensim
        extra["shared_negatives"] = False
    # load the kernels from Numba's cache before timing
    warm = {**extra, "buckets": 10} if extra else {}
    cls(dim=8, min_count=1, epochs=1, progress=False, **warm).fit(["a b c a b"])
    c0 = _cpu()  # includes the vocabulary pass (one thread, ~1-2 s): conservative
    model = cls(random_state=1, progress=False, tokenizer="split", compute_loss=False,
                **common, **extra).fit(corpus)
    cpu = _cpu() - c0
    emb = model.embeddings_
    known = set(emb.key_to_index)

    def get(w):
        if w in known:
            return emb[w]
        if extra:
            try:
                return emb[w]
            except KeyError:
                return None
        return None

    q = _quality(get, known, 100) if quality else _NO_QUALITY
    return dict(lib=lib, train=model.training_seconds_, cpu=cpu, vocab=model.vocab_seconds_,
                trained_words=sum(s.trained_words for s in model.epoch_stats_),
                raw_words=sum(s.raw_words for s in model.epoch_stats_), rss=_vmhwm_mb(), **q)


def gensim_effective(log_text: str) -> int | None:
    """gensim's "effective words" from its training log line."""
    import re

    m = re.findall(r"\((\d+) effective words\)", log_text)
    return int(m[-1]) if m else None


def _median_row(rs: list[dict]) -> dict:
    """Per key, the median over the repeats (quality is deterministic up to threads)."""
    import statistics

    out = dict(rs[0])
    for k, v in rs[0].items():
        vals = [r[k] for r in rs]
        if isinstance(v, (int, float)) and not isinstance(v, bool) and None not in vals:
            out[k] = statistics.median(vals)
    return out


def filtered_corpus(src: str, held: set[str], dst: str) -> None:
    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rt") as fin, open(dst, "w") as fout:
        for line in fin:
            fout.write(" ".join(t for t in line.split() if t not in held) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(SHARED / "text" / "corpus.txt.gz"))
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--buckets", type=int, default=500_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--speed-only", action="store_true", help="skip the quality evaluation")
    ap.add_argument("--repeats", type=int, default=1,
                    help="run the models this many times, interleaved (medians are printed)")
    ap.add_argument("--max-lines", type=int, default=None,
                    help="use only the first N lines of the corpus (a documented subset)")
    args = ap.parse_args()
    if args.worker:
        import logging

        if args.worker == "gensim":
            logging.basicConfig(level=logging.INFO, stream=sys.stderr)
        print(json.dumps(run(args.worker, args.corpus, args.epochs, args.buckets,
                             args.threads, quality=not args.speed_only)))
        return
    tmp = tempfile.mkdtemp()
    corpus = str(Path(tmp) / "corpus.txt")
    held = held_out_words()
    src = args.corpus if Path(args.corpus).exists() else None
    if src is None:
        from embedkit import datasets

        src = str(datasets.text_corpus_path())
    filtered_corpus(src, held, corpus)
    if args.max_lines:
        lines = open(corpus).readlines()[:args.max_lines]
        open(corpus, "w").writelines(lines)
    runs: dict[str, list[dict]] = {}
    for rep in range(args.repeats):
        for lib in ("embedkit-ft", "gensim", "embedkit-ft-pairs", "embedkit-w2v"):
            cmd = [sys.executable, __file__, "--worker", lib, "--corpus", corpus, "--epochs",
                   str(args.epochs), "--buckets", str(args.buckets), "--threads",
                   str(args.threads)] + (["--speed-only"] if args.speed_only else [])
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode:
                sys.exit(p.stderr[-3000:])
            r = json.loads(p.stdout.strip().splitlines()[-1])
            if lib == "gensim":
                r["trained_words"] = gensim_effective(p.stderr)
            r["words_per_s"] = (r["trained_words"] or 0) / r["train"]
            r["words_per_cpu_s"] = (r["trained_words"] or 0) / r["cpu"]
            r["repeat"] = rep
            runs.setdefault(lib, []).append(r)
            print(json.dumps(r), flush=True)
    rows = [_median_row(rs) for rs in runs.values()]
    gs = rows[1]["words_per_s"]
    if args.repeats > 1:
        print("\nper repeat, embedkit-ft / gensim words/s: " + ", ".join(
            f"{a['words_per_s'] / b['words_per_s']:.2f}x"
            for a, b in zip(runs["embedkit-ft"], runs["gensim"], strict=True)))
        print("per repeat, embedkit-ft-pairs / gensim words/s: " + ", ".join(
            f"{a['words_per_s'] / b['words_per_s']:.2f}x"
            for a, b in zip(runs["embedkit-ft-pairs"], runs["gensim"], strict=True)))
        print(f"medians of {args.repeats} interleaved runs; words per CPU-second: " + ", ".join(
            f"{r['lib']} {r['words_per_cpu_s']:,.0f}" for r in rows))
    print(f"\ncorpus {src} minus {len(held)} held-out words; {args.epochs} epochs, "
          f"{args.buckets} buckets, {args.threads} threads\n")
    print("| model | effective words/s | ratio vs gensim FT | train s | WS353 | SimLex | "
          "analogy | unseen/rare pairs: coverage | Spearman | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        rs = "n/a" if r["rare_spearman"] is None else f"{r['rare_spearman']:.3f}"
        print(f"| {r['lib']} | {r['words_per_s']:,.0f} | {r['words_per_s'] / gs:.2f}x | "
              f"{r['train']:.1f} | {r['ws353']:.3f} | {r['simlex']:.3f} | {r['analogy']:.3f} | "
              f"{r['rare_coverage']:.2f} of {r['rare_pairs']} | {rs} | {r['rss']:.0f} |")


if __name__ == "__main__":
    main()
