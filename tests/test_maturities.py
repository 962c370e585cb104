"""Maturity constants by whole day (simulator.pricing.maturities) against the formulas they
replace: equal with ``==`` on every day of the table, for one factor and two, and the prices
read through them equal to the prices of the formula route, bit for bit.

No pricing tables are built: bit-identity of the arithmetic does not depend on the values in
the smile tables, so synthetic tables of the real shapes (seeded) serve."""

import math

import numpy as np
import pytest
from numba import njit

import simulator as sim
from simulator.common.conventions import TRADING_DAYS_PER_YEAR
from simulator.pricing import maturities as M
from simulator.pricing.black import black_price_x
from simulator.pricing.interp import (
    G_N_Z,
    G_Z_MIN,
    G_Z_STEP,
    QP_DIV,
    QP_R,
    locate_days,
    spx_scale,
    vix_scale,
)
from simulator.pricing.interp2f import N_QP2, spx_scale_2f, vix_scale_2f
from simulator.pricing.lookups import (
    _smile_value_in_cell,
    condor_in_cell,
    held_condor_in_row,
    kernel_tables,
    spx_implied_vol,
    spx_implied_vol_in_row,
    spx_option,
    spx_scale_of,
    state_cell,
    vix_call_in_cell,
    vix_call_on_future,
    vix_future,
    vix_future_in_cell,
    vix_implied_vol,
    vix_implied_vol_in_row,
    vix_option,
)
from simulator.pricing.tables import TableGrid, q_array
from simulator.pricing.tables2f import M_NODES, q2_array

STATES_V = (0.0, 1e-4, 0.004, 0.015, 0.04, 0.09, 0.2, 0.5, 1.3, 3.0)  # past both ends of the axis
STATES_M = (0.0, 0.01, 0.03, 0.07, 0.2)


def _tables(preset):
    """Kernel tables of ``preset``'s parameters and axes, smiles filled with seeded noise."""
    model = sim.load_model(preset)
    grid = TableGrid()
    g = grid.as_array()
    qp = q_array(model.Q, model.r, model.q)
    two = model.two_factor
    qp2 = q2_array(model.Q, model.r, model.q) if two else np.zeros(N_QP2)
    m_nodes = M_NODES if two else np.zeros(1)
    rng = np.random.default_rng(7)
    shape = (m_nodes.size, grid.n_vol, grid.n_days)
    return kernel_tables(rng.uniform(0.1, 0.9, (*shape, grid.n_z)),
                         rng.uniform(10.0, 40.0, shape),
                         rng.uniform(0.3, 1.5, (*shape, grid.n_zv)), qp, qp2, g,
                         grid.vol_nodes, m_nodes)


@pytest.fixture(scope="module", params=["svcj_default", "svcj_2f_default"])
def tab(request):
    return _tables(request.param)


def _days(tab):
    return range(1, tab.maturity.shape[0])


def test_the_table_reaches_the_end_of_the_days_axis(tab):
    assert tab.maturity.shape == (math.ceil(TableGrid().days_max) + 1, M.N_MC)
    assert np.isnan(tab.maturity[0]).all()  # day 0 is a payoff, never read


def test_each_constant_equals_its_formula_on_every_day(tab):
    qp = tab.qp
    for n in _days(tab):
        row = tab.maturity[n]
        tau = n / TRADING_DAYS_PER_YEAR
        assert row[M.MC_TAU] == tau
        assert row[M.MC_SQRT_TAU] == math.sqrt(tau)
        assert row[M.MC_DISCOUNT] == math.exp(-qp[QP_R] * tau)
        assert row[M.MC_GROWTH] == math.exp((qp[QP_R] - qp[QP_DIV]) * tau)
        assert row[M.MC_LOG_GROWTH] == (qp[QP_R] - qp[QP_DIV]) * tau
        assert (row[M.MC_DAYS_CELL], row[M.MC_DAYS_WEIGHT]) == locate_days(float(n), tab.grid)


def test_the_scales_from_a_row_equal_the_formulas_on_every_day_and_state(tab):
    two = tab.m_nodes.size > 1
    for n in _days(tab):
        row = tuple(tab.maturity[n])
        tau = n / TRADING_DAYS_PER_YEAR
        for v in STATES_V:
            for m in STATES_M if two else (0.0,):
                if two:
                    spx, vix = spx_scale_2f(v, m, tau, tab.qp2), vix_scale_2f(v, m, tau, tab.qp2)
                else:
                    spx, vix = spx_scale(v, tau, tab.qp), vix_scale(v, tau, tab.qp)
                args = (v, m, row, tab.qp, tab.qp2, tab.m_nodes)
                assert M.spx_scale_in_row(*args) == spx, (n, v, m)
                assert M.vix_scale_in_row(*args) == vix, (n, v, m)


