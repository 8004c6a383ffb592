"""The results store: one group per finished task, refused when it belongs to another
run, readable after a writer killed mid-task."""

import h5py
import numpy as np
import pytest

from pgmsim.fit.store import ResultsStore, StoreError, fingerprint

SETTINGS = {"seed": 1, "n_items": 3, "data": np.arange(4.0)}


def test_records_come_back_as_written(tmp_path):
    store = ResultsStore(tmp_path / "r.h5", "fit_many", SETTINGS)
    store.write(2, {"median": np.array([1.5, 2.5]), "converged": True, "worker": "h:1",
                    "ess_min": 12.5})
    store.write(0, {"median": np.array([0.5, 0.25]), "converged": False, "worker": "h:2",
                    "ess_min": 3.0})
    records = store.read()
    assert sorted(records) == [0, 2] and store.done() == [0, 2]
    assert np.array_equal(records[2]["median"], [1.5, 2.5])
    assert records[2]["converged"] is True and records[0]["worker"] == "h:2"
    assert records[0]["ess_min"] == 3.0


def test_a_task_is_stored_once(tmp_path):
    store = ResultsStore(tmp_path / "r.h5", "sbc", SETTINGS)
    store.write(1, {"ranks": [3]})
    with pytest.raises(StoreError, match="already holds task 1"):
        store.write(1, {"ranks": [4]})


def test_another_run_an_existing_file_and_a_missing_folder_are_refused(tmp_path):
    path = tmp_path / "r.h5"
    ResultsStore(path, "sbc", SETTINGS)
    with pytest.raises(StoreError, match=f"results store '{path}' holds an earlier run"):
        ResultsStore(path, "sbc", SETTINGS)
    with pytest.raises(StoreError, match=r"was made by another run \(data: stored "
                                         r"'sha256:.*\.\.\., now 'sha256:"):
        ResultsStore(path, "sbc", {**SETTINGS, "data": np.arange(5.0)}, resume=True)
    with pytest.raises(StoreError, match="holds a 'sbc' run, not 'fit_many'"):
        ResultsStore(path, "fit_many", SETTINGS, resume=True)
    with pytest.raises(FileNotFoundError, match="folder '.*missing' does not exist"):
        ResultsStore(tmp_path / "missing" / "r.h5", "sbc", SETTINGS)
    (tmp_path / "junk.h5").write_text("not HDF5")
    with pytest.raises(StoreError, match="junk.h5' cannot be read"):
        ResultsStore(tmp_path / "junk.h5", "sbc", SETTINGS, resume=True)


def test_a_half_written_task_is_ignored_and_rewritten(tmp_path):
    path = tmp_path / "r.h5"
    store = ResultsStore(path, "sbc", SETTINGS)
    store.write(0, {"ranks": [1]})
    with h5py.File(path, "a") as f:  # what a writer killed inside write() leaves
        f["tasks"].create_group("partial_000001").create_dataset("ranks", data=[9])
    resumed = ResultsStore(path, "sbc", SETTINGS, resume=True)
    assert resumed.done() == [0] and list(resumed.read()) == [0]
    resumed.write(1, {"ranks": [2]})
    assert resumed.read()[1]["ranks"].tolist() == [2]


def test_the_fingerprint_depends_on_every_setting():
    base, text = fingerprint(SETTINGS)
    assert '"seed": 1' in text
    for change in ({"seed": 2}, {"n_items": 4}, {"data": np.arange(4.0) + 1e-12}):
        assert fingerprint({**SETTINGS, **change})[0] != base, change


HOLD_OPEN = """
import sys, time, h5py
with h5py.File(sys.argv[1], "r"):
    print("open", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_open(path, seconds):
    """Another process that reads the store (a user looking at it) for ``seconds``."""
    import subprocess
    import sys

    reader = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, str(path), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline() == "open\n"
    return reader


def test_a_write_waits_for_a_reader_of_the_file(tmp_path):
    store = ResultsStore(tmp_path / "r.h5", "sbc", SETTINGS)
    reader = hold_open(store.filename, 0.5)
    try:
        store.write(0, {"ranks": [1, 2]})  # HDF5 locks the file while it is read
    finally:
        reader.wait(timeout=30)
        reader.stdout.close()
    assert store.done() == [0]


def test_a_file_locked_for_too_long_is_named(tmp_path, monkeypatch):
    store = ResultsStore(tmp_path / "r.h5", "sbc", SETTINGS)
    monkeypatch.setattr("pgmsim.fit.store.LOCK_WAIT_S", 0.2)
    reader = hold_open(store.filename, 3)
    try:
        with pytest.raises(StoreError, match=f"results store '{store.filename}' is locked "
                                             "by another process"):
            store.write(0, {"ranks": [1, 2]})
    finally:
        reader.kill()
        reader.wait(timeout=30)
        reader.stdout.close()
    store.write(0, {"ranks": [1, 2]})
    assert store.done() == [0]
