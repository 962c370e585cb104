"""Interpolated pricing tables (the run-time path) against the direct pricers and invariants."""

import dataclasses
import math

import numpy as np
import pytest

import simulator as sim
from simulator.pricing.black import implied_total_sd
from simulator.pricing.interp import QP_EZ2, spx_scale, vix_scale
from simulator.pricing.pricer import Pricer
from simulator.pricing.spx_cos import cos_put_prices
from simulator.pricing.tables import TableGrid, load_tables
from simulator.pricing.vix_direct import vix_future, vix_option_prices

SPOT = 5000.0


@pytest.fixture(scope="module")
def model():
    return sim.load_model("svcj_default")


def _iv(price, forward, strike, disc, tau, call):
    return implied_total_sd(float(price), forward, strike, disc, call) / math.sqrt(tau)


@pytest.mark.parametrize("v", [0.015, 0.04, 0.12, 0.5])
def test_spx_table_within_a_tenth_of_a_vol_point_of_direct_cos(model, v):
    """OTM options, z in [-3, 2] standard deviations, 1 day to 1.4 years, VIX ~17 to ~70."""
    m = model
    pricer = Pricer(m)
    worst = 0.0
    for days in (1, 2, 5, 13, 21, 30, 45, 63, 100, 200, 350):
        tau = days / 252
        forward = SPOT * math.exp((m.r - m.q) * tau)
        disc = math.exp(-m.r * tau)
        scale = spx_scale(v, tau, Pricer(m).tables.qp)
        for z in (-3.0, -2.2, -1.3, -0.6, 0.0, 0.7, 1.4, 2.0):
            strike = forward * math.exp(z * scale)
            call = z >= 0
            table = pricer.spx_option(SPOT, v, days, strike, "call" if call else "put")
            direct = cos_put_prices(SPOT, [strike], v, tau, m.Q, m.r, m.q)[0]
            if call:
                direct += SPOT * math.exp(-m.q * tau) - strike * disc
            err = abs(_iv(table, forward, strike, disc, tau, call)
                      - _iv(direct, forward, strike, disc, tau, call))
            worst = max(worst, err)
    assert worst < 0.001, f"worst implied-vol error {worst * 100:.3f} vol points"


@pytest.mark.parametrize("v", [0.005, 0.015, 0.04, 0.12, 0.5, 1.5])
def test_vix_table_against_direct_futures_and_options(model, v):
    """Futures within 0.05 VIX points; OTM calls within 0.01 points (below the 0.01 tick of cheap
    VIX options) where the grid is fine (sqrt(v) <= 0.5, VIX up to ~50) and 0.025 beyond, where
    nodes are 0.05 apart and a call inherits half its future's error; OTM puts within 0.12
    points (worst next to the model's VIX floor, where they
    are nearly worthless and their implied volatility is filled flat). ITM options follow by
    put–call parity, which the tables satisfy exactly (test_table_put_call_parity)."""
    m = model
    pricer = Pricer(m)
    for days in (1, 3, 7, 21, 30, 45, 90, 150, 200):
        tau = days / 252
        future = float(vix_future(v, tau, m.Q))
        assert abs(pricer.vix_future(v, days) - future) < 0.05, days
        scale = vix_scale(v, tau, Pricer(m).tables.qp)
        for z in (-1.0, -0.5, 0.0, 1.0, 2.0, 3.0):
            strike = future * math.exp(z * scale)
            call_tol = 0.01 if v <= 0.25 else 0.025
            kind, tol = ("call", call_tol) if z >= 0 else ("put", 0.12)
            direct = vix_option_prices(v, tau, [strike], m.Q, m.r, kind=kind)[0]
            assert abs(pricer.vix_option(v, days, strike, kind) - direct) < tol, (days, z, kind)


def test_tables_are_built_once_and_cached_on_disk(model, tmp_path, monkeypatch):
    monkeypatch.setenv("ALVH_CACHE_DIR", str(tmp_path))
    small = TableGrid(vol_max=0.6, days_max=60.0, n_days=33, n_z=13, n_zv=11)
    first = load_tables(model.Q, model.r, model.q, small)
    assert not first.from_cache and first.build_seconds > 0
    again = load_tables(model.Q, model.r, model.q, small)
    assert again.from_cache
    np.testing.assert_array_equal(first.spx_iv, again.spx_iv)
    np.testing.assert_array_equal(first.vix_iv, again.vix_iv)
    # another model, another file; a damaged file is rebuilt, not trusted
    other = load_tables(dataclasses.replace(model.Q, lam=1.0), model.r, model.q, small)
    assert not other.from_cache
    for f in (tmp_path / "tables").iterdir():
        f.write_bytes(b"not an npz")
    assert not load_tables(model.Q, model.r, model.q, small).from_cache


