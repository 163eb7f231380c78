"""Distribution metrics: values pinned to scipy, to hand-computed statistics and to
direct quadrature; sample sizes reported; one-sentence errors for bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import integrate, stats

from mpgan.errors import DataError, MpganError
from mpgan.metrics.stats import (
    cramervonmises_1samp,
    cramervonmises_2samp,
    distribution_report,
    ks_1samp,
    ks_2samp,
    mode_masses,
    moment_errors,
    moments,
    wasserstein1,
    wasserstein1_to_cdf,
)


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(123)
    return rng.normal(0.1, 1.0, 300), rng.normal(0.0, 1.2, 250)


# --------------------------------------------------------------------------- moments


def test_moments_use_unbiased_std():
    assert moments([1.0, 2.0, 3.0, 4.0]) == {"mean": 2.5, "std": pytest.approx(np.sqrt(5 / 3)), "n": 4}


def test_moment_errors_against_values_and_sample():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    e = moment_errors(x, mean=2.0, std=1.0)
    assert e["mean_error"] == pytest.approx(0.5) and e["abs_mean_error"] == pytest.approx(0.5)
    assert e["std_error"] == pytest.approx(np.sqrt(5 / 3) - 1) and e["n_fake"] == 4
    e = moment_errors(x, real=x + 1)
    assert e["mean_error"] == pytest.approx(-1.0) and e["std_error"] == pytest.approx(0.0, abs=1e-12)
    assert e["n_real"] == 4
    with pytest.raises(DataError, match="either real="):
        moment_errors(x, mean=0.0, real=x)
    with pytest.raises(DataError, match="needs a reference"):
        moment_errors(x)


# --------------------------------------------------------------------------- KS and CvM


def test_ks_1samp_equals_scipy_and_the_definition(samples):
    x, _ = samples
    ref = stats.ks_1samp(x, stats.norm.cdf)
    for cdf in (stats.norm(0, 1), stats.norm(0, 1).cdf):
        r = ks_1samp(x, cdf)
        assert r == {"ks": float(ref.statistic), "p_value": float(ref.pvalue), "n": 300}
    f = stats.norm.cdf(np.sort(x))
    i = np.arange(1, 301)
    assert r["ks"] == pytest.approx(max((i / 300 - f).max(), (f - (i - 1) / 300).max()), abs=1e-15)


def test_ks_2samp_equals_scipy_and_the_definition(samples):
    a, b = samples
    ref = stats.ks_2samp(a, b)
    r = ks_2samp(a, b)
    assert r == {"ks": float(ref.statistic), "p_value": float(ref.pvalue), "n_a": 300, "n_b": 250}
    grid = np.concatenate([a, b])
    ecdf = lambda s: np.searchsorted(np.sort(s), grid, side="right") / len(s)  # noqa: E731
    assert r["ks"] == pytest.approx(np.abs(ecdf(a) - ecdf(b)).max(), abs=1e-15)


def test_cramervonmises_equal_scipy_and_the_definition(samples):
    a, b = samples
    ref1 = stats.cramervonmises(a, stats.norm.cdf)
    r1 = cramervonmises_1samp(a, stats.norm(0, 1))
    assert r1 == {"cvm": float(ref1.statistic), "p_value": float(ref1.pvalue), "n": 300}
    n = len(a)
    u = stats.norm.cdf(np.sort(a))
    assert r1["cvm"] == pytest.approx(1 / (12 * n) + (((2 * np.arange(1, n + 1) - 1) / (2 * n) - u) ** 2).sum())

    ref2 = stats.cramervonmises_2samp(a, b)
    r2 = cramervonmises_2samp(a, b)
    assert r2 == {"cvm": float(ref2.statistic), "p_value": float(ref2.pvalue), "n_a": 300, "n_b": 250}
    # Anderson (1962): T = U / (n m (n + m)) - (4 m n - 1) / (6 (m + n)) from pooled ranks
    n, m = len(a), len(b)
    ranks = stats.rankdata(np.concatenate([a, b]))
    r, s = np.sort(ranks[:n]), np.sort(ranks[n:])
    big_u = n * ((r - np.arange(1, n + 1)) ** 2).sum() + m * ((s - np.arange(1, m + 1)) ** 2).sum()
    assert r2["cvm"] == pytest.approx(big_u / (n * m * (n + m)) - (4 * m * n - 1) / (6 * (m + n)))


def test_tests_detect_a_shift():
    rng = np.random.default_rng(0)
    x = rng.normal(0.5, 1, 2000)
    assert ks_1samp(x, stats.norm(0, 1))["p_value"] < 1e-6
    assert cramervonmises_1samp(x, stats.norm(0, 1))["p_value"] < 1e-3
    assert ks_1samp(x, stats.norm(0.5, 1))["p_value"] > 0.01


# --------------------------------------------------------------------------- Wasserstein-1


def test_wasserstein1_between_samples():
    assert wasserstein1([0, 1, 3], [5, 6, 8]) == {"w1": 5.0, "n_a": 3, "n_b": 3}
    rng = np.random.default_rng(1)
    r = wasserstein1(rng.normal(0, 1, 20000), rng.normal(1, 1, 20000))
    assert r["w1"] == pytest.approx(1.0, abs=0.03) and r["n_a"] == r["n_b"] == 20000


def test_wasserstein1_to_cdf_large_normal_sample():
    x = np.random.default_rng(2).normal(0, 1, 100_000)
    assert wasserstein1_to_cdf(x, stats.norm(0, 1))["w1"] < 0.01
    r = wasserstein1_to_cdf(x, stats.norm(0.5, 1).ppf)
    assert r["w1"] == pytest.approx(0.5, abs=0.01) and r["n"] == 100_000


def _w1_by_quadrature(x: np.ndarray, d) -> float:
    """∫|F_n(t) - F(t)| dt, piece by piece between the sorted sample points."""
    x = np.sort(x)
    n = len(x)
    total = integrate.quad(d.cdf, -np.inf, x[0], epsabs=1e-13)[0] + integrate.quad(d.sf, x[-1], np.inf, epsabs=1e-13)[0]
    for i in range(n - 1):
        c = (i + 1) / n
        kink = d.ppf(c)
        total += integrate.quad(lambda t, c=c: abs(c - d.cdf(t)), x[i], x[i + 1],
                                points=[kink] if x[i] < kink < x[i + 1] else None, epsabs=1e-13)[0]
    return total


@pytest.mark.parametrize("dist,n", [(stats.norm(0, 1), 5), (stats.norm(0.3, 2), 50),
                                    (stats.expon(), 40), (stats.rayleigh(), 60)])
def test_wasserstein1_to_cdf_matches_quadrature(dist, n):
    x = dist.rvs(size=n, random_state=np.random.default_rng(n))
    exact = _w1_by_quadrature(x, dist)
    assert wasserstein1_to_cdf(x, dist)["w1"] == pytest.approx(exact, abs=1e-4)
    if n == 5:  # the midpoint shortcut this replaces is visibly off on small samples
        midpoint = np.abs(np.sort(x) - dist.ppf((np.arange(n) + 0.5) / n)).mean()
        assert abs(midpoint - exact) > 0.05


def test_wasserstein1_to_cdf_refuses_what_is_not_a_quantile_function():
    x = np.linspace(-1, 1, 20)
    with pytest.raises(DataError, match="not non-decreasing"):
        wasserstein1_to_cdf(x, stats.norm(0, 1).pdf)
    with pytest.raises(DataError, match=r"\.ppf method"):
        wasserstein1_to_cdf(x, "norm")


# --------------------------------------------------------------------------- mode masses


def _mixture_sample(n=20_000, seed=3):
    rng = np.random.default_rng(seed)
    first = rng.random(n) < 0.2
    return np.where(first, rng.normal(-3, 0.5, n), rng.normal(3, 0.5, n))


@pytest.mark.parametrize("assign", ["nearest", "posterior"])
def test_mode_masses_recover_known_weights(assign):
    r = mode_masses(_mixture_sample(), means=[-3, 3], stds=[0.5, 0.5], weights=[0.2, 0.8], assign=assign)
    assert r["masses"] == pytest.approx([0.2, 0.8], abs=0.02)
    assert r["max_abs_mass_error"] < 0.02 and r["n"] == 20_000 and r["weights"] == [0.2, 0.8]
    assert sum(r["counts"]) == 20_000


def test_mode_masses_flag_a_collapsed_generator():
    r = mode_masses(np.full(100, 3.1), means=[-3, 3], weights=[1, 4])  # weights normalised to 0.2/0.8
    assert r["masses"] == [0.0, 1.0]
    assert r["max_abs_mass_error"] == pytest.approx(0.2)
    with pytest.raises(DataError, match="needs stds"):
        mode_masses(np.zeros(3), means=[-3, 3], assign="posterior")
    with pytest.raises(DataError, match="weights must be 2"):
        mode_masses(np.zeros(3), means=[-3, 3], weights=[1, 1, 1])


# --------------------------------------------------------------------------- report


class _Mixture:
    """A duck-typed Gaussian mixture (mpgan.data.toy.GaussianMixture1D has these attributes)."""

    def __init__(self):
        self.means, self.stds, self.weights = np.array([-3.0, 3.0]), np.array([0.5, 0.5]), np.array([0.2, 0.8])

    def cdf(self, x):
        return sum(w * stats.norm(m, s).cdf(x) for m, s, w in zip(self.means, self.stds, self.weights, strict=True))


def test_distribution_report_against_a_distribution_and_a_sample():
    rng = np.random.default_rng(4)
    dist = stats.rayleigh(scale=1.0)
    fake, real = dist.rvs(size=500, random_state=rng), dist.rvs(size=800, random_state=rng)
    r = distribution_report(fake, real=real, dist=dist)
    assert r["n_fake"] == 500 and r["n_real"] == 800
    assert r["ks_2samp"] == {"ks": ks_2samp(fake, real)["ks"], "p_value": ks_2samp(fake, real)["p_value"],
                             "n_fake": 500, "n_real": 800}
    assert r["ks_1samp"] == ks_1samp(fake, dist) and r["cvm_1samp"] == cramervonmises_1samp(fake, dist)
    assert r["w1_dist"]["w1"] == wasserstein1_to_cdf(fake, dist)["w1"]
    assert r["w1_real"]["w1"] == wasserstein1(fake, real)["w1"]
    assert r["moment_errors_dist"]["ref_mean"] == pytest.approx(dist.mean())
    assert "mode_masses" not in r
    json.loads(json.dumps(r))  # plain Python values only


def test_distribution_report_on_a_mixture_adds_mode_masses():
    fake = _mixture_sample(4000)
    r = distribution_report(fake, dist=_Mixture())
    assert r["mode_masses"]["max_abs_mass_error"] < 0.02
    assert r["moment_errors_dist"]["ref_mean"] == pytest.approx(0.2 * -3 + 0.8 * 3)
    # W1 via the mixture's own (vectorised) quantile function = W1 to a huge sample of it
    huge = _mixture_sample(1_000_000, seed=99)
    assert r["w1_dist"]["w1"] == pytest.approx(stats.wasserstein_distance(fake, huge), abs=0.005)
    assert r["ks_1samp"]["n"] == 4000
    assert "n_real" not in r


@pytest.mark.parametrize("bad,match", [
    (np.array([1.0, np.nan, 2.0]), "1 NaN/infinite values"),
    (np.zeros((5, 2)), r"must be 1-D .* got shape \(5, 2\)"),
    (np.array([1.0]), "at least 2"),
    (["a", "b"], "must be numbers"),
])
def test_bad_samples_raise_one_sentence(bad, match):
    with pytest.raises(DataError, match=match) as info:
        ks_2samp(bad, np.arange(10.0))
    assert isinstance(info.value, MpganError) and "\n" not in str(info.value)


def test_bad_references_raise():
    x = np.arange(10.0)
    with pytest.raises(DataError, match="needs a reference"):
        distribution_report(x)
    with pytest.raises(DataError, match=r"\.cdf method"):
        ks_1samp(x, 3.0)
    with pytest.raises(DataError, match="not a pdf or ppf"):
        ks_1samp(x, stats.norm(0, 1).ppf)


def test_plot_histogram_vs_density(tmp_path):
    from mpgan import plots

    rng = np.random.default_rng(5)
    dist = stats.rayleigh()
    path = plots.plot_histogram_vs_density(
        {"generated": dist.rvs(size=500, random_state=rng), "real": dist.rvs(size=500, random_state=rng)},
        tmp_path / "h.png", density=dist.pdf, title="Rayleigh")
    assert path.stat().st_size > 1000 and path.read_bytes()[:4] == b"\x89PNG"
    plots.plot_histogram_vs_density(np.ones(10), tmp_path / "const.png")  # one array, zero spread
    with pytest.raises(DataError, match="non-empty"):
        plots.plot_histogram_vs_density({"generated": []}, tmp_path / "x.png")
