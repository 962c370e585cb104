"""The risk-neutral (Q) fit to the VIX term structure (docs/calibration.md §2).

Every day of the window has its own state, (v, m) with two factors or v alone with one: the
state that best prices that day's observed curve (spot VIX, VIX3M, VIX6M and every listed VX
contract up to six months, each at its own expiry) in least squares, found by a bounded
Gauss-Newton step per day, all days at once. The Q parameters are common to all days and
minimise the squared pricing errors over the whole window (``scipy.optimize.least_squares``,
trust-region reflective within the bounds of :mod:`simulator.calibration.space`).

Prices: a log-contract index of window tau is ``100 sqrt(A + B v + C m)`` exactly
(:func:`simulator.model.vix.vix_state_coefficients`); a future is ``100 E_Q[sqrt(VIX_T^2)]``
by Schürger's identity, with one Riccati pass for every maturity of the window
(:class:`simulator.pricing.affine2.FutureCurve`; a one-factor model is the two-factor one with
m frozen at theta). Errors are in VIX points, every observation weighted alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulator.calibration.space import Space
from simulator.market.curves import CurveObservations
from simulator.model.params import Model
from simulator.model.vix import vix_state_coefficients
from simulator.pricing.affine2 import FutureCurve

FUTURE_NODES = 64  # Schürger nodes: 1e-9 points against the 160-node pricer (tests)
STATE_TOLERANCE = 1e-11  # decimal variance: the daily solve stops below this step
MAX_STATE_ITERATIONS = 40

# The free Q parameters of each family. The SPX price-jump law stays at the start model's: the
# VIX curve sees it only through the small jump term of VIX^2. So does sigma_m: futures barely
# depend on it (a free sigma_m runs to its lower bound, 0.005, and moves the RMSE by 0.01
# point), while it decides how long calm and stressed regimes last under P, so the P fit sets
# it (docs/calibration.md §4).
Q_FREE = {
    "svcj": ("kappa", "theta", "sigma_v", "lam", "mu_v"),
    "svcj2": ("kappa", "theta", "kappa_m", "sigma_v", "jump_share", "mu_v"),
}


@dataclass
class CurvePricer:
    """The model's price of every observation of ``obs`` in per-day states, with the
    derivatives the daily solve needs."""

    model: Model
    obs: CurveObservations
    nodes: int = FUTURE_NODES
    # the futures' maturities to integrate the Riccati equations on (years; default: those
    # of ``obs``). A fixed grid makes a day's prices independent of the other days' contracts
    # (the integration steps depend on the set of maturities, at the 1e-9 level)
    future_taus: np.ndarray | None = None
    # weights of index residuals in the daily solve, e.g. {"VIX": 1e4}: a weighted index row
    # w (100 sqrt(x) - value)^2 is the row 100 sqrt(w x) - sqrt(w) value, so the kernel needs
    # no weights of its own
    index_weights: dict | None = None
    _future: FutureCurve = field(init=False, repr=False)

    def __post_init__(self):
        q = self.model.Q
        fut = self.obs.kind == 1
        self._fut_rows = np.flatnonzero(fut)
        self._idx_rows = np.flatnonzero(~fut)
        taus, self._tau_index = np.unique(self.obs.tenor_years[fut], return_inverse=True)
        if self.future_taus is not None and taus.size:
            grid = np.asarray(self.future_taus, dtype=float)
            self._tau_index = np.searchsorted(grid, self.obs.tenor_years[fut])
            if (self._tau_index >= grid.size).any() or not np.array_equal(
                    grid[self._tau_index], self.obs.tenor_years[fut]):
                raise ValueError("future_taus must hold every futures maturity of obs")
            taus = grid
        self._future = FutureCurve(q, taus, nodes=self.nodes) if taus.size else None
        tenors = self.obs.tenor_years[~fut]
        coef = {t: vix_state_coefficients(q, t) for t in np.unique(tenors)}
        self._a, self._b, self._c = (np.array([coef[t][i] for t in tenors]) for i in range(3))
        self._theta = q.theta

    def prices(self, v, m, gradient: bool = False):
        """Model values (index points) of every observation, states given per day; with
        ``gradient`` also d value / d v and d value / d m."""
        d = self.obs.day
        out = np.empty(self.obs.n_obs)
        dv = np.empty(self.obs.n_obs)
        dm = np.empty(self.obs.n_obs)
        mi = self._m_of(m)
        rows, day = self._idx_rows, d[self._idx_rows]
        x = self._a + self._b * v[day] + self._c * mi[day]
        out[rows] = 100.0 * np.sqrt(x)
        if gradient:
            dv[rows] = 50.0 * self._b / np.sqrt(x)
            dm[rows] = 50.0 * self._c / np.sqrt(x)
        if self._future is not None:
            rows, day = self._fut_rows, d[self._fut_rows]
            res = self._future.price(v[day], mi[day], self._tau_index, gradient=gradient)
            if gradient:
                out[rows], dv[rows], dm[rows] = res
            else:
                out[rows] = res
        return (out, dv, dm) if gradient else out

    def _m_of(self, m):
        if self.model.two_factor:
            return m
        return np.full(self.obs.dates.size, self._theta)

    def fit_states(self, v0=None, m0=None):
        """(v, m, at_edge): each day's least-squares state, kept in v, m >= 0
        (:func:`simulator.calibration.kernels.fit_day_states`); ``at_edge`` marks the days
        whose best state sits on v = 0 or m = 0 (a curve the model cannot make)."""
        from simulator.calibration.kernels import fit_day_states

        n = self.obs.dates.size
        two = self.model.two_factor
        q = self.model.Q
        if v0 is None:
            spot = np.full(n, np.nan)
            is_vix = self.obs.label == "VIX"
            spot[self.obs.day[is_vix]] = self.obs.value[is_vix]
            a, b, c = vix_state_coefficients(q)
            v0 = np.maximum(((spot / 100) ** 2 - a - c * q.theta) / b, 1e-4)
            m0 = np.full(n, q.theta)
        v = np.array(v0, dtype=float)
        m = np.array(m0, dtype=float) if two else np.full(n, q.theta)
        fit_day_states(*self._kernel_args(), two, STATE_TOLERANCE, MAX_STATE_ITERATIONS, v, m)
        at_edge = (v <= 0) | (m <= 0) if two else v <= 0
        return v, (m if two else None), at_edge

    def _kernel_args(self):
        from simulator.calibration.kernels import day_bounds

        n = self.obs.n_obs
        a, b, c = np.zeros(n), np.zeros(n), np.zeros(n)
        a[self._idx_rows], b[self._idx_rows], c[self._idx_rows] = self._a, self._b, self._c
        if not self.model.two_factor:  # m frozen at theta: fold C theta into A
            a[self._idx_rows] += self._c * self._theta
            c[:] = 0.0
        tau_index = np.full(n, -1, dtype=np.int64)
        if self._future is None:
            alpha = beta = gamma = np.zeros((1, 1))
            weight = np.zeros(1)
        else:
            tau_index[self._fut_rows] = self._tau_index
            fc = self._future
            alpha, beta, gamma, weight = fc.alpha, fc.beta, fc.gamma, fc.weight
            if not self.model.two_factor:
                alpha = alpha + gamma * self._theta
                gamma = np.zeros_like(gamma)
        value = self.obs.value
        if self.index_weights:
            w = np.ones(n)
            for label, weight_of_label in self.index_weights.items():
                w[self.obs.label == label] = float(weight_of_label)
            a, b, c, value = a * w, b * w, c * w, value * np.sqrt(w)
        first = day_bounds(self.obs.day, self.obs.dates.size)
        return (first, a, b, c, tau_index, np.ascontiguousarray(alpha),
                np.ascontiguousarray(beta), np.ascontiguousarray(gamma), weight, value)


@dataclass
class QFit:
    """The result of :func:`fit_q`."""

    model: Model
    free: tuple[str, ...]
    v: np.ndarray
    m: np.ndarray | None
    at_edge: np.ndarray
    fitted: np.ndarray  # model value of every observation
    obs: CurveObservations
    evaluations: int
    rmse: float

    def rmse_by(self) -> dict[str, float]:
        """RMSE (points) of each index and of VX1, VX2 (the two nearest contracts each day)
        and of all futures."""
        err = self.fitted - self.obs.value
        out = {}
        for label in ("VIX", "VIX3M", "VIX6M", "VX"):
            rows = self.obs.label == label
            if rows.any():
                out[label] = float(np.sqrt(np.mean(err[rows] ** 2)))
        for k, name in ((0, "VX1"), (1, "VX2")):
            rows = futures_rank(self.obs) == k
            if rows.any():
                out[name] = float(np.sqrt(np.mean(err[rows] ** 2)))
        return out


def futures_rank(obs: CurveObservations) -> np.ndarray:
    """0 for each day's nearest listed contract, 1 for the next, ...; -1 for indices."""
    rank = np.full(obs.n_obs, -1)
    fut = np.flatnonzero(obs.kind == 1)
    order = fut[np.lexsort((obs.days_left[fut], obs.day[fut]))]
    first = np.r_[True, obs.day[order][1:] != obs.day[order][:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(order.size), 0))
    rank[order] = np.arange(order.size) - start
    return rank


