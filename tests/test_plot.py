"""Maps (plot), TensorBoard projector export, and the `embedkit plot` / `embedkit export` CLI."""

import os
import sys

import numpy as np
import pandas as pd
import pytest

from embedkit import Embeddings
from embedkit.cli import main

pytest.importorskip("matplotlib")


def make(n=40, dim=8, seed=0, keys=None, **kw):
    rng = np.random.default_rng(seed)
    return Embeddings(rng.normal(size=(n, dim)), keys or [f"w{i}" for i in range(n)], **kw)


def n_points(fig):
    return sum(len(c.get_offsets()) for c in fig.axes[0].collections)


def test_pca_plot_one_point_per_key_matches_numpy_svd():
    emb = make()
    fig = emb.plot(method="pca", annotate=["w1", "w2"])
    assert type(fig).__name__ == "Figure" and n_points(fig) == 40
    assert [t.get_text() for t in fig.axes[0].texts] == ["w1", "w2"]
    xy = fig.axes[0].collections[0].get_offsets()
    u = emb.vectors / np.linalg.norm(emb.vectors, axis=1, keepdims=True)
    centred = u - u.mean(0)
    left, s, _ = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    np.testing.assert_allclose(np.abs(xy), np.abs(left[:, :2] * s[:2]), atol=1e-4)
    # deterministic: same figure data twice
    again = emb.plot(method="pca").axes[0].collections[0].get_offsets()
    np.testing.assert_array_equal(xy, again)


def test_plot_labels_colour_subsets_and_auto_annotation(tmp_path):
    emb = make(n=30)
    labels = {f"w{i}": ("even" if i % 2 else "odd") for i in range(0, 30, 3)}
    fig = emb.plot(labels=labels, method="pca")
    assert n_points(fig) == 10  # keys=None + a mapping: only labelled keys
    names = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert names == ["even", "odd"] and len(fig.axes[0].texts) == 10
    keys = [f"w{i}" for i in range(30)]
    fig = emb.plot(keys, labels, method="pca", annotate=False)
    assert n_points(fig) == 30 and len(fig.axes[0].texts) == 0
    assert "(no label)" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    fig = emb.plot(keys, list(range(30)), method="pca")  # numeric labels: colour bar
    assert len(fig.axes) == 2
    fig.savefig(tmp_path / "m.png")
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"


def test_tsne_plot():
    pytest.importorskip("sklearn")
    fig = make(n=25).plot(method="tsne", random_state=1, max_iter=250)
    assert n_points(fig) == 25


def test_plot_errors(monkeypatch):
    emb = make(n=10)
    with pytest.raises(ValueError, match="method"):
        emb.plot(method="mds")
    with pytest.raises(ValueError, match="at least 2"):
        emb.plot(["w1"], method="pca")
    with pytest.raises(KeyError, match="zzz"):
        emb.plot(["w1", "zzz"], method="pca")
    with pytest.raises(ValueError, match="labels has 3 entries"):
        emb.plot(["w1", "w2"], ["a", "b", "c"], method="pca")
    with pytest.raises(KeyError, match="not on the map"):
        emb.plot(["w1", "w2"], method="pca", annotate=["w3"])
    monkeypatch.setitem(sys.modules, "umap", None)
    with pytest.raises(ImportError, match=r"umap-learn: pip install 'embedkit\[umap\]'"):
        emb.plot()


def test_umap_wiring_with_a_stand_in_module(monkeypatch):
    """What embedkit passes to umap.UMAP, checked without umap's minute of JIT compilation."""
    import types

    calls = {}

    class FakeUMAP:
        def __init__(self, **params):
            calls.update(params)

        def fit_transform(self, x):
            calls["rows"] = x
            return x[:, :2] * 10

    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=FakeUMAP))
    emb = make(n=12)
    fig = emb.plot(method="umap", random_state=3, min_dist=0.2)
    assert n_points(fig) == 12
    assert calls["metric"] == "cosine" and calls["random_state"] == 3
    assert calls["n_neighbors"] == 11 and calls["min_dist"] == 0.2 and calls["n_jobs"] == 1
    np.testing.assert_allclose(np.linalg.norm(calls["rows"], axis=1), 1.0)  # unit rows


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("EMBEDKIT_TEST_UMAP"),
                    reason="real umap-learn costs 1-3 minutes of JIT: set EMBEDKIT_TEST_UMAP=1")
