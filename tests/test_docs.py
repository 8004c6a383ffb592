"""The documentation: the Sphinx build, the examples in its pages, the docstrings.

``test_sphinx_build`` runs ``sphinx-build -W --keep-going -b html docs <tmp>``,
the documented build, and fails on any warning; the built pages are checked for
the models' figures, the API pages, the notebooks' figures (the build executes
the notebooks, see ``tests/test_notebooks.py``) and for MathJax served without
a network. The docstring tests hold every public name (every name of the
``__all__`` of every pgmsim module, the ready-made models included, and the
public methods of the public classes) to the numpydoc sections the project
promises: Parameters for callables that take parameters, Returns for functions
that return something, and Examples.
"""

import doctest
import enum
import importlib
import inspect
import pkgutil
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import pgmsim
import pgmsim.models
from pgmsim.cli import MODELS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


# ---------------------------------------------------------------------------
# the Sphinx build (the ``built_docs`` fixture of conftest.py: run once a session)
def _public_modules():
    """``pgmsim.<...>`` of every public module and sub-package, ``pgmsim.models`` aside."""
    names = []
    for info in pkgutil.walk_packages(pgmsim.__path__, "pgmsim."):
        parts = info.name.split(".")
        if parts[1] != "models" and not any(p.startswith("_") for p in parts):
            names.append(info.name)
    return names


def test_sphinx_build(built_docs):
    """The docs build with warnings as errors, and no warning of any kind is printed."""
    out, proc = built_docs
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"sphinx-build failed:\n{log[-20000:]}"
    # the tutorials run with a reduced PGMSIM_NOTEBOOK_NSTEPS, as in
    # test_notebooks.py: their short runs' ConvergenceWarning is expected
    warnings = [line for line in proc.stderr.splitlines()
                if ("WARNING" in line or "Warning:" in line or "ERROR" in line)
                and "ConvergenceWarning: the run is not converged" not in line]
    assert not warnings, "sphinx-build printed warnings:\n" + "\n".join(warnings)
    assert (out / "index.html").is_file()


def test_every_model_has_a_page_with_its_figures(built_docs):
    """New models appear by themselves: one page per module of pgmsim.models."""
    out, proc = built_docs
    assert proc.returncode == 0
    images = {p.name for p in (out / "_images").iterdir()}
    for name in MODELS:
        page = out / "_generated" / "models" / f"{name}.html"
        assert page.is_file(), f"no page for model {name!r}"
        html = page.read_text(encoding="utf-8")
        for figure in (f"{name}_pgm.png", f"{name}_pgm_forward.png", f"{name}_corner.png"):
            assert figure in images and figure in html, f"{name}: {figure} missing"
        assert r"\sim" in html, f"{name}: no factorization on the page"
        assert f"pgmsim.models.{name}.build" in html, f"{name}: build() not documented"


def test_every_module_and_notebook_is_in_the_docs(built_docs):
    """An API page per public module, a page per notebook."""
    out, proc = built_docs
    assert proc.returncode == 0
    for name in _public_modules():
        assert (out / "_generated" / "api" / f"{name}.html").is_file(), \
            f"no API page for {name}"
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert (out / "_generated" / "tutorials" / f"{notebook.stem}.html").is_file(), \
            f"notebook {notebook.name} is not in the docs"


EXTERNAL_MATHJAX = re.compile(r"""src=["'](https?:)?//[^"']*mathjax""", re.IGNORECASE)
# how sphinx.ext.mathjax loads MathJax by default: what the check must catch
CDN_MATHJAX = ('<script async="async" '
               'src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>')


def test_math_is_served_locally(built_docs):
    """MathJax comes from the build's own _static folder: no CDN, no network."""
    assert EXTERNAL_MATHJAX.search(CDN_MATHJAX)
    out, _ = built_docs
    assert (out / "_static" / "mathjax" / "tex-chtml.js").is_file()
    external = [str(page.relative_to(out)) for page in out.rglob("*.html")
                if EXTERNAL_MATHJAX.search(page.read_text(encoding="utf-8"))]
    assert not external, f"pages that load MathJax from the network: {external}"
    page = (out / "_generated" / "models" / "xray_agn.html").read_text(encoding="utf-8")
    assert re.search(r'<script[^>]*src="[./]*_static/mathjax/tex-chtml\.js"', page)