@njit
def _condor_by_formulas(cell, spot, v, m, days, strikes, spx_iv, qp, qp2, grid, m_nodes):
    """The condor as condor_in_cell priced it before the table: every maturity constant from
    its formula."""
    tau = days / TRADING_DAYS_PER_YEAR
    forward = spot * math.exp((qp[QP_R] - qp[QP_DIV]) * tau)
    inv_scale = 1.0 / spx_scale_of(v, m, tau, qp, qp2, m_nodes)
    disc = math.exp(-qp[QP_R] * tau)
    j, wj = locate_days(days, grid)
    total = 0.0
    for leg in range(4):
        sign = -1.0 if leg == 0 or leg == 3 else 1.0
        x = math.log(strikes[leg] / forward)  # the smile's log-moneyness, reused by Black
        sigma = _smile_value_in_cell(spx_iv, cell, j, wj, x * inv_scale, grid[G_Z_MIN],
                                     grid[G_Z_STEP], grid[G_N_Z])
        total += sign * black_price_x(forward, strikes[leg], x, sigma * math.sqrt(tau), disc,
                                      leg >= 2)
    return total


def test_prices_through_the_table_equal_the_formula_route_bit_for_bit(tab):
    """Every day of the table (and fractional and far days, which take the formulas), a
    condor against its pre-table arithmetic, a VIX call against vix_option and the implied
    vols of the strike searches against spx_implied_vol and vix_implied_vol, which compute
    every constant from its formula."""
    two = tab.m_nodes.size > 1
    strikes = np.array([4400.0, 4700.0, 5150.0, 5300.0])
    legs = np.empty((1, 4))
    days_list = [*map(float, _days(tab)), 20.5, 600.0]
    for v in (0.004, 0.03, 0.2):
        for m in (0.01, 0.06) if two else (0.0,):
            cell = state_cell(v, m, tab.vol_nodes, tab.m_nodes)
            for days in days_list:
                got = condor_in_cell(cell, 4980.0, v, m, days, *strikes, tab.spx_iv, tab.qp,
                                     tab.qp2, tab.grid, tab.maturity, tab.m_nodes, legs, 0)
                want = _condor_by_formulas(cell, 4980.0, v, m, days, strikes, tab.spx_iv,
                                           tab.qp, tab.qp2, tab.grid, tab.m_nodes)
                assert got == want, (v, m, days)
                assert got == (legs[0, 1] - legs[0, 0]) + legs[0, 2] - legs[0, 3]
                j, wj = locate_days(days, tab.grid)
                assert vix_future_in_cell(cell, j, wj, tab.vix_future) == vix_future(
                    v, m, days, tab.vix_future, tab.qp, tab.qp2, tab.grid, tab.vol_nodes,
                    tab.m_nodes)
                row = M.maturity_row(days, tab.maturity, tab.qp, tab.qp2, tab.grid,
                                     tab.m_nodes)
                for strike in strikes:  # the strike searches' implied vols
                    assert spx_implied_vol_in_row(
                        cell, 4980.0, v, m, row, strike, tab.spx_iv, tab.qp, tab.qp2, tab.grid,
                        tab.m_nodes) == spx_implied_vol(4980.0, v, m, days, strike, tab.spx_iv,
                                                        tab.qp, tab.qp2, tab.grid,
                                                        tab.vol_nodes, tab.m_nodes)
                for strike in (12.0, 25.0, 60.0):
                    call = vix_call_in_cell(cell, v, m, days, strike, tab.vix_future,
                                            tab.vix_iv, tab.qp, tab.qp2, tab.grid,
                                            tab.maturity, tab.m_nodes)
                    assert call == vix_option(v, m, days, strike, True, tab.vix_future,
                                              tab.vix_iv, tab.qp, tab.qp2, tab.grid,
                                              tab.vol_nodes, tab.m_nodes), (v, m, days)
                    on_listed = vix_call_on_future(cell, v, m, days, strike, 21.0, tab.vix_iv,
                                                   tab.qp, tab.qp2, tab.grid, tab.maturity,
                                                   tab.m_nodes)
                    no_table = vix_call_on_future(cell, v, m, days, strike, 21.0, tab.vix_iv,
                                                  tab.qp, tab.qp2, tab.grid,
                                                  tab.maturity[:0], tab.m_nodes)
                    assert on_listed == no_table
                    assert vix_implied_vol_in_row(
                        cell, v, m, row, strike, 21.0, tab.vix_iv, tab.qp, tab.qp2, tab.grid,
                        tab.m_nodes) == vix_implied_vol(v, m, days, strike, 21.0, tab.vix_iv,
                                                        tab.qp, tab.qp2, tab.grid,
                                                        tab.vol_nodes, tab.m_nodes)


