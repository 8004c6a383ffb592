"""Shared pytest fixtures."""

import matplotlib

matplotlib.use("Agg")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

# property-based tests: the same examples on every run (derandomize), a
# bounded number of them, no timing deadline, nothing written to the repo
settings.register_profile(
    "pgmsim", derandomize=True, max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("pgmsim")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data shared next to the repository, ``<repo root>/../shared/data``."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"real data not available: {path} does not exist")
    return path
