"""The tutorial pages: the repository's notebooks, executed while the docs build.

Used by ``pgmsim_docs``. At ``config-inited`` :func:`configure` sets the
environment the notebook kernels inherit (the reduced step count, the data
folder, a non-interactive matplotlib backend) and points myst-nb's
jupyter-cache at a folder beside the build output whose name is a hash of
everything the outputs depend on; at ``builder-inited``
:func:`generate_tutorials` copies the notebooks into
``<srcdir>/_generated/tutorials/`` for myst-nb to execute (``nb_execution_mode
= "cache"``), with a note on each page that says how it was run.

myst-nb's cache recognises a notebook by its code alone. Its folder name adds
the source of pgmsim, the step count and the data folder, so that a change to
the package runs the notebooks again, and an unchanged tree does not.

A notebook that reads real data (it calls ``datasets.``) is executed only when
the data set is found; otherwise its page shows it as stored, says why, and the
build log says so too.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from sphinx.util import logging

__all__ = ["TUTORIAL_ORDER", "configure", "generate_tutorials", "uses_real_data"]

logger = logging.getLogger(__name__)

#: order of the tutorials in the docs; notebooks not listed come after, by name
TUTORIAL_ORDER = ("building_models", "xray_agn", "xray_cluster", "image_fitting",
                  "prior_map", "ccd_calibration", "optimal_extraction")

_CACHE_VERSION = "1"

# the IPython profile of the kernels: their own log keeps to errors (ipykernel warns,
# on stderr, that a kernel talks over local TCP, which is how nbclient starts it)
_KERNEL_CONFIG = """c.IPKernelApp.log_level = "ERROR"
c.HistoryManager.enabled = False
"""

_NOTE_RUN = """```{{note}}
This page shows the notebook as the documentation build ran it, with
`PGMSIM_NOTEBOOK_NSTEPS={nsteps}` MCMC steps per walker: enough for every output and
figure, too few for converged posteriors (the autocorrelation checks say so). Run the
notebook yourself, from the repository's `notebooks/` folder, for the full run.
```"""

_NOTE_NO_DATA = """```{{note}}
This page shows the notebook without its outputs: the real data it reads
({names}) were not found in `{folder}` when the documentation was built. Point
`PGMSIM_DATA` at the folder that holds them (see {{doc}}`/user_guide/fits_data`) and
build again to see the outputs, or run the notebook yourself.
```"""


def uses_real_data(notebook):
    """Whether a notebook (a dict read from ``.ipynb``) reads a real data set."""
    return any("datasets." in "".join(cell["source"]) for cell in notebook["cells"]
               if cell["cell_type"] == "code")


def _missing_datasets():
    """Names of the data sets of :mod:`pgmsim.astro.datasets` not in its folder."""
    from pgmsim.astro import datasets

    folder = datasets.data_dir()
    return [name for name, files in datasets.DATASETS.items()
            if not all((folder / name / f).is_file() for f in files)]


def _outputs_key(nsteps):
    """Hash of what the notebooks' outputs depend on, besides their code."""
    import pgmsim

    digest = hashlib.sha256(_CACHE_VERSION.encode())
    package = Path(pgmsim.__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    digest.update(f"{nsteps} {os.environ.get('PGMSIM_DATA', '')}".encode())
    return digest.hexdigest()[:16]


def configure(app, config):
    """Set the kernels' environment and the execution cache (``config-inited``)."""
    nsteps = str(config.pgmsim_docs_notebook_nsteps)
    os.environ.setdefault("PGMSIM_NOTEBOOK_NSTEPS", nsteps)
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's own warning
    data = config.pgmsim_docs_data
    if not os.environ.get("PGMSIM_DATA") and data and Path(data).is_dir():
        os.environ["PGMSIM_DATA"] = str(Path(data).resolve())
    build = Path(app.outdir).parent
    if "IPYTHONDIR" not in os.environ:  # the user's own profile stays out of the pages
        profile = build / ".ipython" / "profile_default" / "ipython_kernel_config.py"
        profile.parent.mkdir(parents=True, exist_ok=True)
        profile.write_text(_KERNEL_CONFIG, encoding="utf-8")
        os.environ["IPYTHONDIR"] = str(profile.parent.parent)
    if config.nb_execution_cache_path:
        return  # chosen in conf.py: used as is
    caches = build / ".jupyter_cache"
    current = caches / _outputs_key(os.environ["PGMSIM_NOTEBOOK_NSTEPS"])
    if caches.is_dir():
        for stale in caches.iterdir():  # made from another state of the package
            if stale != current:
                shutil.rmtree(stale, ignore_errors=True)
    config.nb_execution_cache_path = str(current)


def _page_notebook(path, missing):
    """The notebook at ``path`` as its page shows it: a note after the title cell,
    and execution off when it reads data that are missing."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    if missing and uses_real_data(notebook):
        from pgmsim.astro import datasets

        note = _NOTE_NO_DATA.format(names=", ".join(f"`{n}`" for n in missing),
                                    folder=datasets.data_dir())
        notebook["metadata"]["mystnb"] = {"execution_mode": "off"}
        logger.info(f"pgmsim_docs: {path.name} is shown without outputs: "
                    f"data set(s) {', '.join(missing)} not found in "
                    f"{datasets.data_dir()} (set PGMSIM_DATA)")
    else:
        note = _NOTE_RUN.format(nsteps=os.environ.get("PGMSIM_NOTEBOOK_NSTEPS", ""))
    cell = {"cell_type": "markdown", "id": "pgmsim-docs-note", "metadata": {},
            "source": note.splitlines(keepends=True)}
    notebook["cells"].insert(1, cell)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def generate_tutorials(app, gen, write):
    """Write ``tutorials/*.ipynb`` and ``tutorials.inc`` under ``gen``.

    ``write(path, text)`` writes a file only when its content changes.
    """
    notebooks = Path(app.srcdir).parent / "notebooks"
    found = sorted(notebooks.glob("*.ipynb")) if notebooks.is_dir() else []
    rank = {n: i for i, n in enumerate(TUTORIAL_ORDER)}
    found.sort(key=lambda p: (rank.get(p.stem, len(rank)), p.stem))
    folder = gen / "tutorials"
    folder.mkdir(parents=True, exist_ok=True)
    missing = _missing_datasets() if found else []
    for path in found:
        write(folder / path.name, _page_notebook(path, missing))
    names = {p.name for p in found}
    for stale in folder.glob("*.ipynb"):
        if stale.name not in names:
            stale.unlink()
    if found:
        text = ".. toctree::\n   :maxdepth: 1\n\n" + "\n".join(
            f"   _generated/tutorials/{p.stem}" for p in found) + "\n"
    else:
        text = ("*No notebook is in the repository's* ``notebooks/`` *folder "
                "yet.*\n")
    write(gen / "tutorials.inc", text)
