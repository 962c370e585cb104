"""The extensions of issue 28 and the conditional fit that uses them (docs/calibration.md §9).

* :func:`shift_swap`: a variance shift ``phi`` (Heston++, Pacati, Pompa & Reno 2018, J. Banking
  & Finance 96) put in place of part of Q's constant-intensity jump term, so that VIX as a
  function of the state, ``100 sqrt(A + B v + C m)``, is exactly as before: ``A`` gains ``phi``
  from the shift and loses as much from a lower Q jump intensity ``lam`` (``B`` and ``C`` do not
  depend on ``lam``). At other windows (VIX9D, VIX3M) ``A`` moves a little (the variance
  jumps' part of ``A`` depends on the window). What moves is where the calm-market variance
  lives: in the SPX diffusion (P and Q alike) instead of in Q's jump premium.
* :func:`fit_conditional`: the P fit (:func:`simulator.calibration.real_world.fit_p`) with the
  conditional targets (:data:`simulator.calibration.targets.CONDITIONAL_TARGETS`) beside the
  averages (by default over P's own parameters; Q stays).
* :func:`q_side_targets`: SKEW and VIX9D at each real day's fitted state against Cboe's.
* :func:`conditional_chain`: the fit behind the ``svcj_2f_conditional`` preset (the swap, Q with
  SKEW and VIX9D, then P with the conditional targets in stages).
"""

from __future__ import annotations

import warnings

from simulator.model.params import FellerConditionWarning, Model

# P's own parameters the conditional fit moves: the drift and the variance jumps (lam1 through
# jump_share, mu_v) and m's co-jump (m_jump, P only)
CONDITIONAL_P_FREE = ("kappa", "theta", "kappa_m", "jump_share", "mu_v", "m_jump")


def shift_swap(model: Model, phi: float) -> Model:
    """``model`` with the variance shift ``phi`` (P and Q) and Q's ``lam`` lowered so that
    ``A`` of VIX^2 = A + B v (+ C m) (30 days) is unchanged. Raises ValueError when Q's
    constant jump term is smaller than ``phi`` (lam would be negative)."""
    from simulator.model.vix import vix_coefficients, vix_state_coefficients

    def a_of(q):
        return (vix_state_coefficients(q) if q.two_factor else vix_coefficients(q))[0]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        a_now = a_of(model.Q)
        a_none = a_of(model.merged({"Q": {"lam": 0.0}}).Q)  # A is affine in lam
        if a_now - a_none < phi:
            raise ValueError(f"phi {phi:g} exceeds Q's constant jump term of VIX^2 "
                             f"({a_now - a_none:.4g}): Q's lam would be negative")
        lam = model.Q.lam * (a_now - phi - a_none) / (a_now - a_none)
        return model.merged({"P": {"phi": float(phi)}, "Q": {"lam": float(lam)}})


def fit_conditional(start: Model, market: dict, *, design=None, max_evaluations: int = 60,
                    free=CONDITIONAL_P_FREE, progress=None):
    """:func:`~simulator.calibration.real_world.fit_p` of ``free`` to ``market`` (the
    averages' moments with the conditional ones merged in)."""
    from simulator.calibration.real_world import SimulationDesign, fit_p

    return fit_p(start, market, free, design=design or SimulationDesign(n_paths=128),
                 max_evaluations=max_evaluations, progress=progress)


def q_side_targets(model: Model, start: str = "2007-01-03", end: str = "2025-12-31") -> dict:
    """SKEW and VIX9D as Q targets (issue 28 item 1): the model's at each real day's fitted
    state (:func:`simulator.calibration.states.curve_history`) against the published index
    that day. SKEW is ``100 - 10 x`` the 30-day risk-neutral skewness from the characteristic
    function (:func:`simulator.calibration.conditional.q_skewness`); VIX9D is the model's 9-day
    log contract. Returns each one's RMSE over the days with a published value and its means by
    VIX bucket (market, model)."""
    import numpy as np

    from simulator.calibration import conditional as cf
    from simulator.calibration.states import curve_history

    hist = curve_history(model, start, end)
    dates, vix = np.asarray(hist.dates), np.asarray(hist.vix)
    v, m = np.asarray(hist.v), np.asarray(hist.m)
    buckets = cf.vix_bucket(vix)
    skew_market = cf._aligned("skew_daily", dates)
    vix9d_market = cf._aligned("vix9d_daily", dates)
    skew = 100.0 - 10.0 * cf.q_skewness(model, v, m)
    vix9d = cf.vix_index_at(model, v, m, cf.VIX9D_YEARS)
    has_skew, has_9d = np.isfinite(skew_market), np.isfinite(vix9d_market)
    return {
        "skew_rmse": float(np.sqrt(np.mean((skew - skew_market)[has_skew] ** 2))),
        "vix9d_rmse": float(np.sqrt(np.mean((vix9d - vix9d_market)[has_9d] ** 2))),
        "skew_market": cf._bucket_means(skew_market, buckets),
        "skew_model": cf._bucket_means(np.where(has_skew, skew, np.nan), buckets),
        "vix9d_over_vix_market": cf._bucket_means(vix9d_market / vix, buckets),
        "vix9d_over_vix_model": cf._bucket_means(np.where(has_9d, vix9d, np.nan) / vix,
                                                 buckets),
        "days": int(dates.size),
    }


