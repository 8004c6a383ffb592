"""The joint-density factorization, pinned for the X-ray model and a hierarchical model."""

import pgmsim as pg
from pgmsim.models import xray_agn


def hierarchical():
    m = pg.Model("sources")
    m.param("mu_pop", pg.Normal(0.0, 10.0))
    m.param("sigma_pop", pg.HalfNormal(5.0))
    m.plate("sources", index="j")
    m.param("F", pg.Normal("mu_pop", "sigma_pop"), plate="sources")
    m.fixed("t", plate="sources")

    @m.deterministic(plate="sources")
    def rate(F, t):
        return F * t

    m.data("N", pg.Poisson("rate"), plate="sources")
    return m


def test_xray_agn_factorization_latex_and_text():
    f = xray_agn.build().factorization()
    assert f.latex == (
        r"p(x_0,y_0,F,b,\sigma,\{N_k\}) = p(x_0)\,p(y_0)\,p(F)\,p(b)\,p(\sigma)\,"
        r"\prod_k p(N_k\mid x_0,y_0,F,b,\sigma)")
    assert str(f) == ("p(x0, y0, F, b, sigma, {N_k}) = p(x0) p(y0) p(F) p(b) p(sigma) "
                      "prod_k p(N_k | x0, y0, F, b, sigma)")
    assert f._repr_latex_() == "$$\n" + f.latex + "\n$$"


def test_xray_agn_verbose_lists_the_distributions():
    f = xray_agn.build().factorization(verbose=True)
    assert r"x_0 &\sim \mathcal{U}(0, 40)" in f.latex
    assert r"N_k &\sim \mathrm{Poisson}(\mu_k)" in f.latex
    assert "  sigma ~ Uniform(0.5, 4)" in str(f)


def test_hierarchical_factorization_has_one_product_over_sources():
    f = hierarchical().factorization()
    assert f.latex == (
        r"p(\mu_{\mathrm{pop}},\sigma_{\mathrm{pop}},\{F_j\},\{N_j\}) = "
        r"p(\mu_{\mathrm{pop}})\,p(\sigma_{\mathrm{pop}})\,\prod_j \left[p(F_j\mid "
        r"\mu_{\mathrm{pop}},\sigma_{\mathrm{pop}})\,p(N_j\mid F_j)\right]")
    assert str(f) == ("p(mu_pop, sigma_pop, {F_j}, {N_j}) = p(mu_pop) p(sigma_pop) "
                      "prod_j [p(F_j | mu_pop, sigma_pop) p(N_j | F_j)]")
    # the deterministic rate is folded into N's factor; the fixed t is conditioned on
    assert [(x.node, x.given) for x in f.factors][-1] == ("N", ("F",))