def test_umap_plot():
    pytest.importorskip("umap")
    fig = make(n=60).plot(method="umap", random_state=0)
    assert n_points(fig) == 60


def test_projector_files_shapes_and_escaping(tmp_path):
    keys = ["plain", "tab\there", "new\nline", "back\\slash", "", 42]
    emb = make(n=6, dim=3, keys=keys, counts=[6, 5, 4, 3, 2, 1])
    paths = emb.export_projector(tmp_path / "proj", {"plain": "A", 42: "B"})
    vec_lines = (tmp_path / "proj" / "vectors.tsv").read_text().splitlines()
    assert len(vec_lines) == 6 and all(len(line.split("\t")) == 3 for line in vec_lines)
    np.testing.assert_allclose(np.loadtxt(paths["vectors"], delimiter="\t"), emb.vectors,
                               rtol=1e-6)
    meta = (tmp_path / "proj" / "metadata.tsv").read_text().split("\n")
    assert meta[-1] == "" and len(meta) == 8  # header + 6 rows
    rows = [line.split("\t") for line in meta[:-1]]
    assert rows[0] == ["key", "label", "count"] and all(len(r) == 3 for r in rows)
    assert [r[0] for r in rows[1:]] == ["plain", "tab\\there", "new\\nline", "back\\\\slash",
                                        '""', "42"]
    assert [r[1] for r in rows[1:]] == ["A", "", "", "", "", "B"]
    config = (tmp_path / "proj" / "projector_config.pbtxt").read_text()
    assert 'tensor_path: "vectors.tsv"' in config and 'metadata_path: "metadata.tsv"' in config
    # keys only: a single column without a header
    make(n=4, dim=2).export_projector(tmp_path / "p2", limit=3)
    assert (tmp_path / "p2" / "metadata.tsv").read_text() == "w0\nw1\nw2\n"
    # a DataFrame gives several columns
    df = pd.DataFrame({"family": ["x", "y"], "size": [1, 2]}, index=["w0", "w2"])
    make(n=3, dim=2).export_projector(tmp_path / "p3", df)
    assert (tmp_path / "p3" / "metadata.tsv").read_text() == \
        "key\tfamily\tsize\nw0\tx\t1\nw1\t\t\nw2\ty\t2\n"


def test_cli_plot_and_export(tmp_path, capsys):
    emb = make(n=60, keys=list(range(60)))  # integer node ids
    model = tmp_path / "m.npz"
    emb.save(model)
    labels = tmp_path / "labels.tsv"
    labels.write_text("# node\tclass\n" + "".join(f"{i}\tc{i % 3}\n" for i in range(0, 60, 2))
                      + "999\tunknown\n")
    png = tmp_path / "map.png"
    assert main(["plot", str(model), "-o", str(png), "--labels", str(labels),
                 "--method", "pca"]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG" and "30 points (pca)" in capsys.readouterr().out
    assert main(["plot", str(model), "-o", str(png), "--method", "pca", "--keys", "3", "5",
                 "7"]) == 0
    assert "3 points" in capsys.readouterr().out
    assert main(["export", str(model), str(tmp_path / "proj"), "--projector", "--labels",
                 str(labels)]) == 0
    meta = (tmp_path / "proj" / "metadata.tsv").read_text().splitlines()
    assert meta[0] == "key\tlabel" and meta[1] == "0\tc0" and meta[2] == "1\t"
    assert main(["export", str(model), str(tmp_path / "v.glove"), "--limit", "5"]) == 0
    first = (tmp_path / "v.glove").read_text().splitlines()
    assert len(first) == 5 and len(first[0].split()) == 9
    back = Embeddings.load_word2vec_format(tmp_path / "v.glove")
    np.testing.assert_allclose(back.vectors, emb.vectors[:5], rtol=1e-6)
    assert main(["export", str(tmp_path / "v.glove"), str(tmp_path / "v.npz")]) == 0
    assert len(Embeddings.load(tmp_path / "v.npz")) == 5
    capsys.readouterr()
    bad = tmp_path / "bad.tsv"
    bad.write_text("0 c0\n")
    assert main(["plot", str(model), "-o", str(png), "--labels", str(bad)]) == 1
    assert "bad.tsv, line 1: expected 'key<TAB>label'" in capsys.readouterr().err
    assert main(["export", str(model), str(tmp_path / "x.npz"), "--labels", str(labels)]) == 1
    assert "--projector" in capsys.readouterr().err
