"""Execute every teaching notebook in ``notebooks/`` from top to bottom.

Each notebook runs in a fresh ``python3`` Jupyter kernel (nbclient), with a
reduced number of MCMC steps (``PGMSIM_NOTEBOOK_NSTEPS``), the real data of
``../shared/data`` (``PGMSIM_DATA``) and a non-interactive matplotlib backend.
A test fails on any cell error, on a Python warning printed by a cell, and if
the notebook shows no picture. The notebooks are stored without outputs; the
executed copies are discarded.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

#: MCMC steps per walker while testing: enough to exercise every cell
TEST_NSTEPS = "300"
#: seconds allowed to any one cell
CELL_TIMEOUT = 600

# "path:line: SomeWarning: message", as printed by the warnings module
_PRINTED_WARNING = re.compile(r"\b\w*Warning: ")


def _uses_real_data(nb):
    return any("datasets." in cell.source for cell in nb.cells if cell.cell_type == "code")


def _outputs(nb):
    for cell in nb.cells:
        yield from cell.get("outputs", [])


def test_notebooks_exist():
    names = {path.stem for path in NOTEBOOKS}
    expected = {"xray_agn", "xray_cluster", "image_fitting", "prior_map",
                "ccd_calibration", "optimal_extraction", "building_models"}
    assert expected <= names, f"missing notebooks: {sorted(expected - names)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch, request):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    stored = [o for o in _outputs(nb)]
    assert not stored, f"{path.name} is stored with outputs; clear them before committing"
    if _uses_real_data(nb):
        shared_data = request.getfixturevalue("shared_data")  # skips when absent
        monkeypatch.setenv("PGMSIM_DATA", str(shared_data))
    monkeypatch.setenv("PGMSIM_NOTEBOOK_NSTEPS", TEST_NSTEPS)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3",
        # run in a scratch folder: a notebook must not write into the repository
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, with the cell's traceback, on an error

    printed = [o["text"] for o in _outputs(nb)
               if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    warned = [text for text in printed if _PRINTED_WARNING.search(text)]
    assert not warned, f"{path.name} printed warnings:\n" + "\n".join(warned)
    images = [o for o in _outputs(nb) if "image/png" in o.get("data", {})]
    assert images, f"{path.name} shows no picture (no image/png output)"