# The Q parameters the conditional chain frees: the family's drift and jumps, plus the SPX
# price-jump mean and the constant intensity (SKEW sees them), and the shift phi (shared)
CONDITIONAL_Q_FREE = ("kappa", "theta", "kappa_m", "jump_share", "mu_v", "mu_x", "lam", "phi")
CONDITIONAL_SHARED_FREE = (*CONDITIONAL_P_FREE, "sigma_v", "rho", "sigma_m")
SKEW_WEIGHT = 0.05  # a SKEW point weighs as 0.05 VIX point in the Q fit


def skew_residuals(model: Model, obs, v, m):
    """Model minus Cboe SKEW (index points) at each day of ``obs`` (its fitted states ``v``,
    ``m``), NaN where Cboe has none: SKEW = 100 - 10 x the 30-day risk-neutral skewness of the
    log return from the model's characteristic function
    (:func:`simulator.calibration.conditional.q_skewness`)."""
    import numpy as np

    from simulator.calibration.conditional import _aligned, q_skewness

    market = _aligned("skew_daily", obs.dates)
    return np.ravel(100.0 - 10.0 * q_skewness(model, v, m)) - market


def skew_target(obs, weight: float = SKEW_WEIGHT):
    """SKEW as a Q target for :func:`~simulator.calibration.risk_neutral.fit_q` (``extra``):
    one residual per day with a Cboe SKEW close, ``weight`` x (model - market) in SKEW points,
    beside the curve's residuals in VIX points."""
    import numpy as np

    def residuals(model, v, m):
        s = skew_residuals(model, obs, v, m)
        return weight * s[np.isfinite(s)]

    return residuals


# The P stages of the chain behind svcj_2f_conditional: (free parameters, target scales
# overridden for the stage, least-squares steps). The last two weigh the median VIX and mean
# realised vol harder: without them the fit leaves the median VIX below its fact band (15.0
# against 16.3-19.3), trading it against contango and the share of days below 15.
CONDITIONAL_P_STAGES = (
    (CONDITIONAL_P_FREE, {}, 25),
    (CONDITIONAL_SHARED_FREE, {}, 20),
    (CONDITIONAL_SHARED_FREE, {"vix_median": 0.4, "realised_vol_mean": 0.3}, 20),
    (CONDITIONAL_SHARED_FREE, {"vix_median": 0.2, "realised_vol_mean": 0.3}, 20),
)


# Iteration 2 (docs/calibration.md §9, "Iteration 2"): the stages behind each row of the
# frontier table, each from the row it names (run_p_stages(model, conditional_market(
# state_model=svcj_2f_calibrated), FRONTIER_STAGES[row])). The fitted points trace how the averages'
# bands (median VIX, share above 30, contango) bind against each other in this family; none
# is shipped.
_PRICE_JUMPS = ("mu_x", "sigma_x")  # P's own price-jump law: realised vol without moving VIX
_FREE_I = (*CONDITIONAL_SHARED_FREE, *_PRICE_JUMPS)
_FREE_L = (*CONDITIONAL_P_FREE, "sigma_v", "rho", *_PRICE_JUMPS)  # sigma_m held: VVIX
_SCALES_I = {"vix_median": 0.2, "vix_mean": 0.5, "realised_vol_mean": 0.3,
             "share_contango": 0.004, "share_vix_above_30": 0.01,
             "implied_minus_realised": 0.15}
_SCALES_J = {**_SCALES_I, "share_contango": 0.006, "long_future_slope": 0.02,
             "days_dvix_over_30pct": 0.15}
_SCALES_K = {**_SCALES_J, "vix_median": 0.1, "share_vix_below_13": 0.015,
             "days_abs_dvix_over_5": 0.5}
