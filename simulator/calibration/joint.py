"""The last step of a calibration: Q's own parameters and all of P's together
(docs/calibration.md §1).

The curve fit alone leaves a long, flat valley in Q: the daily states absorb much of a change
in theta or kappa (on the full window, Q fits 0.05 points apart in RMSE differ by 40 % in
theta). Yet VIX on P paths is a Q function of the P state, so each point of that valley asks
for a different P. The joint objective is the P moments' (:mod:`.real_world`) plus
``(RMSE / Q_SCALE)^2`` of the curve. An RMSE 0.01 point higher (at 0.55) costs as much as two
moments one scale off: the curve keeps priority, and the flat directions go where the moments
want.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.calibration.real_world import (
    PFit,
    SimulationDesign,
    path_moments,
    scaled_differences,
)
from simulator.calibration.risk_neutral import CurvePricer, QFit, evaluate_q
from simulator.calibration.space import Space
from simulator.calibration.targets import TARGETS
from simulator.market.curves import CurveObservations
from simulator.model.params import Model

Q_SCALE = 0.05  # VIX points


@dataclass
class JointFit:
    model: Model
    q_fit: QFit
    p_fit: PFit


def fit_joint(start: Model, obs: CurveObservations, market: dict, q_free: tuple[str, ...],
              p_free: tuple[str, ...], *, design: SimulationDesign, max_evaluations: int = 300,
              progress=None) -> JointFit:
    """Fit ``q_free`` (Q parameters, none shared) and ``p_free`` (P parameters, the shared
    diffusion among them) of ``start`` to the curves ``obs`` and the ``market`` moments."""
    from scipy.optimize import least_squares

    q_space, p_space = Space("Q", q_free, start), Space("P", p_free, start)
    nq = len(q_free)
    names = tuple(n for n in TARGETS if np.isfinite(market.get(n, np.nan)))
    warm = {"states": None}
    count = {"n": 0}
    root_n = np.sqrt(obs.n_obs)

    def model_of(x):
        return p_space.model(x[nq:], base=q_space.model(x[:nq]))

    def residuals(x):
        model = model_of(x)
        pricer = CurvePricer(model, obs)
        v, m, _ = pricer.fit_states(*(warm["states"] or (None, None)))
        if warm["states"] is None:
            warm["states"] = (v, m)
        q_res = (pricer.prices(v, m) - obs.value) / (Q_SCALE * root_n)
        p_res = np.nan_to_num(scaled_differences(path_moments(model, design), market, names),
                              nan=10.0)
        count["n"] += 1
        if progress is not None:
            progress(count["n"], float(np.sum(q_res**2) + np.sum(p_res**2)))
        return np.concatenate([q_res, p_res])

    lo_q, hi_q = q_space.bounds()
    lo_p, hi_p = p_space.bounds()
    lo, hi = np.r_[lo_q, lo_p], np.r_[hi_q, hi_p]
    x0 = np.clip(np.r_[q_space.start_x(), p_space.start_x()], lo, hi)
    # max_nfev counts steps: the Jacobian's finite differences (one evaluation per free
    # parameter) come on top
    result = least_squares(residuals, x0, bounds=(lo, hi), method="trf", diff_step=0.01,
                           x_scale=1.0, ftol=1e-5, xtol=1e-5, max_nfev=max_evaluations)
    model = model_of(result.x)
    q_fit = evaluate_q(model, obs, warm["states"])
    q_fit.free, q_fit.evaluations = q_free, count["n"]
    fitted = path_moments(model, design)
    objective = float(np.sum(scaled_differences(fitted, market, names) ** 2))
    p_fit = PFit(model, p_free, market, fitted, objective, count["n"], design)
    return JointFit(model, q_fit, p_fit)
