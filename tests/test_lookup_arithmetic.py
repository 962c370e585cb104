"""The day loop's cheaper price arithmetic (issue 30) against the arithmetic it replaced.

* ``interp.smile_value`` (the smile's value inlined, without its slope, reading one row of the
  days axis at a whole day of its daily part) is the old smile bit for bit with one factor;
  with two it blends the z nodes of the two m slices before the one cubic, the same number to
  rounding.
* ``black.black_price_x`` reuses the lookup's log-moneyness: Black to rounding.

The references here are plain Python, written from the formulas (sixteen table reads, a
bilinear blend in (vol, days), the cubic with central node slopes, the sqrt(|z|) wings), not
calls of the kernels. No pricing tables are built: the arithmetic does not depend on their
values, so seeded tables of the real shapes serve.
"""

import math

import numpy as np
import pytest

from simulator.pricing.black import black_price, black_price_x
from simulator.pricing.interp import _smile, smile_value

N_Z, Z_MIN, Z_STEP = 89, -16.0, 0.25
# z inside, on nodes, next to both ends and beyond them
ZS = (-19.0, -16.0, -15.9, -15.75, -3.3, -0.25, 0.0, 0.1, 1.7, 5.5, 5.76, 5.9, 6.0, 8.5)


def _reference_smile(table, im, i, wi, j, wj, z):
    """The smile's value as interp._smile computed it before issue 30 (all 16 reads)."""
    n = N_Z
    z_max = Z_MIN + (n - 1) * Z_STEP
    z_in = min(max(z, Z_MIN), z_max)
    t = (z_in - Z_MIN) / Z_STEP
    if t <= 0.0:
        k, t = 0, 0.0
    elif t >= n - 1:
        k, t = n - 2, 1.0
    else:
        k = min(int(t), n - 2)
        t = t - k

    def blend(kk):
        kk = min(max(kk, 0), table.shape[3] - 1)
        return ((1.0 - wi) * ((1.0 - wj) * table[im, i, j, kk] + wj * table[im, i, j + 1, kk])
                + wi * ((1.0 - wj) * table[im, i + 1, j, kk]
                        + wj * table[im, i + 1, j + 1, kk]))

    f0, f1 = blend(k), blend(k + 1)
    fm = blend(k - 1) if k > 0 else f0 - (f1 - f0)
    f2 = blend(k + 2) if k + 2 < n else f1 + (f1 - f0)
    m0, m1 = 0.5 * (f1 - fm), 0.5 * (f2 - f0)
    t2 = t * t
    t3 = t2 * t
    value = ((2 * t3 - 3 * t2 + 1) * f0 + (t3 - 2 * t2 + t) * m0
             + (-2 * t3 + 3 * t2) * f1 + (t3 - t2) * m1)
    if z_in != z:
        value *= math.sqrt(z / z_in)
    return value


@pytest.fixture(scope="module")
def table():
    return np.random.default_rng(11).uniform(0.1, 0.9, (3, 6, 8, N_Z))


def _cells():
    rng = np.random.default_rng(5)
    for _ in range(40):
        i, j = int(rng.integers(0, 5)), int(rng.integers(0, 7))
        wi = float(rng.choice([0.0, rng.uniform(), 1.0]))
        wj = float(rng.choice([0.0, 0.0, rng.uniform(), 1.0]))  # wj == 0: the one-row read
        yield i, wi, j, wj


def test_one_factor_smile_value_is_the_old_smile_bit_for_bit(table):
    for i, wi, j, wj in _cells():
        for z in ZS:
            want = _reference_smile(table, 0, i, wi, j, wj, z)
            args = (i, wi, j, wj, z, Z_MIN, Z_STEP, float(N_Z))
            assert smile_value(table, 0, 0.0, *args) == want, (i, wi, j, wj, z)
            assert _smile(table, 0, *args)[0] == want, (i, wi, j, wj, z)


