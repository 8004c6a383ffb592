"""The checks a posterior makes when it is built (pgmsim.fit._posterior_checks)."""

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.fit._posterior_checks import checked_values, plain


def _counts():
    m = pg.Model("counts")
    m.param("lam", pg.Gamma(2.0, 1.0))
    m.data("N", pg.Poisson("lam"), plate="obs")
    return m


def test_checked_values_returns_inputs_and_data():
    fixed, observed = checked_values(_counts(), {"N": [1, 2]}, None)
    assert fixed == {} and observed["N"].tolist() == [1, 2]


def test_checked_values_names_the_missing_data_node():
    with pytest.raises(ValueError, match=r"'N'.*data=\{"):
        checked_values(_counts(), {}, None)


def test_an_unused_parameter_warns_naming_it():
    m = _counts()
    m.param("spare", pg.Normal(0.0, 1.0))
    with pytest.warns(pg.ModelWarning, match="'spare'"):
        m.posterior(data={"N": [1, 2]})


def test_plain_turns_arrays_into_lists():
    assert plain({"a": np.arange(2.0)}) == {"a": [0.0, 1.0]}