def test_prices_are_finite_and_within_no_arbitrage_bounds_at_the_edges(model):
    m = model
    pricer = Pricer(m)
    v_edges = np.array([0.0, 1e-12, m.variance_from_vix(150.0), 5.0])  # 5.0: beyond the grid
    days = np.array([0.0, 1.0, 45.0, 400.0, 600.0])  # 600: beyond the grid
    spx_strikes = np.array([5.0, 1000.0, 4000.0, 5000.0, 6000.0, 20000.0])
    vv, dd, kk = np.meshgrid(v_edges, days, spx_strikes, indexing="ij")
    for kind in ("call", "put"):
        price = pricer.spx_option(SPOT, vv, dd, kk, kind)
        assert np.isfinite(price).all()
        tau = dd / 252
        fwd_disc = SPOT * np.exp(-m.q * tau)
        k_disc = kk * np.exp(-m.r * tau)
        lower = np.maximum(fwd_disc - k_disc, 0) if kind == "call" else np.maximum(
            k_disc - fwd_disc, 0)
        upper = fwd_disc if kind == "call" else k_disc
        assert np.all(price >= lower - 1e-9) and np.all(price <= upper + 1e-9)
        delta = pricer.spx_delta(SPOT, vv, dd, kk, kind)
        assert np.isfinite(delta).all()
    # at expiry: intrinsic value
    np.testing.assert_allclose(pricer.spx_option(SPOT, 0.04, 0, spx_strikes, "put"),
                               np.maximum(spx_strikes - SPOT, 0))
    vix_strikes = np.array([1.0, 10.0, 20.0, 60.0, 500.0])
    vv, dd, kk = np.meshgrid(v_edges, days, vix_strikes, indexing="ij")
    future = pricer.vix_future(vv, dd)
    assert np.isfinite(future).all() and np.all(future >= m.vix_floor - 1e-9)
    for kind in ("call", "put"):
        price = pricer.vix_option(vv, dd, kk, kind)
        disc = np.exp(-m.r * dd / 252)
        assert np.isfinite(price).all()
        intrinsic = np.maximum(future - kk, 0) if kind == "call" else np.maximum(kk - future, 0)
        assert np.all(price >= disc * intrinsic - 1e-9)
    np.testing.assert_allclose(pricer.vix_option(0.04, 0, vix_strikes, "call"),
                               np.maximum(m.vix_index(0.04) - vix_strikes, 0))


def test_table_prices_decrease_and_are_convex_in_strike(model):
    m = model
    pricer = Pricer(m)
    for v, days in [(0.01, 3), (0.03, 45), (0.2, 30), (0.5, 200)]:
        strikes = np.linspace(3500, 6500, 301)
        call = pricer.spx_option(SPOT, v, days, strikes, "call")
        put = pricer.spx_option(SPOT, v, days, strikes, "put")
        assert np.all(np.diff(call) <= 1e-9) and np.all(np.diff(put) >= -1e-9)
        assert np.all(np.diff(call, 2) >= -1e-6) and np.all(np.diff(put, 2) >= -1e-6)
        vix_strikes = np.linspace(10, 90, 321)
        vcall = pricer.vix_option(v, days, vix_strikes, "call")
        assert np.all(np.diff(vcall) <= 1e-9) and np.all(np.diff(vcall, 2) >= -1e-6)


def test_table_put_call_parity(model):
    m = model
    pricer = Pricer(m)
    strikes = np.linspace(3000, 7000, 41)
    for v, days in [(0.01, 5), (0.04, 45), (0.3, 250)]:
        tau = days / 252
        diff = pricer.spx_option(SPOT, v, days, strikes, "call") - pricer.spx_option(SPOT, v, days,
                                                                           strikes, "put")
        parity = SPOT * math.exp(-m.q * tau) - strikes * math.exp(-m.r * tau)
        np.testing.assert_allclose(diff, parity, atol=1e-8)
        vix_k = np.linspace(12, 60, 25)
        vdiff = pricer.vix_option(v, days, vix_k, "call") - pricer.vix_option(v, days, vix_k, "put")
        forward_value = math.exp(-m.r * tau) * (pricer.vix_future(v, days) - vix_k)
        np.testing.assert_allclose(vdiff, forward_value, atol=1e-8)


@pytest.mark.parametrize("kind", ["call", "put"])
def test_spx_delta_matches_finite_differences(model, kind):
    m = model
    pricer = Pricer(m)
    rng = np.random.default_rng(5)
    for _ in range(60):
        v = rng.uniform(0.005, 0.3)
        days = int(rng.integers(1, 300))
        strike = SPOT * math.exp(rng.uniform(-0.25, 0.12))
        h = 0.01  # index points: a bump far smaller than one z cell
        bumped = pricer.spx_option(np.array([SPOT + h, SPOT - h]), v, days, strike, kind)
        fd = (bumped[0] - bumped[1]) / (2 * h)
        assert abs(pricer.spx_delta(SPOT, v, days, strike, kind) - fd) < 2e-5, (v, days, strike)


def test_public_methods_broadcast(model):
    m = model
    pricer = Pricer(m)
    out = pricer.spx_option(SPOT, np.full((3, 1), 0.04), 45, np.array([4500.0, 5000.0]))
    assert out.shape == (3, 2)
    assert isinstance(pricer.vix_future(0.04, 30), float)
    assert pricer.vix_option(np.array([0.02, 0.04]), 30, 20.0).shape == (2,)
    with pytest.raises(ValueError, match="kind"):
        pricer.spx_option(SPOT, 0.04, 45, 5000.0, kind="straddle")


def test_moneyness_scales_agree_with_the_closed_form_moments(model):
    """The moneyness scales against the moments by a second route: the integrated mean by
    quadrature, the VIX scale by the delta method written out here."""
    from scipy import integrate

    from simulator.model.moments import variance_mean, variance_var
    from simulator.model.vix import vix_coefficients

    m = model
    qp = Pricer(m).tables.qp
    a, b = vix_coefficients(m.Q)
    ez2 = qp[QP_EZ2]  # E[Z_x^2]
    for v in (0.0, 0.02, 0.3):
        for tau in (1 / 252, 0.25, 1.5):
            integrated, _ = integrate.quad(lambda s, v=v: variance_mean(m.Q, v, s), 0, tau)
            spx = math.sqrt(integrated + m.Q.lam * tau * ez2)
            assert spx_scale(v, tau, qp) == pytest.approx(spx, rel=1e-9)
            vix = 0.5 * b * math.sqrt(variance_var(m.Q, v, tau)) / (
                a + b * variance_mean(m.Q, v, tau))
            assert vix_scale(v, tau, qp) == pytest.approx(vix, rel=1e-9)
