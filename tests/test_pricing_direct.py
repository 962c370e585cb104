"""Direct (reference-quality) pricers against published values and independent methods."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

import simulator as sim
from simulator.model.vix import vix_coefficients
from simulator.pricing.spx_cos import cos_call_prices, cos_put_prices, log_return_cf
from simulator.pricing.vix_direct import variance_transform, vix_future, vix_option_prices

# ---- SPX ---------------------------------------------------------------------------------


def test_fang_oosterlee_heston_reference_value():
    # FO 2008 Table 3: S = K = 100, T = 1, r = q = 0 -> 5.785155450 (docs/model.md §3.3)
    m = sim.load_model("heston_fo2008")
    price = cos_call_prices(100.0, [100.0], m.v0, 1.0, m.Q, 0.0, 0.0)[0]
    assert abs(price - 5.785155450) < 1e-6


def test_dps_svjj_reference_value():
    # Broadie–Kaya / DPS SVJJ: 6.8619 (docs/model.md §3.3; 6.8618755 by two methods there)
    m = sim.load_model("svcj_dps2000")
    price = cos_call_prices(100.0, [100.0], m.v0, 1.0, m.Q, m.r, m.q)[0]
    assert abs(price - 6.8619) < 1e-3
    assert abs(price - 6.8618755) < 1e-6


def _gil_pelaez_call(spot, strike, v, tau, model):
    """C = S e^{-q tau} P1 - K e^{-r tau} P2 by numerical Fourier inversion (Gil-Pelaez 1951)."""
    q, r, div = model.Q, model.r, model.q
    k = math.log(strike / spot)
    forward_growth = math.exp((r - div) * tau)  # phi(-i) = E[S_T/S_t]
    c2 = max(v, 1e-4) * tau + q.lam * tau * 0.01
    upper = 60 / math.sqrt(c2)

    def p(shift):
        def integrand(u):
            phi = log_return_cf(np.array([u - shift]), q, r, div, tau, v)[0]
            if shift:
                phi /= forward_growth
            return (np.exp(-1j * u * k) * phi / (1j * u)).real
        val, _ = integrate.quad(integrand, 1e-12, upper, limit=2000, epsabs=1e-12)
        return 0.5 + val / math.pi

    return spot * math.exp(-div * tau) * p(1j) - strike * math.exp(-r * tau) * p(0)


@pytest.mark.parametrize("preset", ["svcj_default", "bates_dps2000"])
def test_cos_agrees_with_gil_pelaez_over_a_grid(preset):
    m = sim.load_model(preset)
    spot = 100.0
    strikes = np.array([70.0, 90.0, 100.0, 110.0, 130.0])
    for v in (0.01, 0.04, 0.15):
        for tau in (10 / 252, 0.25, 1.0):
            cos = cos_call_prices(spot, strikes, v, tau, m.Q, m.r, m.q)
            ref = np.array([_gil_pelaez_call(spot, k, v, tau, m) for k in strikes])
            np.testing.assert_allclose(cos, ref, atol=2e-6 * spot, err_msg=f"v={v} tau={tau}")


def test_put_call_parity_monotonicity_and_convexity_in_strike():
    m = sim.load_model("svcj_default")
    strikes = np.linspace(3000, 7000, 81)
    for tau in (5 / 252, 45 / 252, 1.0):
        for v in (0.005, 0.03, 0.3):
            put = cos_put_prices(5000.0, strikes, v, tau, m.Q, m.r, m.q)
            call = cos_call_prices(5000.0, strikes, v, tau, m.Q, m.r, m.q)
            parity = 5000 * math.exp(-m.q * tau) - strikes * math.exp(-m.r * tau)
            np.testing.assert_allclose(call - put, parity, atol=1e-9)
            assert np.all(np.diff(put) >= -1e-9) and np.all(np.diff(call) <= 1e-9)
            assert np.all(np.diff(put, 2) >= -1e-7) and np.all(np.diff(call, 2) >= -1e-7)
            assert np.all(call >= np.maximum(parity, 0) - 1e-9) and np.all(put >= 0)


# ---- VIX ---------------------------------------------------------------------------------


def test_vix_future_and_transform_reference_values():
    # docs/model.md §2.3–2.4 [N]: DPS set, T = 0.5, v0 = 0.02: Schürger 13.808 (MC 13.816 ± 0.01);
    # no-jump case 9.62772230 (Schürger = noncentral chi-square); E[exp(-30 v_T)] = 0.6835
    m = sim.load_model("svcj_dps2000")
    assert abs(vix_future(0.02, 0.5, m.Q) - 13.808) < 1e-3
    no_jump = m.merged({"Q": {"lam": 0.0}})
    assert abs(vix_future(0.02, 0.5, no_jump.Q) - 9.62772230) < 1e-7
    assert abs(variance_transform(-30.0, m.Q, 0.5, 0.02).real - 0.6835) < 1e-4


def _ncx2(model):
    """Law of v_T without jumps: a scaled noncentral chi-square (docs/model.md §2.5)."""
    q = model.Q
    a, b = vix_coefficients(q)

    def expect(g, v, tau, lower=0.0):
        c = q.sigma_v**2 * -math.expm1(-q.kappa * tau) / (4 * q.kappa)
        law = stats.ncx2(4 * q.kappa * q.theta / q.sigma_v**2, v * math.exp(-q.kappa * tau) / c,
                         scale=c)
        return law.expect(lambda x: g(100 * np.sqrt(a + b * x)), lb=lower, epsabs=1e-12,
                          epsrel=1e-10, limit=500)

    return expect, a, b


@pytest.mark.parametrize("preset", ["heston_fo2008", "bates_dps2000"])
def test_vix_future_and_calls_without_variance_jumps_match_ncx2(preset):
    m = sim.load_model(preset)
    expect, a, b = _ncx2(m)
    strikes = np.array([10.0, 15.0, 20.0, 25.0, 30.0, 40.0])
    for v, tau in [(0.0175, 30 / 365), (0.04, 0.25), (0.01, 1 / 252), (0.1, 0.5)]:
        assert abs(vix_future(v, tau, m.Q) - expect(lambda x: x, v, tau)) < 1e-7
        calls = vix_option_prices(v, tau, strikes, m.Q, 0.0)
        ref = [expect(lambda x, k=k: np.maximum(x - k, 0), v, tau,
                      max(((k / 100) ** 2 - a) / b, 0.0)) for k in strikes]
        np.testing.assert_allclose(calls, ref, atol=1e-4)  # VIX points


@pytest.mark.parametrize("days", [21, 63])
def test_vix_future_and_calls_with_variance_jumps_match_monte_carlo(days):
    m = sim.load_model("svcj_default")
    paths = sim.simulate_paths(m, 200_000, days, seed=31, measure="Q", substeps=2)
    vix_t = paths.vix.values[:, -1]
    tau = days / 252
    future = vix_future(m.v0, tau, m.Q)
    assert abs(vix_t.mean() - future) < 3 * vix_t.std() / math.sqrt(vix_t.size)
    strikes = np.array([15.0, 20.0, 30.0, 45.0])
    calls = vix_option_prices(m.v0, tau, strikes, m.Q, m.r)
    puts = vix_option_prices(m.v0, tau, strikes, m.Q, m.r, kind="put")
    disc = math.exp(-m.r * tau)
    for k, call, put in zip(strikes, calls, puts, strict=True):
        for price, payoff in ((call, disc * np.maximum(vix_t - k, 0)),
                              (put, disc * np.maximum(k - vix_t, 0))):
            assert abs(payoff.mean() - price) < 3 * payoff.std() / math.sqrt(payoff.size), k


def test_vix_futures_tend_to_a_level_independent_of_today():
    m = sim.load_model("svcj_default")
    v = np.array([0.0, 0.02, 0.1, 0.5])
    long = vix_future(v, 10.0, m.Q)
    assert np.ptp(long) < 1e-3  # today's variance is forgotten
    # and the futures curve is monotone from spot towards it in calm and stressed states
    taus = np.array([1, 21, 63, 126, 252]) / 252
    calm = np.array([vix_future(0.01, t, m.Q) for t in taus])
    stressed = np.array([vix_future(0.3, t, m.Q) for t in taus])
    assert np.all(np.diff(calm) > 0) and np.all(np.diff(stressed) < 0)


def test_vix_calls_decrease_and_are_convex_in_strike():
    m = sim.load_model("svcj_default")
    strikes = np.linspace(10, 80, 141)
    for v, tau in [(0.01, 5 / 252), (0.03, 45 / 252), (0.3, 150 / 252)]:
        calls = vix_option_prices(v, tau, strikes, m.Q, m.r)
        # the series' noise floor is ~1e-7 VIX points
        assert np.all(np.diff(calls) <= 1e-6)
        assert np.all(np.diff(calls, 2) >= -1e-6)
        assert np.all(calls >= 0)