@njit(cache=True)
def _held_condor(cell, spot, v, m, row, held, spx_iv, qp, qp2, grid, m_nodes, legs):
    return held_condor_in_row(cell, spot, math.log(spot), v, m, row, held, 0, spx_iv, qp, qp2,
                              grid, m_nodes, legs)


def test_a_held_tranches_mark_from_its_log_strikes_is_the_condor_to_rounding(tab):
    """The day loop marks a held tranche with ln K - (ln S + (r - q) tau) for each leg's
    log-moneyness (lookups.held_condor_in_row) where condor_in_cell takes ln(K / F): the same
    mark and legs to 1e-13 of the spot, on every day of the table, from deep in the money to
    far out, at three states. The bound: x is a difference of two logs near 8.5, so it errs
    by a few ulps of 8.5 (about 4e-15 absolute, not relative to x); a leg moves by dP/dx
    times that, and dP/dx (Black's and the smile's, through z = x / scale) is a few strikes
    at most, so some 1e-10 index points at strikes up to 7,500; 1e-13 x 4,980 = 5e-10. The
    worst seen is 1.35e-10 (two factors). It is not the same bits: x differs in its last
    ulps."""
    two = tab.m_nodes.size > 1
    spot = 4980.0
    worst = 0.0
    legs_want = np.empty((1, 4))
    legs_got = np.empty((1, 4))
    for strikes in ([4400.0, 4700.0, 5150.0, 5300.0], [2500.0, 4975.0, 4985.0, 7500.0],
                    [5100.0, 5200.0, 4800.0, 4900.0]):
        held = np.array([[*strikes, *np.log(strikes)]])
        for v in (0.004, 0.03, 0.2):
            for m in (0.01, 0.06) if two else (0.0,):
                cell = state_cell(v, m, tab.vol_nodes, tab.m_nodes)
                for n in _days(tab):
                    want = condor_in_cell(cell, spot, v, m, float(n), *strikes, tab.spx_iv,
                                          tab.qp, tab.qp2, tab.grid, tab.maturity, tab.m_nodes,
                                          legs_want, 0)
                    got = _held_condor(cell, spot, v, m, tab.maturity[n], held, tab.spx_iv,
                                       tab.qp, tab.qp2, tab.grid, tab.m_nodes, legs_got)
                    worst = max(worst, abs(got - want),
                                np.max(np.abs(legs_got[0] - legs_want[0])))
    assert worst < 1e-13 * spot, worst
    assert worst > 0.0  # rounding differs somewhere: the test would see the old route back


def test_put_layer_marks_through_the_table_equal_spx_option_bit_for_bit(tab):
    """The day loop's SPX put layers (kernels.put_layer_value) read a whole day's constants
    from the table (lookups.spx_option_in_row): the same number as spx_option, which computes
    them from the formulas, for a put and a put spread on every day of the table, in and past
    the ends of the state axes (fractional and far days and expiry take the formula route)."""
    from simulator.strategy.kernels import put_layer_value

    no_table = tab._replace(maturity=tab.maturity[:0])
    days_list = [*map(float, _days(tab)), 20.5, 600.0, 0.0]
    spot = 4980.0
    for v in (0.0, 0.004, 0.03, 0.2, 3.0):
        for m in (0.0, 0.01, 0.06) if tab.m_nodes.size > 1 else (0.0,):
            cell = state_cell(v, m, tab.vol_nodes, tab.m_nodes)
            for days in days_list:
                for strike, low in ((4700.0, 0.0), (4800.0, 4650.0), (5600.0, 3000.0)):
                    got = put_layer_value(strike, low, days, spot, v, m, tab, cell)
                    assert got == put_layer_value(strike, low, days, spot, v, m, no_table, cell)
                    want = spx_option(spot, v, m, days, strike, False, tab.spx_iv, tab.qp,
                                      tab.qp2, tab.grid, tab.vol_nodes, tab.m_nodes)
                    short = 0.0 if low == 0.0 else spx_option(
                        spot, v, m, days, low, False, tab.spx_iv, tab.qp, tab.qp2, tab.grid,
                        tab.vol_nodes, tab.m_nodes)
                    assert got == (want - short, short), (v, m, days, strike)
