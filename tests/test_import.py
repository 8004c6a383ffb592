"""A quick start: ``import pgmsim`` and a first fit load no plotting, drawing or
astropy module; the subpackages load on first use.

Each check runs in a fresh interpreter (what is already imported in the test
process would hide an import), and reports which of the heavy packages ended
up in ``sys.modules``. The negative controls show that the check sees them
when a drawing or a table is asked for.
"""

import json
import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "corner", "daft", "astropy")

FIRST_STEP = """
from pgmsim.models import xray_agn
model = xray_agn.build()
inputs = xray_agn.default_inputs()
counts = model.simulate(inputs=inputs, params=xray_agn.TRUTH, seed=1)["N"]
post = model.posterior(data={"N": counts}, inputs=inputs)
res = pg.sample(post, nwalkers=32, nsteps=1, seed=2, initial=xray_agn.TRUTH, progress=False)
"""


def loaded_after(code):
    """Top-level packages of ``HEAVY`` (and pgmsim's subpackages) in
    ``sys.modules`` after ``import pgmsim as pg`` and ``code``, in a fresh
    interpreter."""
    script = ("import json, sys\nimport pgmsim as pg\n" + code
              + "\nprint(json.dumps(sorted(m for m in sys.modules"
                " if m.split('.')[0] in %r or m.startswith('pgmsim.'))))" % (HEAVY,))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.splitlines()[-1]))


def heavy(modules):
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY))


def test_import_loads_no_heavy_package():
    modules = loaded_after("")
    assert heavy(modules) == []
    assert not {"pgmsim.astro", "pgmsim.models", "pgmsim.cli", "pgmsim.draw"} & modules


def test_first_emcee_step_of_xray_agn_loads_no_heavy_package():
    modules = loaded_after(FIRST_STEP)
    assert "pgmsim.models.xray_agn" in modules
    assert heavy(modules) == []


@pytest.mark.parametrize("code, expected", [
    (FIRST_STEP + "model.render()", ["daft", "matplotlib"]),
    (FIRST_STEP + "res.summary()", ["astropy"]),
    (FIRST_STEP + "res.corner()", ["corner", "matplotlib"]),
    ("from pgmsim.astro import io", ["astropy"]),
], ids=["render", "summary", "corner", "astro.io"])
def test_heavy_packages_load_when_asked_for(code, expected):
    """Negative control: the check above sees a heavy package once it is used."""
    assert set(expected) <= set(heavy(loaded_after(code)))


def test_subpackages_are_attributes_loaded_on_first_use():
    modules = loaded_after("assert pg.astro.io.__name__ == 'pgmsim.astro.io'\n"
                           "assert pg.fit.parallel.__name__ == 'pgmsim.fit.parallel'\n"
                           "assert pg.models.__name__ == 'pgmsim.models'\n"
                           "assert pg.draw.layout.__name__ == 'pgmsim.draw.layout'\n"
                           "assert pg.validate.predictive.__name__ == "
                           "'pgmsim.validate.predictive'")
    assert {"pgmsim.astro.io", "pgmsim.draw.layout", "pgmsim.validate.predictive"} <= modules


def test_subpackages_are_listed():
    import pgmsim

    subpackages = ["graph", "distributions", "simulate", "factorize", "draw", "fit",
                   "validate", "astro", "models", "cli"]
    assert set(subpackages) <= set(pgmsim.__all__)
    assert set(subpackages) <= set(dir(pgmsim))
    assert set(pgmsim.__all__) <= set(dir(pgmsim))
    with pytest.raises(AttributeError, match="no attribute 'not_a_module'"):
        pgmsim.not_a_module  # noqa: B018
