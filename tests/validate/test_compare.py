"""pg.compare: evidence and PSIS-LOO side by side, the verdict, the Pareto-k
warning naming the model, and the refusals."""

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.validate.compare import ComparisonWarning

Y = [0.9, 1.3, 0.4, 1.1, 0.7, 1.2]


def posterior(prior, y=Y, sigma=1.0):
    m = pg.Model("mean")
    m.param("mu", prior)
    m.data("y", pg.Normal("mu", sigma), plate="obs")
    return m.posterior(data={"y": y})


@pytest.fixture(scope="module")
def near_and_far():
    near = pg.nested(posterior(pg.Normal(1.0, 0.5)), nlive=50, seed=1, progress=False)
    far = pg.nested(posterior(pg.Normal(3.0, 0.5)), nlive=50, seed=2, progress=False)
    return near, far


def test_table_of_evidence_and_loo_best_first(near_and_far):
    near, far = near_and_far
    table = pg.compare({"far": far, "near": near})
    assert table["model"].tolist() == ["near", "far"]
    assert table.colnames == ["model", "log_evidence", "log_evidence_err",
                              "delta_log_evidence", "elpd_loo", "elpd_loo_se",
                              "delta_elpd_loo", "delta_elpd_se", "pareto_k_bad"]
    assert table["log_evidence"][0] == near.log_evidence
    assert table["delta_log_evidence"][0] == 0.0
    assert np.isclose(table["delta_log_evidence"][1], far.log_evidence - near.log_evidence)
    assert table["delta_log_evidence"][1] < -3
    assert np.isclose(table["delta_elpd_loo"][1], table["elpd_loo"][1] - table["elpd_loo"][0])
    assert table["delta_elpd_se"][0] == 0.0 and table["delta_elpd_se"][1] > 0
    # elpd of six points of unit noise: about -6 x (0.5 ln 2 pi + 0.5)
    assert -12 < table["elpd_loo"][0] < -6
    verdict = table.meta["verdict"]
    assert verdict.startswith("The evidence favours 'near' over 'far' by ln B = ")
    assert "LOO" in verdict


def test_loo_alone_for_emcee_results():
    same = posterior(pg.Normal(1.0, 10.0))
    one = pg.sample(same, nwalkers=8, nsteps=600, seed=1, progress=False)
    wide = posterior(pg.Normal(1.0, 10.0), sigma=5.0)
    two = pg.sample(wide, nwalkers=8, nsteps=600, seed=2, progress=False)
    table = pg.compare({"wide noise": two, "unit noise": one})
    assert np.all(np.isnan(table["log_evidence"]))
    assert table["model"].tolist() == ["unit noise", "wide noise"]
    assert table.meta["verdict"].startswith("LOO prefers 'unit noise'")


def test_pareto_k_warning_names_the_model():
    outlier = posterior(pg.Normal(0.0, 10.0), y=[0.1, -0.2, 0.0, 0.15, -0.1, 9.0],
                        sigma=0.3)
    tight = pg.nested(outlier, nlive=50, seed=3, progress=False)
    calm = pg.nested(posterior(pg.Normal(0.0, 10.0), y=[0.1, -0.2, 0.0, 0.15, -0.1, 9.0],
                               sigma=5.0), nlive=50, seed=4, progress=False)
    with pytest.warns(ComparisonWarning) as caught:
        table = pg.compare({"tight": tight, "calm": calm})
    assert any(str(w.message).startswith("model 'tight': PSIS-LOO is unreliable for")
               for w in caught)
    assert table["pareto_k_bad"][table["model"] == "tight"][0] >= 1


def test_refusals(near_and_far):
    near, far = near_and_far
    with pytest.raises(TypeError, match="dict of model name to result"):
        pg.compare([near, far])
    with pytest.raises(ValueError, match="at least two models, got 1"):
        pg.compare({"near": near})
    orphan = pg.NestedResult(near.samples, np.log(near.weights), near.log_likelihood,
                             near.log_evidence, near.log_evidence_err, near.param_names)
    with pytest.raises(ValueError, match="model 'orphan' carries no posterior"):
        pg.compare({"near": near, "orphan": orphan})
    fewer = pg.nested(posterior(pg.Normal(1.0, 0.5), y=Y[:3]), nlive=30, seed=5,
                      progress=False)
    with pytest.raises(ValueError, match="different numbers of data points"):
        pg.compare({"near": near, "fewer": fewer})
