"""Sphinx configuration of the pgmsim documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (the
``docs`` extra installs what it needs). Pages that depend on the package (the
ready-made models, the API reference, the command-line help, the tutorials)
are generated at build time by ``docs/_ext/pgmsim_docs.py`` into
``docs/_generated/``. The tutorial notebooks are executed during the build, with
a reduced step count, and their outputs cached beside the build output
(``docs/_build/.jupyter_cache``): a second build does not run them again.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import pgmsim  # noqa: E402

# -- project -----------------------------------------------------------------
project = "pgmsim"
author = "the pgmsim developers"
copyright = "the pgmsim developers"
release = pgmsim.__version__
version = ".".join(release.split(".")[:2])

# -- extensions ----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax served from _static/: no CDN, no network
    "sphinx.ext.viewcode",
    "matplotlib.sphinxext.plot_directive",
    "numpydoc",
    "myst_nb",
    "pgmsim_docs",
]

source_suffix = {".rst": "restructuredtext", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "images", "Thumbs.db", ".DS_Store"]
default_role = "obj"

# -- autodoc, autosummary, numpydoc ---------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # types are written in the numpydoc sections
autodoc_default_options = {"show-inheritance": True}
autosummary_generate = False  # the API pages are written by pgmsim_docs
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- plot directive: figures made by the code of the user guide ---------------------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 96)]
plot_rcparams = {"savefig.bbox": "tight"}

# no intersphinx: the documentation builds without network access

# -- notebooks (myst-nb): executed at build time, outputs cached -------------------
# the cache (a jupyter-cache folder) is chosen by pgmsim_docs: beside the output
# folder, named by a hash of the package's source, so that a change to pgmsim runs
# the notebooks again
nb_execution_mode = "cache"
nb_execution_timeout = 600  # seconds allowed to any one cell
nb_execution_in_temp = True  # a notebook must not write into the repository
nb_execution_raise_on_error = False  # a failing notebook is a warning (-W fails) and
nb_execution_show_tb = True  # its traceback is printed; the other pages still build
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# -- HTML ------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"pgmsim {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": []}

# -- pgmsim_docs: model pages ------------------------------------------------------------
# Each model's corner plot comes from a short emcee run made during the build,
# started at the MAP; the number of steps is cut (and said so on the page) for
# models whose log-posterior is slow, to keep the whole build near two minutes.
pgmsim_docs_nwalkers = 32
pgmsim_docs_max_steps = 600
pgmsim_docs_min_steps = 200
pgmsim_docs_sampling_budget = 15.0  # seconds of sampling per model, at most
pgmsim_docs_workers = None  # processes for the model runs; None: one per CPU

# -- pgmsim_docs: tutorial pages ----------------------------------------------------------
# MCMC steps per walker of the notebooks' runs (PGMSIM_NOTEBOOK_NSTEPS, when it is
# not set already): enough for every output, as in the test suite
pgmsim_docs_notebook_nsteps = 300
# the real data of the X-ray notebooks, when PGMSIM_DATA is not set: the shared data
# folder beside the repository; without it those notebooks are shown unexecuted
pgmsim_docs_data = str(HERE.parent.parent / "shared" / "data")
