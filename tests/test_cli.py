"""The pgmsim command line."""

import subprocess
import sys

import pytest

from pgmsim.cli import MODELS, main


def test_demo_writes_its_five_outputs(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--nsteps", "300", "--no-progress"]) == 0
    for name in ["pgm.png", "mock.png", "corner.png", "summary.ecsv", "factorization.tex"]:
        assert (out / name).stat().st_size > 100, name
    printed = capsys.readouterr().out
    assert "prod_k p(N_k | x0, y0, F, b, sigma)" in printed
    assert r"\prod_k p(N_k\mid x_0,y_0,F,b,\sigma)" in (out / "factorization.tex").read_text()
    from astropy.table import Table
    table = Table.read(out / "summary.ecsv")
    assert list(table["name"]) == ["x0", "y0", "F", "b", "sigma"]


def test_help_explains_every_command():
    result = subprocess.run([sys.executable, "-m", "pgmsim.cli", "--help"],
                            capture_output=True, text=True, check=True)
    for command in ["demo", "list", "run", "render", "simulate"]:
        assert command in result.stdout
    result = subprocess.run([sys.executable, "-m", "pgmsim.cli", "demo", "--help"],
                            capture_output=True, text=True, check=True)
    assert "--nsteps" in result.stdout and "--seed" in result.stdout and "--out" in result.stdout


def test_list_render_and_simulate(tmp_path, capsys):
    assert main(["list"]) == 0
    assert "xray_agn" in capsys.readouterr().out
    assert main(["render", "xray_agn", "-o", str(tmp_path / "pgm.svg")]) == 0
    assert (tmp_path / "pgm.svg").read_text().startswith("<?xml")
    assert main(["simulate", "xray_agn", "-o", str(tmp_path / "mock.fits")]) == 0
    from astropy.io import fits
    with fits.open(tmp_path / "mock.fits") as hdus:
        assert hdus["PIXELS"].data["N"].shape == (1600,)
        assert hdus[0].header["MODEL"] == "xray_agn"


def test_models_are_the_public_modules_only():
    assert MODELS == ["ccd_frames", "point_source_image", "source_with_prior_map",
                      "spectrum_2d", "xray_agn", "xray_cluster"]


def test_simulate_a_model_whose_default_inputs_drop_pixels(tmp_path, capsys):
    assert main(["simulate", "xray_cluster", "-o", str(tmp_path / "mock.fits")]) == 0
    from astropy.io import fits
    with fits.open(tmp_path / "mock.fits") as hdus:
        assert hdus["PIXELS"].data["N"].shape == (128 * 128 - 3 * 128,)


def test_unknown_model_is_a_clear_error(capsys):
    with pytest.raises(SystemExit, match="unknown model 'nope'; known models: .*xray_agn") as err:
        main(["render", "nope"])
    assert err.value.code == 2
    assert capsys.readouterr().err == f"{err.value}\n"
    assert "xray_agn" in MODELS


def test_a_mistake_is_one_line_on_stderr_and_exit_status_2():
    # the other mistakes are in tests/test_hostile_input.py; this one through
    # the installed entry point, as a user meets it
    result = subprocess.run([sys.executable, "-m", "pgmsim.cli", "run", "xray_agn",
                             "--nsteps", "-5", "--out", "never_made"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == "pgmsim run: error: --nsteps must be a positive integer, got -5\n"
    assert result.stdout == ""


def snapshot(path):
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.mark.parametrize("command, name", [("simulate", "data.fits"), ("render", "pgm.svg")])
def test_an_existing_file_is_replaced_only_with_overwrite(tmp_path, capsys, command, name):
    target = tmp_path / name
    target.write_bytes(b"SIMPLE  =  T / real data, not a mock\n")
    before = snapshot(target)
    with pytest.raises(SystemExit) as err:
        main([command, "xray_agn", "-o", str(target)])
    assert err.value.code == 2
    assert f"'{target}' already exists; pass --overwrite" in capsys.readouterr().err
    assert snapshot(target) == before
    assert main([command, "xray_agn", "-o", str(target), "--overwrite"]) == 0
    assert target.read_bytes() != before[0]
    assert target.stat().st_size > 1000


def test_run_replaces_an_earlier_run_only_with_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    for name in ["summary.ecsv", "pgm.png", "chain.h5"]:
        (out / name).write_text(f"an earlier {name}\n")
    before = {p.name: snapshot(p) for p in out.iterdir()}
    argv = ["run", "xray_agn", "--out", str(out), "--nsteps", "20", "--nwalkers", "10",
            "--no-progress"]
    with pytest.raises(SystemExit, match="chain.h5' holds the chain of an earlier run: "
                                         "pass --resume to continue it, or --overwrite"):
        main(argv)
    with pytest.raises(SystemExit, match="already holds pgm.png, summary.ecsv of an earlier "
                                         "run: pass --overwrite to replace them"):
        main([*argv, "--no-checkpoint"])
    assert {p.name: snapshot(p) for p in out.iterdir()} == before
    capsys.readouterr()
    assert main([*argv, "--overwrite"]) == 0
    assert (out / "summary.ecsv").read_text() != "an earlier summary.ecsv\n"
    from pgmsim.fit.backends import load_result
    assert load_result(out / "chain.h5").chain.shape == (20, 10, 5)


def test_run_auto_prints_the_convergence_problems_and_writes_diagnostics(tmp_path, capsys):
    out = tmp_path / "auto"
    argv = ["run", "xray_agn", "--out", str(out), "--nsteps", "auto", "--max-steps", "300",
            "--no-progress", "--no-checkpoint"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "the run is not converged:\n- nsteps=auto stopped at max_steps=300" in printed
    from astropy.table import Table
    table = Table.read(out / "diagnostics.ecsv")
    assert list(table["name"]) == ["x0", "y0", "F", "b", "sigma"]
    assert {"tau", "ess_bulk", "ess_tail", "r_hat", "mcse_mean", "burn_in"} <= set(table.colnames)
    # the problems printed are those of the written table
    for problem in table.meta["problems"]:
        assert f"- {problem}" in printed
    # diagnostics.ecsv of an earlier run is replaced only with --overwrite
    for name in ["summary.ecsv", "pgm.png", "corner.png", "mock.png", "factorization.tex"]:
        (out / name).unlink()
    with pytest.raises(SystemExit, match="already holds diagnostics.ecsv of an earlier run"):
        main(argv)


@pytest.mark.parametrize("flags, line", [
    (["--nsteps", "often"], "argument --nsteps: must be a positive integer or auto, got 'often'"),
    (["--nsteps", "auto", "--max-steps", "0"], "--max-steps must be a positive integer, got 0"),
    (["--nsteps", "200", "--max-steps", "500"],
     "--max-steps 500 limits --nsteps auto runs only; a run of --nsteps 200 has that length: "
     "drop --max-steps"),
])
def test_bad_run_lengths_are_one_line_naming_the_flag(tmp_path, capsys, flags, line):
    with pytest.raises(SystemExit) as err:
        main(["run", "xray_agn", "--out", str(tmp_path / "never"), *flags])
    assert err.value.code == 2
    assert capsys.readouterr().err == f"pgmsim run: error: {line}\n"
    assert not (tmp_path / "never").exists()
