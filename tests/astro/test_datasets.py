"""Tests for pgmsim.astro.datasets: locating and fetching the data sets."""

from pathlib import Path

import pytest

from pgmsim.astro import datasets

A1835_FILES = datasets.DATASETS["a1835_xmm"]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("PGMSIM_DATA", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


def test_data_dir_precedence(clean_env, tmp_path):
    assert datasets.data_dir() == tmp_path / "home" / ".cache" / "pgmsim"
    clean_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.data_dir() == tmp_path / "xdg" / "pgmsim"
    clean_env.setenv("PGMSIM_DATA", str(tmp_path / "mine"))
    assert datasets.data_dir() == tmp_path / "mine"


def test_a1835_finds_shared_data(monkeypatch, shared_data):
    if not (shared_data / "a1835_xmm").is_dir():
        pytest.skip("a1835_xmm not in the shared data")
    monkeypatch.setenv("PGMSIM_DATA", str(shared_data))
    paths = datasets.a1835()
    assert set(paths) == {"image", "expmap", "bkgmap", "regions"}
    assert all(p.is_file() and p.parent == shared_data / "a1835_xmm" for p in paths.values())
    assert paths["image"].name == "P0098010101M2U009IMAGE_3000.FTZ"
    assert paths["regions"].name == "M2ptsrc.txt"


def test_a1835_missing_explains_how_to_get_it(clean_env, tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        datasets.a1835(data_home=tmp_path / "empty")
    message = str(err.value)
    assert str(tmp_path / "empty" / "a1835_xmm") in message
    assert "PGMSIM_DATA" in message and "fetch('a1835_xmm')" in message
    assert "0098010101" in message and "P0098010101M2U009IMAGE_3000.FTZ" in message


def test_fetch_from_file_url_then_found(clean_env, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for filename in A1835_FILES:
        (mirror / filename).write_bytes(f"fake {filename}".encode())
    home = tmp_path / "data_home"
    folder = datasets.fetch("a1835_xmm", base_url=mirror.as_uri() + "/", data_home=home)
    assert folder == home / "a1835_xmm"
    for filename in A1835_FILES:
        assert (folder / filename).read_bytes() == f"fake {filename}".encode()
    assert not list(folder.glob("*.part"))
    paths = datasets.a1835(data_home=home)
    assert paths["expmap"] == folder / "P0098010101M2U009EXPMAP3000.FTZ"

    # Present files are kept unless overwrite=True.
    (mirror / "M2ptsrc.txt").write_text("new")
    datasets.fetch("a1835_xmm", base_url=mirror.as_uri(), data_home=home)
    assert (folder / "M2ptsrc.txt").read_text() == "fake M2ptsrc.txt"
    datasets.fetch("a1835_xmm", base_url=mirror.as_uri(), data_home=home, overwrite=True)
    assert (folder / "M2ptsrc.txt").read_text() == "new"


def test_fetch_uses_pgmsim_data_by_default(clean_env, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for filename in A1835_FILES:
        (mirror / filename).write_text("x")
    clean_env.setenv("PGMSIM_DATA", str(tmp_path / "env_home"))
    datasets.fetch("a1835_xmm", base_url=mirror.as_uri())
    assert datasets.a1835()["image"].parent == tmp_path / "env_home" / "a1835_xmm"


def test_fetch_failure_names_url(clean_env, tmp_path):
    empty = tmp_path / "empty_mirror"
    empty.mkdir()
    with pytest.raises(OSError, match="empty_mirror/P0098010101M2U009IMAGE_3000.FTZ"):
        datasets.fetch("a1835_xmm", base_url=empty.as_uri(), data_home=tmp_path / "home")


def test_fetch_unknown_name(tmp_path):
    with pytest.raises(ValueError, match="unknown data set 'nope'.*a1835_xmm"):
        datasets.fetch("nope", data_home=tmp_path)


def test_default_sources_cover_registry():
    for name, filenames in datasets.DATASETS.items():
        assert set(datasets._DEFAULT_SOURCES[name]) == set(filenames)
        assert all(url.startswith("https://") for url in datasets._DEFAULT_SOURCES[name].values())
    assert isinstance(datasets.data_dir(), Path)
