"""Settings for every test and doctest: a non-interactive backend, and no
figure left open between tests (pyplot warns past 20 open figures, and
warnings are errors here)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