def test_two_factor_smile_value_blends_the_nodes_to_rounding(table):
    """Blending the nodes over m, then one cubic, against blending two cubics: the cubic is
    linear in its nodes, so they differ by rounding only (a few ulps of the volatility)."""
    worst = 0.0
    for i, wi, j, wj in _cells():
        for wm in (0.0, 0.3, 0.999):
            for z in ZS:
                want = ((1.0 - wm) * _reference_smile(table, 1, i, wi, j, wj, z)
                        + wm * _reference_smile(table, 2, i, wi, j, wj, z))
                got = smile_value(table, 1, wm, i, wi, j, wj, z, Z_MIN, Z_STEP, float(N_Z))
                worst = max(worst, abs(got - want) / want)
    assert worst < 1e-14, worst
    assert worst > 0.0  # the arithmetic did change: this test would see it go back


def _black_by_hand(forward, strike, s, disc, call):
    d1 = math.log(forward / strike) / s + 0.5 * s
    d2 = d1 - s
    n = lambda x: 0.5 * math.erfc(-x / math.sqrt(2.0))  # noqa: E731
    if call:
        return disc * (forward * n(d1) - strike * n(d2))
    return disc * (strike * n(-d2) - forward * n(-d1))


@pytest.mark.parametrize("forward", [18.0, 5000.0])
def test_black_price_x_is_black_to_rounding(forward):
    """Within 1e-12 of the forward (SPX 5,000: 5e-9 index points) from 1-day options at low
    volatility (total s.d. 0.005) to 2; the intrinsic value at s = 0 exactly."""
    worst = 0.0
    for moneyness in np.linspace(0.5, 1.6, 45):
        strike = forward * moneyness
        x = math.log(strike / forward)
        for s in (0.005, 0.02, 0.1, 0.4, 2.0):
            for call in (True, False):
                got = black_price_x(forward, strike, x, s, 0.99, call)
                worst = max(worst, abs(got - black_price(forward, strike, s, 0.99, call)),
                            abs(got - _black_by_hand(forward, strike, s, 0.99, call)))
        for call in (True, False):
            assert black_price_x(forward, strike, x, 0.0, 0.99, call) == black_price(
                forward, strike, 0.0, 0.99, call)
    assert worst < 1e-12 * forward, worst


def test_the_state_cell_found_by_a_walk_is_the_binary_searchs_bit_for_bit():
    """interp.locate_state_near (a walk from the day before's cell, fill_state_cells) against
    interp.locate_state (a binary search) on both axes of the real tables: every node, points
    next to them, both ends and beyond, zero, negative and NaN variances, from every hint
    (including hints off the axis), and along random paths as the day loop meets them."""
    from simulator.pricing.interp import locate_state, locate_state_near
    from simulator.pricing.tables import TableGrid
    from simulator.pricing.tables2f import M_NODES

    rng = np.random.default_rng(11)
    for nodes in (np.asarray(TableGrid().vol_nodes, dtype=float), np.asarray(M_NODES)):
        assert np.all(np.diff(nodes) > 0.0)  # strictly increasing: the cell is unique
        x = np.concatenate([nodes, np.nextafter(nodes, -1.0), np.nextafter(nodes, 9.0),
                            rng.uniform(0.0, nodes[-1] * 1.1, 300)])
        variances = np.concatenate([x * x, [0.0, -1e-3, np.nan, 1e9]])
        n_checked = 0
        for v in variances:
            want = locate_state(v, nodes)
            for hint in (-3, 0, 1, nodes.size // 2, nodes.size - 2, nodes.size + 4):
                got = locate_state_near(v, nodes, hint)
                assert got[0] == want[0], (v, hint)
                assert got[1] == want[1] or (math.isnan(got[1]) and math.isnan(want[1]))
                n_checked += 1
        assert n_checked > 2000
        walk = np.abs(np.cumsum(rng.normal(0.0, nodes[-1] / 40.0, 2000))) % nodes[-1]
        hint = 0
        for v in walk * walk:
            got = locate_state_near(v, nodes, hint)
            assert got == locate_state(v, nodes)
            hint = got[0]
