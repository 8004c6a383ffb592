"""pgmsim compare: end to end on two model files, and mistakes named in one line."""

import contextlib
import io

import numpy as np
import pytest

from pgmsim._cli_checks import UsageError
from pgmsim.cli import main


def run(*argv):
    with contextlib.redirect_stderr(io.StringIO()):
        return main(["compare", *argv])


def test_too_few_live_points_name_the_flag():
    with pytest.raises(UsageError, match=r"--nlive must be at least 11"):
        run("xray_agn", "xray_agn", "--nlive", "3", "--no-progress")
    with pytest.raises(UsageError, match=r"--nlive must be a positive integer, got 0"):
        run("xray_agn", "xray_agn", "--nlive", "0")


def test_negative_seed_names_the_flag():
    with pytest.raises(UsageError, match=r"--seed"):
        run("xray_agn", "xray_agn", "--seed", "-1")


def test_unknown_model_is_named():
    with pytest.raises(UsageError, match="no_such_model"):
        run("xray_agn", "no_such_model")


def test_models_of_other_data_are_refused():
    with pytest.raises(UsageError, match=r"model 'xray_cluster' has data node\(s\)"):
        run("ccd_frames", "xray_cluster", "--nlive", "50")


CONSTANT = '''
import numpy as np
import pgmsim as pg

TRUTH = {"a": 1.0}
SIGMA = 0.5


def build():
    m = pg.Model("constant")
    m.fixed("x", plate="points")
    m.param("a", pg.Normal(0.0, 3.0))
    m.data("y", pg.Normal("a", SIGMA), plate="points")
    return m


def default_inputs(seed=0):
    return {"x": np.random.default_rng(seed).uniform(0.0, 4.0, 12)}
'''

LINE = CONSTANT.replace('TRUTH = {"a": 1.0}', 'TRUTH = {"a": 1.0, "b": 1.0}').replace(
    'pg.Model("constant")', 'pg.Model("line")').replace(
    '''    m.data("y", pg.Normal("a", SIGMA), plate="points")''',
    '''    m.param("b", pg.Normal(0.0, 3.0))
    m.deterministic("mu", line, plate="points")
    m.data("y", pg.Normal("mu", SIGMA), plate="points")''').replace(
    "def build():", "def line(a, b, x):\n    return a + b * x\n\n\ndef build():")


def exact_log_evidence(y, design):
    """ln Z of y = design @ w + noise, w ~ N(0, 3^2 I), noise ~ N(0, 0.5^2 I)."""
    from scipy.stats import multivariate_normal

    cov = 0.5**2 * np.eye(len(y)) + 3.0**2 * design @ design.T
    return multivariate_normal(np.zeros(len(y)), cov).logpdf(y)


def test_compare_fits_two_model_files_and_finds_the_exact_evidence(tmp_path, capsys):
    """End to end: a line's mock (slope 1) against a constant; both ln Z exact."""
    from astropy.table import Table

    from pgmsim.cli import default_mock

    line_file = tmp_path / "line_model.py"
    line_file.write_text(LINE)
    constant_file = tmp_path / "constant_model.py"
    constant_file.write_text(CONSTANT)
    out = tmp_path / "compare.ecsv"
    status = main(["compare", str(line_file), str(constant_file), "--nlive", "80",
                   "--seed", "3", "--no-progress", "--output", str(out)])
    assert status in (None, 0)
    printed = capsys.readouterr().out
    # every column printed in full, whatever the width of the terminal
    assert "log_evidence_err" in printed and "pareto_k_bad" in printed
    assert f"wrote {out}" in printed

    # the mock the command fitted, and the evidence of each model in closed form
    model, inputs = default_mock(str(line_file), seed=3)
    y = model.simulate(inputs=inputs, params={"a": 1.0, "b": 1.0}, seed=3)["y"]
    x = inputs["x"]
    exact = {str(line_file): exact_log_evidence(y, np.column_stack([np.ones_like(x), x])),
             str(constant_file): exact_log_evidence(y, np.ones((len(x), 1)))}
    table = Table.read(out)
    assert len(table) == 2
    for row in table:
        truth = exact[row["model"]]
        assert abs(row["log_evidence"] - truth) < 4 * row["log_evidence_err"], row
    # the line is far better (the slope 1 over x in 0..4 is 4 in y, 8 noise sigmas)
    assert table["model"][0] == str(line_file)
    assert exact[str(line_file)] - exact[str(constant_file)] > 5
    assert str(line_file) in table.meta["verdict"] and table.meta["verdict"] in printed
    # negative control: the closed form of the other model is far from each estimate
    assert abs(table["log_evidence"][0] - exact[str(constant_file)]) > 4 * table["log_evidence_err"][0]
