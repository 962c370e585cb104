"""The real-world (P) fit by the simulated method of moments (docs/calibration.md §3).

The moments of :mod:`simulator.calibration.targets` are computed from the market over the
window and from stationary P paths of the trial model (a burn-in year dropped), and the P
parameters minimise the weighted squared differences. Every trial draws the same random
numbers (one seed, Philox counters: path i's draws depend on nothing else), so the objective
moves smoothly with the parameters except where a jump appears or vanishes; the search is
``scipy.optimize.least_squares`` with finite-difference steps of 1 % (larger than those
jumps' effect, smaller than the parameters' precision).

On the paths the VX futures follow a monthly cycle of 21 trading days: the front contract is
1 to 21 days from expiry, the second 21 more, priced by the model at each path-day's state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.calibration.space import Space
from simulator.calibration.targets import (
    ALL_TARGETS,
    CONDITIONAL_TARGETS,
    TARGETS,
    conditional_moments,
    moments,
)
from simulator.common.conventions import MONTH_TRADING_DAYS, TRADING_DAYS_PER_YEAR
from simulator.model.params import Model
from simulator.pricing.affine2 import FutureCurve

# The shared diffusion (sigma_v, sigma_m, rho) is set here: the real-world dynamics of VIX
# decide the drawdowns the tool measures; the second Q fit then prices the curve given them.
# A regime preset (``calibrate(..., regime=True)``) keeps its base model's Q and shared
# diffusion and moves only P's own drift and jumps; a year's autocorrelations of the VIX level
# measure that year, not the regime's persistence, so they are left out of its objective. The
# price jumps' rate (lam) is the year's own: a calm year has no crash (two-factor regimes free
# it since 0.11; svcj_2f_calm_2017 and the other earlier regimes were fitted with it held).
P_REGIME_FREE = {
    "svcj": ("kappa", "theta", "lam", "mu_v"),
    "svcj2": ("kappa", "theta", "kappa_m", "jump_share", "mu_v", "lam"),
}
REGIME_EXCLUDED = ("vix_acf_1", "vix_acf_21", "vix_acf_63")
# A regime fitted with the conditional targets (``calibrate(..., conditional=True)``) leaves
# out the counts of big VIX days, which one year holds a handful of (their sampling error is
# their size), and the factors' correlation, which only m_jump (not a regime parameter) moves.
REGIME_CONDITIONAL_EXCLUDED = ("days_abs_dvix_over_5", "days_dvix_over_30pct", "corr_dv_dm")
P_FREE = {
    "svcj": ("kappa", "theta", "sigma_v", "rho", "lam", "mu_v"),
    "svcj2": ("kappa", "theta", "kappa_m", "sigma_v", "sigma_m", "rho", "jump_share", "mu_v"),
}
FUTURE_NODES = 64
DIFF_STEP = 0.01
LONG_FUTURE_TRADING_DAYS = 40  # the conditional targets' long future (as ``alvh facts``)


@dataclass(frozen=True)
class SimulationDesign:
    """The paths behind each trial's moments: ``n_paths`` paths of ``years`` years, the first
    ``burn_in_years`` dropped (so the state has forgotten its start), one ``seed`` for all
    trials (common random numbers)."""

    n_paths: int = 64
    years: int = 6
    burn_in_years: int = 1
    seed: int = 20_261_202

    @property
    def kept_years(self) -> int:
        return self.n_paths * (self.years - self.burn_in_years)


def path_moments(model: Model, design: SimulationDesign = SimulationDesign(),
                 conditional: bool = False) -> dict:
    """The targets' values on stationary P paths of ``model``; with ``conditional``, the
    :data:`~simulator.calibration.targets.CONDITIONAL_TARGETS` too."""
    from simulator.model.paths import simulate_paths

    n_days = design.years * TRADING_DAYS_PER_YEAR
    paths = simulate_paths(model, design.n_paths, n_days, seed=design.seed, measure="P")
    burn = design.burn_in_years * TRADING_DAYS_PER_YEAR
    spx = paths["spx"].values[:, burn:]
    vix = paths["vix"].values[:, burn:]
    v = paths["v"].values[:, burn:]
    m = paths["m"].values[:, burn:] if model.two_factor else np.full(v.shape, model.Q.theta)
    cycle = np.arange(burn, n_days + 1) % MONTH_TRADING_DAYS
    front_days = MONTH_TRADING_DAYS - cycle  # 21 .. 1
    last = max(2 * MONTH_TRADING_DAYS, LONG_FUTURE_TRADING_DAYS) if conditional \
        else 2 * MONTH_TRADING_DAYS
    curve = FutureCurve(model.Q, np.arange(1, last + 1) / TRADING_DAYS_PER_YEAR,
                        nodes=FUTURE_NODES)
    vx1 = curve.price(v, m, np.broadcast_to(front_days - 1, v.shape))
    vx2 = curve.price(v, m, np.broadcast_to(front_days + MONTH_TRADING_DAYS - 1, v.shape))
    roll = np.broadcast_to(cycle == 0, v.shape)
    out = moments(spx, vix, vx1, vx2, roll)
    if conditional:
        future40 = curve.price(v, m, np.full(v.shape, LONG_FUTURE_TRADING_DAYS - 1))
        out |= conditional_moments(spx, vix, future40, v, m if model.two_factor else None)
    return out


@dataclass
class PFit:
    """The result of :func:`fit_p`: the model, the free parameters, the market and model
    moments and the objective (sum of squared scaled differences)."""

    model: Model
    free: tuple[str, ...]
    market: dict
    fitted: dict
    objective: float
    evaluations: int
    design: SimulationDesign
    excluded: tuple[str, ...] = ()

    @property
    def free_targets(self) -> tuple[str, ...]:
        """The targets in the objective: those the market has over the window, less the
        excluded ones."""
        return objective_targets(self.market, self.excluded)

    def table(self) -> list[dict]:
        """One row per target: name, meaning, market, model, difference, scale."""
        rows = []
        for name, (meaning, scale) in ALL_TARGETS.items():
            if name not in TARGETS and name not in self.market:
                continue
            mk, md = self.market.get(name, np.nan), self.fitted.get(name, np.nan)
            rows.append({"target": name, "meaning": meaning, "market": mk, "model": md,
                         "difference": md - mk, "scale": scale,
                         "in_objective": name in self.free_targets})
        return rows


def objective_targets(market: dict, excluded=()) -> tuple[str, ...]:
    """The targets the market has (the conditional ones only where it holds them)."""
    return tuple(n for n in ALL_TARGETS if np.isfinite(market.get(n, np.nan))
                 and n not in excluded)


def wants_conditional(market: dict) -> bool:
    """Whether the market moments hold any conditional target."""
    return any(n in market for n in CONDITIONAL_TARGETS)


def scaled_differences(model_m: dict, market_m: dict, names=tuple(TARGETS)) -> np.ndarray:
    """(model - market) / scale for each target the market has."""
    return np.array([(model_m[n] - market_m[n]) / ALL_TARGETS[n][1] for n in names
                     if np.isfinite(market_m.get(n, np.nan))])


def fit_p(start: Model, market: dict, free: tuple[str, ...] | None = None, *,
          design: SimulationDesign = SimulationDesign(), max_evaluations: int = 250,
          excluded: tuple[str, ...] = (), progress=None) -> PFit:
    """Fit the P parameters ``free`` (default :data:`P_FREE`) of ``start`` (whose Q, shared
    diffusion and equity premium stay) to the ``market`` moments."""
    from scipy.optimize import least_squares

    free = tuple(free or P_FREE["svcj2" if start.two_factor else "svcj"])
    space = Space("P", free, start)
    count = {"n": 0}
    names = objective_targets(market, excluded)
    cond = wants_conditional(market)

    def residuals(x):
        diff = np.nan_to_num(scaled_differences(path_moments(space.model(x), design, cond),
                                                market, names), nan=10.0)
        count["n"] += 1
        if progress is not None:
            progress(count["n"], float(np.sum(diff**2)))
        return diff

    lo, hi = space.bounds()
    x0 = np.clip(space.start_x(), lo, hi)
    # max_nfev counts steps: the Jacobian's finite differences (one evaluation per free
    # parameter) come on top
    result = least_squares(residuals, x0, bounds=(lo, hi), method="trf", diff_step=DIFF_STEP,
                           x_scale=1.0, ftol=1e-5, xtol=1e-5, max_nfev=max_evaluations)
    model = space.model(result.x)
    fitted = path_moments(model, design, cond)
    objective = float(np.sum(scaled_differences(fitted, market, names) ** 2))
    return PFit(model, free, market, fitted, objective, count["n"], design, tuple(excluded))
