"""Shared pytest fixtures."""

import matplotlib

matplotlib.use("Agg")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data shared next to the repository, ``<repo root>/../shared/data``."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"real data not available: {path} does not exist")
    return path
