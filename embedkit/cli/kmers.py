"""DNA commands: ``train kmers`` and ``embed-seqs``."""

from __future__ import annotations

import argparse
import time

__all__ = ["register"]


def _cmd_train_kmers(args: argparse.Namespace) -> int:
    from embedkit.cli.text import loss_note, sgns_params
    from embedkit.models.kmer2vec import Kmer2Vec

    model = Kmer2Vec(
        k=args.k, stride=args.stride, canonical=args.canonical,
        k_range=tuple(args.k_range) if args.k_range else None,
        reverse_complement=args.reverse_complement,
        max_sequence_length=args.max_sequence_length, **sgns_params(args),
    )
    t0 = time.perf_counter()
    model.fit(args.fasta)
    model.save(args.output)
    seconds = time.perf_counter() - t0
    st = model.epoch_stats_[-1]
    k = f"k={args.k}" if not args.k_range else f"k={args.k_range[0]}..{args.k_range[1]}"
    print(f"trained {len(model.vocab_)} k-mer vectors ({k}, dim {args.dim}) from "
          f"{model.n_records_} records, {model.n_bases_:,} bases "
          f"({model.n_skipped_bases_:,} non-ACGT skipped) in {seconds:.1f}s; last epoch "
          f"{st.words_per_second / 1e6:.2f} Mbases/s, {loss_note(st)}; saved to "
          f"{args.output} (+ {args.output}.json)")
    return 0


def _cmd_embed_seqs(args: argparse.Namespace) -> int:
    from embedkit._io import atomic_write
    from embedkit.contexts.fasta import read_sequences
    from embedkit.models.kmer2vec import Kmer2Vec

    model = Kmer2Vec.load(args.model)
    names = [rec.name for rec in read_sequences(args.fasta)]
    vectors = model.embed_sequences(args.fasta, pool=args.pool, segments=args.segments)
    with atomic_write(args.output) as fh:
        fh.write("name\t" + "\t".join(f"d{i}" for i in range(vectors.shape[1])) + "\n")
        for name, row in zip(names, vectors, strict=True):
            fh.write(name.replace("\t", " ") + "\t"
                     + "\t".join(f"{v:.6g}" for v in row.tolist()) + "\n")
    print(f"embedded {len(names)} sequences ({args.pool} of k-mer vectors, dim "
          f"{vectors.shape[1]}); saved to {args.output}")
    return 0


def register(sub, train_sub) -> None:
    """Add the DNA commands to the ``embedkit`` parser."""
    from embedkit.cli.text import add_sgns_options

    p = train_sub.add_parser(
        "kmers", help="DNA k-mer vectors from FASTA/FASTQ",
        description="Train k-mer vectors (dna2vec-style skip-gram with negative sampling) on a "
        "FASTA or FASTQ file, plain or .gz. Non-ACGT symbols (N, IUPAC codes, gaps) break the "
        "sequence. Progress is shown in bases/s.")
    p.add_argument("fasta", help="FASTA/FASTQ file (plain or .gz)")
    p.add_argument("-o", "--output", required=True,
                   help="output vectors: .npz (embedkit), .txt/.vec (word2vec text) or .bin; "
                   "the k-mer settings go to OUTPUT.json")
    g = p.add_argument_group("k-mers")
    g.add_argument("-k", type=int, default=6, help="k-mer length 1..31 (default %(default)s)")
    g.add_argument("--k-range", nargs=2, type=int, metavar=("K_LOW", "K_HIGH"),
                   help="variable k as in dna2vec: a length drawn per position (overrides -k)")
    g.add_argument("--stride", type=int, default=1,
                   help="bases between k-mer starts (default %(default)s)")
    g.add_argument("--canonical", action="store_true",
                   help="merge each k-mer with its reverse complement")
    g.add_argument("--reverse-complement", action="store_true",
                   help="also train on the reverse-complement strand")
    g.add_argument("--max-sequence-length", type=int, default=10_000,
                   help="cut k-mer runs into pieces of this many k-mers (default %(default)s)")
    add_sgns_options(p, epochs=1, min_count=1, shared_negatives=False)
    p.set_defaults(func=_cmd_train_kmers)

    p = sub.add_parser(
        "embed-seqs", help="whole-sequence vectors from trained k-mer vectors",
        description="Pool the k-mer vectors of each sequence of a FASTA/FASTQ file into one "
        "vector and write a TSV: a header, then name<TAB>d0<TAB>d1...")
    p.add_argument("model", help="vectors written by `embedkit train kmers`")
    p.add_argument("fasta", help="FASTA/FASTQ file (plain or .gz)")
    p.add_argument("-o", "--output", required=True, help="output TSV")
    p.add_argument("--pool", choices=["mean", "sum", "tfidf"], default="mean",
                   help="how k-mer vectors are combined (default %(default)s)")
    p.add_argument("--segments", type=int, default=1,
                   help="pool each of N equal regions separately and concatenate (keeps coarse "
                   "position; default %(default)s)")
    p.set_defaults(func=_cmd_embed_seqs)
