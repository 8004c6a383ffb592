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


def test_unknown_model_is_a_clear_error():
    with pytest.raises(SystemExit, match="unknown model 'nope'; known models: .*xray_agn"):
        main(["render", "nope"])
    assert "xray_agn" in MODELS
