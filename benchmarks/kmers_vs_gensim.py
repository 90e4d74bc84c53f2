"""embedkit Kmer2Vec vs the usual dna2vec-style pipeline (k-mer strings + gensim), in one run.

Usage::

    pip install -e ".[bench]"
    python benchmarks/kmers_vs_gensim.py [--fasta PATH] [--repeats 5]

Genome: ``../shared/data/dna/ecoli-k12.fasta.gz`` (E. coli K-12, 4.6 Mb) when present, else the
bundled lambda phage genome. Settings (both sides): k = 6, skip-gram, dim 100, window 5,
negative 5, subsample 1e-3, min_count 1, 1 epoch, 2 threads, lr 0.025 -> 1e-4, no loss
tracking (gensim's default ``compute_loss=False``; embedkit tracks it by default, about 5 %
of its training time here).

* embedkit: ``Kmer2Vec(k=6, ...).fit(path)``: bytes -> 2-bit k-mer codes -> engine, three rows:
  the defaults (k negatives per pair, as gensim; ``parallel="auto"``, which trains this
  4,096-row vocabulary in blocks: threads own disjoint rows, bit-reproducible),
  ``parallel="hogwild"`` (lock-free threads sharing every row, as gensim), and
  ``shared_negatives=True`` (one set of k negatives per centre window: faster, lower alignment
  agreement).
* Python pipeline: read the FASTA with plain Python, upper-case, split on non-ACGT symbols,
  slide k-mer strings ``seq[i:i+6]`` over each piece (dna2vec's fragmenter with k_low = k_high),
  cut into sentences of 10,000 k-mers (gensim's limit) held in a list, then
  ``gensim.models.Word2Vec(sentences, sg=1, ...)``.

embedkit's kernels are loaded (from Numba's disk cache) by a tiny warm-up fit before timing.
Each side runs in its own fresh subprocess (so peak RSS is its own), interleaved ``--repeats``
times; the table gives medians and ratios.

* tokenization: bases per second from file to k-mer tokens (embedkit: one epoch of id batches
  streamed from the gzip file; Python: read + split + k-mer strings);
* end to end: wall time of everything from the file name to trained vectors;
* k-mer similarity: Spearman correlation of cosine similarity with the Needleman-Wunsch score
  over 5,000 random k-mer pairs (as dna2vec reports; the mean over 5 such samples, as one
  sample varies by about 0.015), and the reverse-complement AUC (how often a k-mer is closer
  to its reverse complement than to a random k-mer; 0.5 = no relation);
* quality: the splice-junction set (3,186 primate sequences, 3 classes), each sequence the mean
  of its k-mer vectors (and, keeping coarse position, the means of 6 equal regions
  concatenated), StandardScaler + logistic regression, accuracy and macro-F1 over 5 stratified
  75/25 splits, scored by the same code for both.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
K, DIM, WINDOW, NEGATIVE, THREADS = 6, 100, 5, 5, 2


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _splice_scores(model) -> dict:
    import numpy as np

    from embedkit import datasets
    from embedkit.eval.kmers import evaluate_sequence_classification

    df = datasets.load_splice()
    table = evaluate_sequence_classification(model, df["sequence"], df["class"], n_splits=5,
                                             baseline=False)
    regions = evaluate_sequence_classification(model, df["sequence"], df["class"], n_splits=5,
                                               baseline=False, segments=6)
    from embedkit.eval.kmers import kmer_similarity_agreement, reverse_complement_consistency

    return dict(splice_acc=float(table.loc[0, "accuracy"]),
                splice_f1=float(table.loc[0, "macro_f1"]),
                splice6_acc=float(regions.loc[0, "accuracy"]),
                splice6_f1=float(regions.loc[0, "macro_f1"]),
                align_rho=float(np.mean([kmer_similarity_agreement(
                    model, n_pairs=5000, random_state=r).spearman for r in range(5)])),
                rc_auc=reverse_complement_consistency(model).auc)


#: embedkit rows: estimator settings beyond the shared ones
VARIANTS = {
    "embedkit": dict(),
    "embedkit-hogwild": dict(parallel="hogwild"),
    "embedkit-shared": dict(parallel="hogwild", shared_negatives=True),
}


def run_embedkit(fasta: str, variant: str) -> dict:
    from embedkit.contexts.kmers import KmerCorpus
    from embedkit.models.kmer2vec import Kmer2Vec

    # Load the kernels from Numba's on-disk cache (or compile them once) before timing, as
    # gensim's compiled extension is loaded at import, before its timing starts.
    Kmer2Vec(k=K, dim=8, epochs=1, threads=THREADS, progress=False,
             **VARIANTS[variant]).fit(["ACGTACGTTGCAACGTAGGCTA" * 4])
    t0 = time.perf_counter()
    model = Kmer2Vec(k=K, dim=DIM, window=WINDOW, negative=NEGATIVE, epochs=1, min_count=1,
                     subsample=1e-3, threads=THREADS, random_state=1, progress=False,
                     compute_loss=False,  # gensim's default: neither side tracks the loss
                     **VARIANTS[variant])
    model.fit(fasta)
    wall = time.perf_counter() - t0
    rss = _peak_rss_mb()
    # tokenization alone: one epoch of k-mer id batches from the file (vocabulary already built)
    corpus = KmerCorpus(fasta, k=K)
    corpus.build_vocab(min_count=1, subsample=1e-3)
    t1 = time.perf_counter()
    n_ids = sum(b.ids.size for b in corpus.batches(model.vocab_, epoch=0, seed=0))
    tok = time.perf_counter() - t1
    out = dict(wall=wall, train=model.training_seconds_, tokenize_mbps=corpus.n_bases / tok / 1e6,
               bases=corpus.n_bases, kmers=n_ids, vocab=len(model.vocab_), rss_mb=rss)
    out.update(_splice_scores(model))
    return out


def _read_fasta_python(path: str) -> list[str]:
    import gzip

    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    seqs, cur = [], []
    with opener(path, "rt") as fh:
        for line in fh:
            if line.startswith(">"):
                if cur:
                    seqs.append("".join(cur))
                cur = []
            else:
                cur.append(line.strip())
    if cur:
        seqs.append("".join(cur))
    return seqs


def _kmer_sentences(seqs: list[str], k: int, max_len: int = 10_000) -> list[list[str]]:
    sentences = []
    for seq in seqs:
        for piece in re.split("[^ACGT]+", seq.upper()):
            kmers = [piece[i:i + k] for i in range(len(piece) - k + 1)]
            sentences.extend(kmers[j:j + max_len] for j in range(0, len(kmers), max_len))
    return sentences


def run_gensim(fasta: str) -> dict:
    import numpy as np
    from gensim.models import Word2Vec as GensimWord2Vec

    from embedkit.embeddings import Embeddings
    from embedkit.models.kmer2vec import Kmer2Vec
    from embedkit.vocab import Vocab

    t0 = time.perf_counter()
    sentences = _kmer_sentences(_read_fasta_python(fasta), K)
    tok = time.perf_counter() - t0
    bases = sum(len(s) for s in _read_fasta_python(fasta))
    t1 = time.perf_counter()
    model = GensimWord2Vec(sentences, vector_size=DIM, window=WINDOW, negative=NEGATIVE,
                           sample=1e-3, min_count=1, epochs=1, workers=THREADS, sg=1,
                           alpha=0.025, min_alpha=1e-4, seed=1)
    wall = tok + time.perf_counter() - t1
    rss = _peak_rss_mb()
    kv = model.wv
    keys = list(kv.index_to_key)
    counts = np.array([kv.get_vecattr(w, "count") for w in keys], dtype=np.int64)
    wrapped = Kmer2Vec(k=K)
    wrapped.embeddings_ = Embeddings(kv.vectors, keys)
    wrapped.vocab_ = Vocab(keys, counts, subsample=0.0)
    out = dict(wall=wall, train=model.total_train_time, tokenize_mbps=bases / tok / 1e6,
               bases=bases, kmers=sum(map(len, sentences)), vocab=len(keys), rss_mb=rss)
    out.update(_splice_scores(wrapped))
    return out


def _child(args) -> None:
    if args.child == "gensim":
        res = run_gensim(args.fasta)
    else:
        res = run_embedkit(args.fasta, args.child)
    print(json.dumps(res))


LIBS = (*VARIANTS, "gensim")
LABELS = {"embedkit": "embedkit (default)", "embedkit-hogwild": "embedkit, parallel='hogwild'",
          "embedkit-shared": "embedkit, shared neg.", "gensim": "strings + gensim 4.4"}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = SHARED / "dna" / "ecoli-k12.fasta.gz"
    p.add_argument("--fasta", default=None, help=f"default: {default} or the bundled lambda")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--child", choices=LIBS, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.fasta is None:
        from embedkit import datasets

        args.fasta = str(default if default.exists() else datasets.lambda_genome_path())
    if args.child:
        _child(args)
        return
    print(f"genome {args.fasta}; k={K}, sg, dim {DIM}, window {WINDOW}, negative {NEGATIVE}, "
          f"subsample 1e-3, min_count 1, 1 epoch, {THREADS} threads; {args.repeats} "
          "interleaved repeats", flush=True)
    results: dict[str, list[dict]] = {lib: [] for lib in LIBS}
    for r in range(args.repeats):
        for lib in LIBS:
            cmd = [sys.executable, __file__, "--child", lib, "--fasta", args.fasta]
            res = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
            if res.returncode != 0:
                sys.exit(f"{lib} run failed:\n{res.stderr[-3000:]}")
            row = json.loads(res.stdout.strip().splitlines()[-1])
            results[lib].append(row)
            print(f"  run {r + 1} {lib:16s}: end to end {row['wall']:6.1f}s (train "
                  f"{row['train']:5.1f}s), tokenize {row['tokenize_mbps']:7.2f} Mbases/s, "
                  f"RSS {row['rss_mb']:5.0f} MB, splice acc {row['splice_acc']:.3f} "
                  f"F1 {row['splice_f1']:.3f}", flush=True)
    med = {lib: {k: statistics.median(x[k] for x in rows) for k in rows[0]}
           for lib, rows in results.items()}
    g = med["gensim"]
    mine = list(VARIANTS)
    rows = [
        ("tokenization (Mbases/s)", "tokenize_mbps", "{:.2f}", True),
        ("end-to-end time (s)", "wall", "{:.1f}", False),
        ("  of which training (s)", "train", "{:.1f}", False),
        ("peak RSS (MB)", "rss_mb", "{:.0f}", False),
        ("splice accuracy (mean-pooled)", "splice_acc", "{:.3f}", None),
        ("splice macro-F1 (mean-pooled)", "splice_f1", "{:.3f}", None),
        ("splice accuracy (6 regions)", "splice6_acc", "{:.3f}", None),
        ("splice macro-F1 (6 regions)", "splice6_f1", "{:.3f}", None),
        ("k-mer cosine vs alignment (Spearman)", "align_rho", "{:.3f}", None),
        ("reverse-complement AUC", "rc_auc", "{:.3f}", None),
    ]
    for lib in mine:
        paired = sorted(g_["wall"] / e_["wall"]
                        for e_, g_ in zip(results[lib], results["gensim"], strict=True))
        print(f"end-to-end speed ratio of each interleaved pair ({LABELS[lib]} vs gensim): "
              + ", ".join(f"{r:.2f}x" for r in paired)
              + f" (median {statistics.median(paired):.2f}x)")
    e = med["embedkit"]
    print(f"\n{Path(args.fasta).name} ({int(e['bases']):,} bases, {int(e['kmers']):,} 6-mers), "
          f"median of {args.repeats} runs; ratios and differences against gensim\n")
    print("| | " + " | ".join(LABELS[lib] for lib in (*mine, "gensim")) + " | "
          + " | ".join(f"{LABELS[lib]} vs gensim" for lib in mine) + " |")
    print("|---|" + "---:|" * (2 * len(mine) + 1))
    for label, key, fmt, higher in rows:
        cells = [fmt.format(med[lib][key]) for lib in (*mine, "gensim")]
        for lib in mine:
            x = med[lib][key]
            if higher is None:
                cells.append(f"{x - g[key]:+.3f}")
            elif higher:
                cells.append(f"{x / g[key]:.1f}x faster")
            elif key == "rss_mb":
                cells.append(f"{x / g[key]:.2f}x")
            else:
                cells.append(f"{g[key] / x:.1f}x faster")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