def evaluate_q(model: Model, obs: CurveObservations, states=None) -> QFit:
    """Each day's state and the pricing errors of ``model`` on ``obs`` (no fitting)."""
    pricer = CurvePricer(model, obs)
    v, m, edge = pricer.fit_states(*(states or (None, None)))
    fitted = pricer.prices(v, m)
    rmse = float(np.sqrt(np.mean((fitted - obs.value) ** 2)))
    return QFit(model, (), v, m, edge, fitted, obs, 1, rmse)


def fit_q(start: Model, obs: CurveObservations, free: tuple[str, ...] | None = None, *,
          max_evaluations: int = 200, progress=None, extra=None) -> QFit:
    """Fit the Q parameters ``free`` (default :data:`Q_FREE` of the family) of ``start`` to
    every curve of ``obs``; ``progress(evaluations, rmse)`` is called after each evaluation.

    ``extra(model, v, m)``, when given, returns more residuals at the days' fitted states (the
    states stay those of the curve alone), appended to the curve's: e.g. SKEW as a Q target
    (:func:`simulator.calibration.extensions.skew_target`)."""
    from scipy.optimize import least_squares

    family = "svcj2" if start.two_factor else "svcj"
    free = tuple(free or Q_FREE[family])
    space = Space("Q", free, start)
    warm = {"states": None}
    count = {"n": 0}

    def residuals(x):
        model = space.model(x)
        pricer = CurvePricer(model, obs)
        v, m, _ = pricer.fit_states(*(warm["states"] or (None, None)))
        if warm["states"] is None:
            warm["states"] = (v, m)
        r = pricer.prices(v, m) - obs.value
        count["n"] += 1
        if progress is not None:
            progress(count["n"], float(np.sqrt(np.mean(r * r))))
        if extra is not None:
            r = np.concatenate([r, extra(model, v, m)])
        return r

    lo, hi = space.bounds()
    x0 = np.clip(space.start_x(), lo, hi)
    # max_nfev counts steps: the Jacobian's finite differences (one evaluation per free
    # parameter) come on top
    result = least_squares(residuals, x0, bounds=(lo, hi), method="trf", diff_step=1e-4,
                           x_scale=1.0, ftol=1e-6, xtol=1e-6, gtol=1e-8,
                           max_nfev=max_evaluations)
    fit = evaluate_q(space.model(result.x), obs, warm["states"])
    fit.free, fit.evaluations = free, count["n"]
    return fit