_SCALES_L = {"vix_median": 0.15, "vix_mean": 0.5, "realised_vol_mean": 0.3,
             "share_contango": 0.005, "share_vix_above_30": 0.006,
             "share_vix_below_13": 0.015, "implied_minus_realised": 0.15,
             "days_abs_dvix_over_5": 0.4}
_SCALES_N = {**_SCALES_L, "vix_median": 0.08, "share_vix_above_30": 0.005}
FRONTIER_STAGES = {
    "I": ((_FREE_I, {**_SCALES_I, "vix_median": 0.25}, 20),  # from svcj_2f_conditional
          (_FREE_I, _SCALES_I, 20)),
    "J": ((_FREE_I, _SCALES_J, 20, {"sigma_m": 2.5}),),  # from svcj_2f_conditional
    "K": ((_FREE_I, _SCALES_K, 12),),  # from J
    "L": ((_FREE_L, _SCALES_L, 15),),  # from svcj_2f_conditional
    "M": ((_FREE_L, _SCALES_L, 15, {"sigma_m": 0.6017}),),  # from K (sigma_m 0.233 -> 0.14)
    "N": ((_FREE_L, _SCALES_N, 6),),  # from L
}
# Iteration 3 (docs/calibration.md §9, "Iteration 3"): P-only jumps of m (lam_m, mu_m) freed
# beside L's parameters (sigma_m held), the +30 % days and the long future's slope weighted
# too. A start that sets m's jumps (or kappa_m) lowers theta so that E[m] (theta plus
# lam_m mu_m / kappa_m plus the co-jumps' share) starts where it was. Row U is the preset
# svcj_2f_conditional_mjump (O, P, Q, S, U in turn from svcj_2f_conditional).
_FREE_O = (*_FREE_L, "lam_m", "mu_m")
_SCALES_O = {**_SCALES_L, "long_future_slope": 0.02, "days_dvix_over_30pct": 0.15}
_SCALES_P = {**_SCALES_O, "vix_median": 0.1, "long_future_slope": 0.01}
_SCALES_Q = {**_SCALES_P, "days_dvix_over_30pct": 0.1}
_SCALES_S = {**_SCALES_Q, "share_contango": 0.004, "share_vix_above_30": 0.005}
_SCALES_T = {**_SCALES_S, "share_vix_above_30": 0.004, "share_vix_below_13": 0.01}
_SCALES_W = {**_SCALES_T, "share_vix_above_30": 0.003, "share_contango": 0.003,
             "vix_median": 0.08}
FRONTIER_STAGES |= {
    "O": ((_FREE_O, _SCALES_O, 15, None,  # from svcj_2f_conditional
           {"lam_m": 1.5, "mu_m": 0.01, "theta": 0.0155}),),
    "P": ((_FREE_O, _SCALES_P, 15),),  # from O
    # from P with m's jumps' variance lam_m 2 mu_m^2 about 6 times P's, theta lowered
    # to keep E[m]
    "Q": ((_FREE_O, _SCALES_Q, 15, None, {"lam_m": 2.12, "mu_m": 0.0222, "theta": 0.0134}),),
    # from svcj_2f_conditional: a slow m (kappa_m 1.5) with rare large jumps, elevated for
    # months after each (E[m] as before)
    "R": ((_FREE_O, _SCALES_Q, 15, None, {"lam_m": 0.75, "mu_m": 0.025, "kappa_m": 1.5,
                                          "theta": 0.0081}),),
    "S": ((_FREE_O, _SCALES_S, 15),),  # from Q
    "U": (((*_FREE_O, "lam"), _SCALES_T, 15),),  # from S, P's constant jump intensity freed
    # from S with a slower m (kappa_m 5.26 -> 3.15; theta lowered to keep E[m])
    "V": (((*_FREE_O, "lam"), _SCALES_T, 15, None, {"kappa_m": 3.15, "theta": 0.0095}),),
    "W": (((*_FREE_O, "lam"), _SCALES_W, 12),),  # from U
    "X": (((*_FREE_O, "lam"), _SCALES_W, 12),),  # from V
}
# Iteration 4 (docs/calibration.md §9, "Iteration 4"): v reverting below m under P
# (v_level, P only) freed beside U's parameters (sigma_m held), from the preset
# svcj_2f_conditional_mjump (row U). A stage that sets v_level raises theta so that
# E[VIX^2] = A + B E[v] + C E[m] (Q's coefficients; moments.two_factor_stationary_means)
# starts where it was. Row AC is the preset svcj_2f_conditional_vlevel (AB, AC from U).
_FREE_AA = (*_FREE_O, "lam", "v_level")
_SCALES_AC = {**_SCALES_W, "days_dvix_over_30pct": 0.05, "long_future_slope": 0.007}
FRONTIER_STAGES |= {
    "AA": ((_FREE_AA, _SCALES_W, 15, None, {"v_level": 0.7, "theta": 0.0221}),),  # from U
    # from U with v_level set to 0.8 and held (theta raised to keep E[VIX^2])
    "AB": (((*_FREE_O, "lam"), _SCALES_W, 15, None, {"v_level": 0.8, "theta": 0.0198}),),
    # from AB (v_level held at 0.8): the +30 % days and the slope weighted harder
    "AC": (((*_FREE_O, "lam"), _SCALES_AC, 12),),
    # from AC with v_level set to 0.7 and held (theta raised to keep E[VIX^2])
    "AD": (((*_FREE_O, "lam"), _SCALES_AC, 12, None, {"v_level": 0.7, "theta": 0.01924}),),
}