class _CellImages(HTMLParser):
    """``src`` of the <img> inside the output of a notebook cell (myst-nb's
    ``cell_output`` containers): the figures a notebook made when it ran."""

    def __init__(self):
        super().__init__()
        self.divs = []  # for each open <div>: whether it is a cell's output
        self.sources = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div":
            self.divs.append("cell_output" in (attrs.get("class") or "").split())
        elif tag == "img" and any(self.divs):
            self.sources.append(attrs.get("src", ""))

    def handle_endtag(self, tag):
        if tag == "div" and self.divs:
            self.divs.pop()


def notebook_figures(html):
    """The figures shown as outputs of notebook cells in an HTML page."""
    parser = _CellImages()
    parser.feed(html)
    return parser.sources


WITHOUT_FIGURES = """<div class="cell docutils container">
<div class="cell_input docutils container"><pre>plt.plot(x)</pre></div>
<div class="cell_output docutils container"><pre>[&lt;Line2D&gt;]</pre></div>
</div>
<p><img alt="a drawing" src="../../_images/sketch.png" /></p>"""


def test_the_figure_check_fails_a_page_without_figures(built_docs):
    """Negative controls: text outputs and an image outside a cell output are no
    figures; the tutorials' index page (a list of links) has none; one figure in an
    output is found."""
    assert notebook_figures(WITHOUT_FIGURES) == []
    with_one = WITHOUT_FIGURES.replace(
        "<pre>[&lt;Line2D&gt;]</pre>", '<img alt="" src="../../_images/fig.png" />')
    assert notebook_figures(with_one) == ["../../_images/fig.png"]
    out, _ = built_docs
    assert notebook_figures((out / "tutorials.html").read_text(encoding="utf-8")) == []


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_tutorial_page_shows_the_notebook_figures(notebook, built_docs, request):
    """Each tutorial page shows the figures its notebook made during the build."""
    if "datasets." in notebook.read_text(encoding="utf-8"):
        request.getfixturevalue("shared_data")  # skips when the real data are absent
    out, _ = built_docs
    page = out / "_generated" / "tutorials" / f"{notebook.stem}.html"
    assert page.is_file(), f"notebook {notebook.name} is not in the docs"
    figures = notebook_figures(page.read_text(encoding="utf-8"))
    assert figures, f"the page of {notebook.name} shows no figure"
    missing = [src for src in figures if not (page.parent / src).is_file()]
    assert not missing, f"the page of {notebook.name} links missing images: {missing}"


# ---------------------------------------------------------------------------
# the examples of the user guide
PAGES_WITH_EXAMPLES = sorted(p for p in DOCS.rglob("*.rst")
                             if "_build" not in p.parts and "_generated" not in p.parts
                             and ">>>" in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", PAGES_WITH_EXAMPLES, ids=lambda p: str(p.relative_to(DOCS)))
def test_examples_in_pages(page):
    """The ``>>>`` examples of the documentation pages give the output they show."""
    result = doctest.testfile(str(page), module_relative=False, verbose=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} example(s) of {page.name} fail (see above)"


# ---------------------------------------------------------------------------
# docstrings of the public names
def _modules():
    names = ["pgmsim", *_public_modules()]
    names += [f"pgmsim.models.{m.name}" for m in pkgutil.iter_modules(pgmsim.models.__path__)
              if not m.name.startswith("_")]
    return names


def _public_names():
    """``module.name`` of every class and function defined where it is exported."""
    out = []
    for modname in _modules():
        module = importlib.import_module(modname)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue  # constants are documented by comments, modules by their pages
            if obj.__module__ != modname:
                continue  # re-exported: checked where it is defined
            out.append(f"{modname}.{name}")
    return out


def _public_methods():
    """``module.Class.method`` of the public methods of the public classes."""
    out = []
    for path in _public_names():
        modname, _, name = path.rpartition(".")
        cls = getattr(importlib.import_module(modname), name)
        if not inspect.isclass(cls) or issubclass(cls, (enum.Enum, BaseException)):
            continue
        for attr, value in vars(cls).items():
            if attr.startswith("_"):
                continue
            if isinstance(value, (classmethod, staticmethod)):
                value = value.__func__
            if inspect.isfunction(value):
                out.append(f"{path}.{attr}")
    return out


def _resolve(path):
    modname, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(modname), name)
    except ModuleNotFoundError:
        return getattr(_resolve(modname), name)


