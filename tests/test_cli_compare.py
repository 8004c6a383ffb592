"""pgmsim compare: mistakes are one line naming the flag or model."""

import contextlib
import io

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