def conditional_market(start: str = "1990-01-02", end: str = "2025-12-31",
                       state_model: Model | None = None) -> dict:
    """The market moments the chain's P stages fit: the averages of
    :data:`~simulator.calibration.targets.TARGETS` and the conditional ones over [start, end]
    (the factors' correlation from ``state_model``'s fitted states)."""
    from simulator.calibration.targets import market_conditional_moments, moments
    from simulator.market.curves import market_window

    window = market_window(start, end)
    market = moments(window.spx, window.vix, window.vx1, window.vx2, window.vx2_roll)
    return market | market_conditional_moments(start, end, state_model)


def run_p_stages(model: Model, market: dict, stages, *, design=None, progress=None):
    """The P stages of the chain from ``model``: each ``(free, scales, steps[, start[,
    values]])`` overrides the target scales for the stage (restored after); with ``values``
    (parameter -> value) it first sets those P values, then with ``start`` (parameter ->
    factor) moves P's start values by those factors. Returns (model, steps): the final model
    and each stage's fit (:class:`~.real_world.PFit`)."""
    from simulator.calibration import targets as tg
    from simulator.calibration.real_world import SimulationDesign

    design = design or SimulationDesign(n_paths=128)
    saved = dict(tg.ALL_TARGETS)
    fits = []
    for stage in stages:
        free, scales, evaluations = stage[:3]
        start = stage[3] if len(stage) > 3 else None
        values = stage[4] if len(stage) > 4 else None
        if values:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FellerConditionWarning)
                model = model.merged({"P": {k: float(x) for k, x in values.items()}})
        if start:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FellerConditionWarning)
                model = model.merged({"P": {k: float(f * getattr(model.P, k))
                                            for k, f in start.items()}})
        try:
            for name, scale in scales.items():
                tg.ALL_TARGETS[name] = (tg.ALL_TARGETS[name][0], float(scale))
            fit = fit_conditional(model, market, design=design, max_evaluations=evaluations,
                                  free=free, progress=progress)
        finally:
            tg.ALL_TARGETS.clear()
            tg.ALL_TARGETS.update(saved)
        fits.append(fit)
        model = fit.model
    return model, fits


def conditional_chain(base: Model, start: str = "1990-01-02", end: str = "2025-12-31", *,
                      phi: float = 0.004, design=None, q_evaluations: int = 60,
                      stages=CONDITIONAL_P_STAGES, progress=None):
    """The chain behind ``svcj_2f_conditional`` (docs/calibration.md §9), from ``base``:

    1. :func:`shift_swap` at ``phi`` (VIX(v, m) as before);
    2. Q on every day's curve with VIX9D, and SKEW as a target (:func:`skew_target`),
       freeing :data:`CONDITIONAL_Q_FREE` (phi among them);
    3. P by simulated moments with the conditional targets beside the averages, in the
       stages of :data:`CONDITIONAL_P_STAGES` (:func:`run_p_stages`).

    Returns (model, steps): the final model and each step's. About 15 minutes on 2 cores
    (stages 1-4 about 10)."""
    from simulator.calibration.risk_neutral import fit_q
    from simulator.market.curves import curve_observations

    steps = {"swap": shift_swap(base, phi)}
    obs = curve_observations(start, end, indices=("VIX", "VIX3M", "VIX6M", "VIX9D"))
    q = fit_q(steps["swap"], obs, CONDITIONAL_Q_FREE, max_evaluations=q_evaluations,
              extra=skew_target(obs))
    steps["q"] = model = q.model
    market = conditional_market(start, end, base)
    _, fits = run_p_stages(model, market, stages, design=design, progress=progress)
    for i, fit in enumerate(fits):
        steps[f"p{i + 1}"] = fit.model
    return fits[-1].model if fits else model, steps