def _documented(obj, sections):
    """Names listed in the given sections of the object's own docstring."""
    from numpydoc.docscrape import NumpyDocString

    doc = NumpyDocString(inspect.getdoc(obj) or "")
    return {name.strip().lstrip("*") for section in sections for entry in doc[section]
            for name in entry.name.split(",")}


def _attribute_docs(cls):
    """Fields documented by a string after them (read from the source, as Sphinx does)."""
    from sphinx.errors import PycodeError
    from sphinx.pycode import ModuleAnalyzer

    try:
        docs = ModuleAnalyzer.for_module(cls.__module__).find_attr_docs()
    except PycodeError:  # no source to read
        return set()
    return {attr for (owner, attr), lines in docs.items()
            if owner == cls.__qualname__ and "".join(lines).strip()}


def docstring_problems(path):
    """What the docstring of the object at ``path`` lacks, as numpydoc codes and text."""
    from numpydoc.validate import validate

    obj = _resolve(path)
    wanted = {"GL08", "PR01", "RT01", "EX01"}
    errors = [(code, message) for code, message in validate(path)["errors"]
              if code in wanted]
    if inspect.isclass(obj):
        if issubclass(obj, enum.Enum):
            errors = [e for e in errors if e[0] != "PR01"]  # members, not constructed
        else:
            # a class documents its constructor's arguments as Parameters, or as
            # Attributes when they are stored as such (dataclasses, results)
            try:
                parameters = list(inspect.signature(obj).parameters.values())
            except ValueError:  # a builtin constructor, e.g. an exception's
                parameters = []
            kinds = {p.kind for p in parameters}
            documented = (_documented(obj, ("Parameters", "Attributes", "Other Parameters"))
                          | _attribute_docs(obj))
            undocumented = [p.name for p in parameters
                            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                            and p.name not in documented]
            star_only = kinds <= {inspect.Parameter.VAR_POSITIONAL,
                                  inspect.Parameter.VAR_KEYWORD}
            errors = [e for e in errors if e[0] != "PR01"]
            if undocumented:
                errors.append(("PR01", f"Parameters {undocumented} not documented"))
            elif star_only and kinds and not documented:
                errors.append(("PR01", "the arguments are not documented"))
    return errors


PUBLIC_NAMES = _public_names()
PUBLIC_METHODS = _public_methods()


def test_the_lists_are_complete():
    assert "pgmsim.graph.model.Model" in PUBLIC_NAMES
    assert "pgmsim.fit.sampling.sample" in PUBLIC_NAMES
    assert "pgmsim.models.xray_agn.build" in PUBLIC_NAMES
    assert "pgmsim.graph.model.Model.param" in PUBLIC_METHODS
    assert "pgmsim.fit.results.SamplingResult.summary" in PUBLIC_METHODS


PROBE = '''
def bare(x):
    """Double x."""
    return 2 * x


def documented(x):
    """Double x.

    Parameters
    ----------
    x : float
        A number.

    Returns
    -------
    float
        Twice ``x``.

    Examples
    --------
    >>> documented(2)
    4
    """
    return 2 * x
'''


def test_docstring_check_catches_a_bare_function(tmp_path, monkeypatch):
    """The check fails a function without Parameters, Returns and Examples, and
    passes the same function documented."""
    (tmp_path / "pgmsim_docs_probe.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "pgmsim_docs_probe", raising=False)
    codes = {code for code, _ in docstring_problems("pgmsim_docs_probe.bare")}
    assert codes == {"PR01", "RT01", "EX01"}
    assert docstring_problems("pgmsim_docs_probe.documented") == []


@pytest.mark.parametrize("path", PUBLIC_NAMES)
def test_public_name_docstring(path):
    """Parameters, Returns (when something is returned) and Examples."""
    problems = docstring_problems(path)
    assert not problems, f"{path}: " + "; ".join(f"{c} {m}" for c, m in problems)


@pytest.mark.parametrize("path", PUBLIC_METHODS)
def test_public_method_docstring(path):
    """Parameters, Returns (when something is returned) and Examples."""
    problems = docstring_problems(path)
    assert not problems, f"{path}: " + "; ".join(f"{c} {m}" for c, m in problems)
