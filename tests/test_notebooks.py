"""Every teaching notebook in ``notebooks/`` runs from top to bottom.

The notebooks are executed once, by the documentation build (the session's
``built_docs`` fixture: myst-nb runs each one in a fresh ``python3`` kernel in
a scratch folder, with a reduced number of MCMC steps, ``PGMSIM_NOTEBOOK_NSTEPS``,
the real data of ``../shared/data``, ``PGMSIM_DATA``, and a non-interactive
matplotlib backend). These tests read the executed copies the build leaves in
``<output>/../jupyter_execute/``: a test fails on any cell error, on a cell that
did not run, on a Python warning printed by a cell (except the
``ConvergenceWarning`` of the deliberately shortened runs), and if the notebook
shows no picture. The notebooks are stored without outputs.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# "path:line: SomeWarning: message", as printed by the warnings module
_PRINTED_WARNING = re.compile(r"\b(\w*Warning): ")
# with the reduced PGMSIM_NOTEBOOK_NSTEPS (a few hundred steps, not the notebooks'
# 5000) the runs are too short to converge by design, and pg.sample says so: that
# warning, and no other, is expected
_EXPECTED_WHEN_REDUCED = {"ConvergenceWarning"}
# the colours of IPython's tracebacks
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _code_cells(nb):
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def _uses_real_data(nb):
    return any("datasets." in "".join(cell["source"]) for cell in _code_cells(nb))


def _outputs(nb):
    for cell in _code_cells(nb):
        yield from cell.get("outputs", [])


def _unexpected_warnings(texts, allowed):
    """The printed texts that hold a warning of a category not in ``allowed``."""
    return [text for text in texts if set(_PRINTED_WARNING.findall(text)) - set(allowed)]


def test_only_the_allowed_warnings_pass():
    texts = ["a.py:3: ConvergenceWarning: the run is not converged:\n- bulk ESS ...",
             "a.py:3: ConvergenceWarning: the run ...\nb.py:9: RuntimeWarning: overflow",
             "b.py:9: UserWarning: something else", "no warning here"]
    assert _unexpected_warnings(texts, _EXPECTED_WHEN_REDUCED) == texts[1:3]
    assert _unexpected_warnings(texts, set()) == texts[:3]


def _text(output):
    text = output.get("text", "")
    return text if isinstance(text, str) else "".join(text)


def test_notebooks_exist():
    names = {path.stem for path in NOTEBOOKS}
    expected = {"xray_agn", "xray_cluster", "image_fitting", "prior_map",
                "ccd_calibration", "optimal_extraction", "building_models"}
    assert expected <= names, f"missing notebooks: {sorted(expected - names)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    stored = list(_outputs(nb))
    assert not stored, f"{path.name} is stored with outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, built_docs, notebook_nsteps, request):
    if _uses_real_data(json.loads(path.read_text(encoding="utf-8"))):
        request.getfixturevalue("shared_data")  # skips when the real data are absent
    out, proc = built_docs
    docname = Path("_generated", "tutorials", path.stem)
    report = out / "reports" / docname.with_suffix(".err.log")
    assert not report.is_file(), f"{path.name} failed:\n{_ANSI.sub('', report.read_text())}"
    executed = out.parent / "jupyter_execute" / docname.with_suffix(".ipynb")
    assert executed.is_file(), (f"the docs build did not execute {path.name}:\n"
                                f"{(proc.stdout + proc.stderr)[-5000:]}")
    nb = json.loads(executed.read_text(encoding="utf-8"))

    not_run = [i for i, cell in enumerate(_code_cells(nb)) if not cell["execution_count"]]
    assert not not_run, f"{path.name}: code cells {not_run} did not run"
    errors = [f"{o['ename']}: {o['evalue']}" for o in _outputs(nb)
              if o.get("output_type") == "error"]
    assert not errors, f"{path.name} raised:\n" + "\n".join(errors)
    printed = [_text(o) for o in _outputs(nb)
               if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    allowed = _EXPECTED_WHEN_REDUCED if notebook_nsteps else set()
    warned = _unexpected_warnings(printed, allowed)
    assert not warned, f"{path.name} printed warnings:\n" + "\n".join(warned)
    images = [o for o in _outputs(nb) if "image/png" in o.get("data", {})]
    assert images, f"{path.name} shows no picture (no image/png output)"


def test_the_build_runs_the_notebooks_with_the_reduced_step_count(built_docs, notebook_nsteps,
                                                                   request):
    """The first code cell of each notebook reads PGMSIM_NOTEBOOK_NSTEPS; the
    docs build of the test session sets it, so that the runs stay short."""
    request.getfixturevalue("shared_data")  # xray_agn prints its step count
    out, _ = built_docs
    executed = out.parent / "jupyter_execute" / "_generated" / "tutorials" / "xray_agn.ipynb"
    nb = json.loads(executed.read_text(encoding="utf-8"))
    first = "".join(_text(o) for o in _code_cells(nb)[0].get("outputs", []))
    assert f"{notebook_nsteps} steps x" in first
