"""Tests for the bundled data sets and their loaders (embedkit.datasets)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from embedkit import datasets

PACKAGE_DIR = Path(datasets.__file__).resolve().parent


def test_data_dir_is_repository_datasets_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(datasets.DATA_ENV_VAR, raising=False)
    assert datasets.data_dir() == PACKAGE_DIR.parent / "datasets"


@pytest.mark.parametrize("name", sorted(datasets.available_datasets()))
def test_every_registered_file_exists(name: str) -> None:
    path = datasets.dataset_path(name)
    assert path.is_file() and path.stat().st_size > 0


def test_path_functions() -> None:
    expected = {
        datasets.text_corpus_path: "corpus.txt.gz",
        datasets.analogies_path: "questions-words.txt",
        datasets.wordsim353_path: "wordsim353.tsv",
        datasets.simlex999_path: "simlex999.txt",
        datasets.ws353_similarity_path: "ws353_similarity.txt",
        datasets.ws353_relatedness_path: "ws353_relatedness.txt",
    }
    for fn, filename in expected.items():
        path = fn()
        assert path.name == filename and path.is_file()


def test_text_corpus_counts() -> None:
    lines = tokens = 0
    with gzip.open(datasets.text_corpus_path(), "rt", encoding="ascii") as f:
        for line in f:
            lines += 1
            tokens += len(line.split())
    assert 1_000_000 <= tokens <= 2_000_000
    assert (lines, tokens) == (62_952, 1_813_085)


def test_analogy_questions() -> None:
    sections = questions = 0
    with open(datasets.analogies_path(), encoding="utf-8") as f:
        for line in f:
            if line.startswith(":"):
                sections += 1
            else:
                assert len(line.split()) == 4
                questions += 1
    assert (sections, questions) == (14, 19_544)


def test_load_wordsim353() -> None:
    ws = datasets.load_wordsim353()
    assert isinstance(ws, pd.DataFrame)
    assert ws.shape == (353, 3)
    assert list(ws.columns) == ["word1", "word2", "score"]
    assert ws["score"].dtype == "float64"
    assert ws["score"].between(0, 10).all()
    assert tuple(ws.iloc[0]) == ("love", "sex", 6.77)


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("wordsim353", 353),
        ("simlex999", 999),
        ("ws353_similarity", 203),
        ("ws353_relatedness", 252),
    ],
)
def test_load_word_pairs(name: str, rows: int) -> None:
    pairs = datasets.load_word_pairs(name)
    assert pairs.shape == (rows, 3)
    assert pairs["score"].between(0, 10).all()
    assert not pairs[["word1", "word2"]].isna().any().any()


def test_load_word_pairs_rejects_other_names() -> None:
    with pytest.raises(ValueError, match="word-pair"):
        datasets.load_word_pairs("text_corpus")


def test_unknown_name_lists_available() -> None:
    with pytest.raises(ValueError, match="available: .*text_corpus.*wordsim353"):
        datasets.dataset_path("text8")


def test_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "wordsim353.tsv").write_text("# comment\nA\tb\t1.5\n\nc\td\t10\n")
    monkeypatch.setenv(datasets.DATA_ENV_VAR, str(tmp_path))
    assert datasets.data_dir() == tmp_path
    assert datasets.wordsim353_path() == tmp_path / "wordsim353.tsv"
    ws = datasets.load_wordsim353()
    assert ws.to_dict("list") == {"word1": ["A", "c"], "word2": ["b", "d"], "score": [1.5, 10.0]}
    with pytest.raises(FileNotFoundError, match="corpus.txt.gz"):
        datasets.text_corpus_path()


def test_env_override_missing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(datasets.DATA_ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match=datasets.DATA_ENV_VAR):
        datasets.data_dir()


def test_malformed_pair_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "simlex999.txt").write_text("a\tb\t1\nc\td\n")
    monkeypatch.setenv(datasets.DATA_ENV_VAR, str(tmp_path))
    with pytest.raises(ValueError, match="line 2"):
        datasets.load_word_pairs("simlex999")


def test_package_never_refers_to_shared_folder() -> None:
    for path in PACKAGE_DIR.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "shared/data" not in text, path
