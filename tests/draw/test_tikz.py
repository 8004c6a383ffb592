"""The tikz-bayesnet export: the same nodes, kinds, plates, edges and positions as the layout.

No TeX installation is needed for the structural checks; the compile test
runs where ``pdflatex`` and ``tikz-bayesnet`` are installed and is skipped
otherwise.
"""

import re
import shutil
import subprocess

import pytest

import pgmsim as pg
from pgmsim.cli import main
from pgmsim.draw.layout import layout
from pgmsim.draw.tikz import tikz_name, to_tikz
from pgmsim.models import xray_agn

from test_layout import BUILDERS

NODE = re.compile(r"\\node\[([^\]]*)\] \(([^)]*)\) at \(([-\d.]+), ([-\d.]+)\)")
EDGE = re.compile(r"\\edge(\[-\])? \{([^}]*)\} \{([^}]*)\}")
PLATE = re.compile(r"\\plate\[inner sep=0pt\] \{([^}]*)\}")
CORNER = re.compile(r"\\coordinate \(([^)]*)\) at \(([-\d.]+), ([-\d.]+)\)")


def unbalanced_braces(source):
    depth = 0
    for char in source.replace(r"\{", "").replace(r"\}", ""):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return True
    return depth != 0


@pytest.mark.parametrize("name", list(BUILDERS))
def test_tikz_has_every_node_edge_and_plate_at_the_layout_positions(name):
    assert_tikz_matches_layout(BUILDERS[name]())


def assert_tikz_matches_layout(model):
    """The TikZ source of ``model`` has its nodes (kinds included), edges,
    links and plates, at the positions of its layout (the PNG's)."""
    plan = layout(model)
    source = to_tikz(model)
    assert not unbalanced_braces(source)
    nodes = {n: (style, float(x), float(y)) for style, n, x, y in NODE.findall(source)}
    assert set(nodes) == {tikz_name(n) for n in model.graph}
    for n, (x, y) in plan.positions.items():
        style, tx, ty = nodes[tikz_name(n)]
        assert (tx, ty) == pytest.approx((x, y), abs=1e-4)
        expected = {"parameter": "latent", "data": "obs", "fixed": "const",
                    "deterministic": "det", "factor": "factor"}[model.node(n).kind.value]
        assert style.split(",")[0] == expected
    edges = {(a, b) for undirected, a, b in EDGE.findall(source) if not undirected}
    assert edges == {(tikz_name(a), tikz_name(b)) for a, b in model.graph.edges}
    links = {(a, b) for undirected, a, b in EDGE.findall(source) if undirected}
    assert links == {(tikz_name(a), tikz_name(b)) for a, b in plan.links}
    assert set(PLATE.findall(source)) == {tikz_name(p, "p") for p in plan.plates}
    corners = {c: (float(x), float(y)) for c, x, y in CORNER.findall(source)}
    assert len(corners) == 2 * len(plan.plates)
    for p, (x, y, w, h) in plan.plates.items():
        assert corners[tikz_name(p, "sw")] == pytest.approx((x, y), abs=1e-4)
        assert corners[tikz_name(p, "ne")] == pytest.approx((x + w, y + h), abs=1e-4)


def test_the_structure_check_catches_a_broken_source():
    """Negative control of the regular expressions and the brace count."""
    source = to_tikz(xray_agn.build())
    assert unbalanced_braces(source.replace("{$N_k$}", "{$N_k$"))
    assert tikz_name("N") not in {n for _, n, _, _ in NODE.findall(
        source.replace("(n-N) at", "(n-M) at"))}


def test_forward_view_and_standalone_document():
    m = xray_agn.build()
    assert r"\node[latent] (n-N)" in to_tikz(m, observed=False)
    doc = m.render(format="tikz", standalone=True)
    assert doc.startswith(r"\documentclass[tikz]{standalone}")
    assert r"\usetikzlibrary{bayesnet}" in doc and doc.rstrip().endswith(r"\end{document}")
    assert to_tikz(m) in doc and r"\documentclass" not in to_tikz(m)


def test_plate_labels_are_escaped_and_an_unknown_format_is_refused():
    m = pg.Model("escaped")
    m.plate("my_stars", label="my_stars 100%")
    m.param("a", pg.Normal(0, 1), plate="my_stars")
    assert r"{my\_stars 100\%}" in to_tikz(m)
    with pytest.raises(ValueError, match="format must be 'daft' or 'tikz', got 'svg'"):
        m.render(format="svg")
    with pytest.raises(ValueError, match="model 'empty' has no nodes to draw"):
        to_tikz(pg.Model("empty"))


def test_render_command_writes_tikz_and_refuses_standalone_for_an_image(tmp_path, capsys):
    out = tmp_path / "pgm.tex"
    assert main(["render", "xray_agn", "-o", str(out), "--standalone"]) == 0
    assert out.read_text() == xray_agn.build().render(format="tikz", standalone=True)
    assert main(["render", "xray_agn", "-o", str(tmp_path / "fig.tex")]) == 0
    assert not (tmp_path / "fig.tex").read_text().startswith(r"\documentclass")
    with pytest.raises(SystemExit, match="--standalone makes a LaTeX document"):
        main(["render", "xray_agn", "-o", str(tmp_path / "pgm.png"), "--standalone"])
    assert not (tmp_path / "pgm.png").exists()


TEX = shutil.which("pdflatex")
BAYESNET = shutil.which("kpsewhich") and subprocess.run(
    ["kpsewhich", "tikzlibrarybayesnet.code.tex"], capture_output=True, text=True).stdout


@pytest.mark.skipif(not (TEX and BAYESNET),
                    reason="no pdflatex with tikz-bayesnet on this machine")
@pytest.mark.parametrize("name", list(BUILDERS))
def test_the_standalone_document_compiles(tmp_path, name):
    (tmp_path / "pgm.tex").write_text(to_tikz(BUILDERS[name](), standalone=True))
    subprocess.run([TEX, "-interaction=nonstopmode", "-halt-on-error", "pgm.tex"],
                   cwd=tmp_path, check=True, capture_output=True, timeout=120)
    assert (tmp_path / "pgm.pdf").stat().st_size > 1000


def test_every_node_and_plate_gets_its_own_tikz_name():
    """Names that differ only in characters TikZ cannot take (Greek letters,
    underscores against a plate's corner) stay apart."""
    names = ["σ", "τ", "a_b", "ab", "a_sw", "x_0"]
    assert len({tikz_name(n) for n in names}) == len(names)
    assert tikz_name("m_obs") == "n-m-obs"
    m = pg.Model("greek")
    _ = m.param("σ", pg.HalfNormal(1.0)); _ = m.param("τ", pg.HalfNormal(1.0))
    _ = m.data("y", pg.Normal("σ", "τ"), plate="a")
    _ = m.data("z", pg.Normal("σ", "τ"), plate="a_sw")
    source = to_tikz(m)
    nodes = [n for _, n, _, _ in NODE.findall(source)]
    assert len(set(nodes)) == len(nodes) == 4
    defined = set(nodes) | set(PLATE.findall(source)) | {
        c for c, _, _ in CORNER.findall(source)}
    assert len(defined) == 4 + 2 + 4
