"""``pgmsim sbc`` and ``pgmsim fit-many``: outputs, resume, and bad flags refused naming
the flag with exit status 2 before anything is written."""

import h5py
import pytest
from astropy.table import Table

from pgmsim._cli_checks import UsageError
from pgmsim.cli import main

MODEL_FILE = '''
import pgmsim as pg

DESCRIPTION = "Poisson counts of one rate"


def build():
    m = pg.Model("rate")
    m.plate("obs", size=5)
    m.param("lam", pg.Gamma(3.0, 1.0))
    m.data("N", pg.Poisson("lam"), plate="obs")
    return m
'''

SHORT = ["--nsteps", "20", "--nwalkers", "4", "--no-progress"]


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "rate_model.py"
    path.write_text(MODEL_FILE)
    return str(path)


def stored(path):
    with h5py.File(path, "r") as f:
        return sorted(int(name) for name in f["tasks"])


def test_sbc_writes_the_store_the_ranks_and_a_summary(model_file, tmp_path, capsys):
    out = tmp_path / "sbc"
    assert main(["sbc", model_file, "--n-sims", "6", "--thin", "5", "--out", str(out),
                 *SHORT]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["ranks.png", "results.h5",
                                                     "summary.ecsv"]
    assert stored(out / "results.h5") == list(range(6))
    assert list(Table.read(out / "summary.ecsv")["name"]) == ["lam"]
    assert "<SBCResult: 6 simulations" in capsys.readouterr().out
    # the same call again is refused; with --resume it runs nothing new
    with pytest.raises(UsageError, match="pgmsim sbc: error: results store .* holds an "
                                         "earlier run: pass --resume to continue it"):
        main(["sbc", model_file, "--n-sims", "6", "--thin", "5", "--out", str(out), *SHORT])
    assert main(["sbc", model_file, "--n-sims", "6", "--thin", "5", "--out", str(out),
                 "--resume", *SHORT]) == 0
    with pytest.raises(UsageError, match=r"was made by another run \(.*--seed: stored 0, "
                                         "now 1"):
        main(["sbc", model_file, "--n-sims", "6", "--thin", "5", "--out", str(out),
              "--resume", "--seed", "1", *SHORT])


def test_fit_many_fits_mocks_of_a_model_without_sources(model_file, tmp_path, capsys):
    out = tmp_path / "many"
    assert main(["fit-many", model_file, "--n-items", "3", "--out", str(out), *SHORT]) == 0
    table = Table.read(out / "summary.ecsv")
    assert list(table["index"]) == [0, 1, 2] and "lam_median" in table.colnames
    assert stored(out / "results.h5") == [0, 1, 2]
    assert "of 3 fits converged" in capsys.readouterr().out


@pytest.mark.parametrize("flags, message", [
    (["--workers", "0"], "--workers must be a positive integer, got 0"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
     "argument --scheduler: not allowed with argument --workers"),
    (["--n-sims", "0"], "--n-sims must be a positive integer, got 0"),
    (["--thin", "0"], "--thin must be a positive integer, got 0"),
    (["--nsteps", "auto"], "--nsteps must be a number of steps here"),
    (["--resume"], "--resume: there is no results store '.*results.h5' to continue"),
])
def test_bad_sbc_flags_are_refused(model_file, tmp_path, flags, message, capsys):
    out = tmp_path / "bad"
    args = ["sbc", model_file, "--out", str(out), *SHORT, "--n-sims", "2", *flags]
    with pytest.raises(UsageError, match=message) as err:
        main(args)
    assert err.value.code == 2
    assert not out.exists()


def test_bad_fit_many_flags_are_refused(model_file, tmp_path):
    out = tmp_path / "bad"
    with pytest.raises(UsageError, match="--n-items must be a positive integer, got -1"):
        main(["fit-many", model_file, "--out", str(out), "--n-items", "-1"])
    with pytest.raises(UsageError, match="--seed must be a non-negative integer, got -2"):
        main(["fit-many", model_file, "--out", str(out), "--seed", "-2"])
    assert not out.exists()


def test_a_scheduler_that_does_not_answer_is_named(model_file, tmp_path):
    pytest.importorskip("distributed")
    with pytest.raises(UsageError, match="--scheduler tcp://127.0.0.1:9: no Dask scheduler "
                                         "answers there"):
        main(["fit-many", model_file, "--out", str(tmp_path / "x"), "--n-items", "1",
              "--scheduler", "tcp://127.0.0.1:9", *SHORT])


#: columns that say where and how fast a fit ran, not what it found
RUN_COLUMNS = ("wall_s", "worker")


@pytest.mark.parametrize("command, count", [("fit-many", "--n-items"), ("sbc", "--n-sims")])
def test_a_model_file_runs_on_dask_workers_as_here(tmp_path, scaled_model_file, command,
                                                   count):
    pytest.importorskip("distributed")
    args = [command, str(scaled_model_file), count, "4", *SHORT]
    here, there = tmp_path / "here", tmp_path / "there"
    assert main([*args, "--out", str(here)]) == 0
    assert main([*args, "--out", str(there), "--workers", "2"]) == 0
    serial, on_dask = (Table.read(out / "summary.ecsv") for out in (here, there))
    assert serial.colnames == on_dask.colnames and len(serial) > 0
    for name in serial.colnames:
        if name not in RUN_COLUMNS:
            assert list(serial[name]) == list(on_dask[name]), name
    assert stored(there / "results.h5") == list(range(4))
