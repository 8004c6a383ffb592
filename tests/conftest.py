"""Shared pytest fixtures."""

import matplotlib

matplotlib.use("Agg")

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

# property-based tests: the same examples on every run (derandomize), a
# bounded number of them, no timing deadline, nothing written to the repo
settings.register_profile(
    "pgmsim", derandomize=True, max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("pgmsim")


#: a model file whose function is defined at its top level: it pickles by reference
#: to the file's module, which only the process that loaded the file has
MODEL_FILE = '''
import pgmsim as pg


def doubled(lam):
    return 2.0 * lam


def build():
    m = pg.Model("scaled")
    m.plate("obs", size=5)
    m.param("lam", pg.Gamma(3.0, 1.0))
    m.deterministic("mu", doubled)
    m.data("N", pg.Poisson("mu"), plate="obs")
    return m
'''


@pytest.fixture
def scaled_model_file(tmp_path) -> Path:
    """A model file on disk (``scaled_model.py``): one rate, doubled, five counts."""
    path = tmp_path / "scaled_model.py"
    path.write_text(MODEL_FILE)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data shared next to the repository, ``<repo root>/../shared/data``."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"real data not available: {path} does not exist")
    return path


@pytest.fixture(scope="session")
def notebook_nsteps() -> str:
    """MCMC steps per walker of the notebooks as the test suite runs them
    (``PGMSIM_NOTEBOOK_NSTEPS``): enough to exercise every cell."""
    return "300"


@pytest.fixture(scope="session")
def built_docs(tmp_path_factory, notebook_nsteps):
    """The documented Sphinx build, run once per session: its output folder and log.

    The build executes the notebooks (myst-nb); ``tests/test_docs.py`` checks the
    pages and ``tests/test_notebooks.py`` the executed notebooks, so that they are
    run once. The executed copies lie in ``<output>/../jupyter_execute/``.
    """
    root = Path(__file__).resolve().parents[1]
    out = tmp_path_factory.mktemp("docs") / "html"
    env = dict(os.environ, MPLBACKEND="Agg", PGMSIM_NOTEBOOK_NSTEPS=notebook_nsteps)
    data = root.parent / "shared" / "data"
    if data.is_dir():
        env["PGMSIM_DATA"] = str(data)
    else:  # the notebooks on real data are shown unexecuted, and their tests skip
        env.pop("PGMSIM_DATA", None)
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
         str(root / "docs"), str(out)],
        cwd=root, env=env, capture_output=True, text=True, timeout=2400)
    return out, proc
