"""Calibration of the model to the shipped SPX/VIX history (docs/calibration.md).

``calibrate(family, start, end)`` fits, in this order:

1. **Q** to the VIX term structure (:mod:`.risk_neutral`): every day's curve (VIX, VIX3M,
   VIX6M, the listed VX contracts by their real expiry) priced at that day's own state, the
   parameters common to all days.
2. **P** by the simulated method of moments (:mod:`.real_world`): the moments of
   :mod:`.targets` from the market and from stationary paths, common random numbers across
   trials. The shared diffusion (sigma_v from step 1) and Q stay as fitted.
3. Q's own drift and jump parameters with all of P's, on both objectives
   (:mod:`.joint`): the curve fit leaves Q a flat valley that the daily states absorb, and
   VIX on P paths depends on where in it Q sits. The shared diffusion (sigma_v, sigma_m,
   rho) is a P parameter here: the real-world dynamics of VIX decide the drawdowns. The
   median of the fitted daily states becomes (v0, m0).

The result writes a preset YAML (:meth:`Calibration.preset`) that ``load_model`` reads.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from simulator.calibration.joint import fit_joint
from simulator.calibration.real_world import PFit, SimulationDesign, fit_p
from simulator.calibration.risk_neutral import Q_FREE, QFit, evaluate_q, fit_q
from simulator.calibration.space import SHARED
from simulator.calibration.targets import FACT_BANDS, equity_premium_of, moments
from simulator.market.curves import (
    CalibrationInputError,
    curve_observations,
    data_ranges,
    market_window,
)
from simulator.model.params import FellerConditionWarning, Model

FAMILIES = {"svcj": "svcj_default", "svcj2": "svcj_2f_default"}  # family -> start preset
DEFAULT_START, DEFAULT_END = "1990-01-02", "2025-12-31"

__all__ = ["FAMILIES", "Calibration", "CalibrationInputError", "SimulationDesign", "calibrate"]


@dataclass
class Calibration:
    """A calibrated model with everything needed to judge it."""

    family: str
    start: str
    end: str
    model: Model
    q_fit: QFit
    p_fit: PFit
    start_model: Model
    start_q_fit: QFit
    equity_premium_source: str
    seconds: float
    regime: bool = False
    data: dict = field(default_factory=data_ranges)
    conditional: bool = False

    def target_table(self) -> list[dict]:
        return self.p_fit.table()

    def write_preset(self, path, name: str) -> dict:
        """Write :meth:`preset` to ``path`` as YAML, whole or not at all; the document."""
        import yaml

        from simulator.common.files import atomic_path

        doc = self.preset(name)
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
            yaml.safe_dump(doc, f, sort_keys=False, width=100)
        return doc

    def preset(self, name: str) -> dict:
        """A preset document (``load_model`` reads it) with the fit's provenance."""
        from simulator._version import __version__

        q_rmse = self.q_fit.rmse_by()
        start_rmse = self.start_q_fit.rmse_by()
        obs = self.q_fit.obs
        rows = [{k: (round(float(v), 5) if isinstance(v, float | np.floating) else v)
                 for k, v in r.items() if k != "meaning"} for r in self.target_table()]
        regime = (f" --regime --base {self.start_model.name}" if self.regime else "")
        regime += " --conditional" if self.conditional else ""
        # the equity premium's option, so that the command in the notes remakes the preset
        if self.equity_premium_source.startswith("window"):
            regime += " --equity-premium window"
        elif self.equity_premium_source.startswith("given"):
            regime += f" --equity-premium {self.equity_premium_source.split()[1].rstrip(';')}"
        d, default = self.p_fit.design, SimulationDesign()
        regime += "".join(f" --{k} {getattr(d, a)}" for k, a in (
            ("paths", "n_paths"), ("years", "years"), ("seed", "seed"))
            if getattr(d, a) != getattr(default, a))
        notes = [
            f"Calibrated by `alvh calibrate --family {self.family} --start {self.start} "
            f"--end {self.end}{regime}` (version {__version__}, {self.seconds:.0f} s).",
            f"Q: {obs.n_obs:,} curve points on {obs.dates.size:,} days "
            f"({obs.dates[0]} to {obs.dates[-1]}); RMSE VX1 {q_rmse.get('VX1', math.nan):.2f}, "
            f"VX2 {q_rmse.get('VX2', math.nan):.2f} points (start model "
            f"{self.start_model.name}: {start_rmse.get('VX1', math.nan):.2f}, "
            f"{start_rmse.get('VX2', math.nan):.2f}).",
            f"P: {len(rows)} moments by simulated method of moments on "
            f"{self.p_fit.design.kept_years} path-years; objective {self.p_fit.objective:.2f}.",
            *([] if self.regime else [
                "Fact-table bands of the default model (market, model on the fit's paths, "
                "band): " + "; ".join(f"{k} {self.p_fit.market[k]:.3g}, "
                                      f"{self.p_fit.fitted[k]:.3g}, [{lo:g}, {hi:g}]"
                                      for k, (lo, hi) in FACT_BANDS.items()) + "."]),
            *([f"A regime of {self.start_model.name}: its Q and shared diffusion (sigma_v, "
               "sigma_m, rho) unchanged, P's own drift and jumps fitted to the window's "
               "moments less the VIX autocorrelations"
               + (", with the conditional facts the window has (realised vol and VIX minus "
                  "it by VIX bucket, the 40-day future's slope; not the counts of big VIX "
                  "days or the factors' correlation)" if self.conditional else "")
               + "; the state (v0, m0) is the window's median fitted state."]
              if self.regime else []),
            "Targets (market, model): " + "; ".join(
                f"{r['target']} {r['market']:.3g}, {r['model']:.3g}" for r in rows
                if np.isfinite(r["market"])) + ".",
        ]
        return {
            "name": name,
            "description": f"{'Two' if self.model.two_factor else 'One'}-factor SVCJ "
                           f"calibrated to the shipped Cboe/S&P data, {self.start} to "
                           f"{self.end}" + (f", as a regime of {self.start_model.name}"
                                            if self.regime else "")
                           + " (docs/calibration.md).",
            "citation": "Calibration: docs/calibration.md (Q on daily VIX curves with daily "
                        "states; P by simulated method of moments, Duffie & Singleton 1993, "
                        "Econometrica 61(4)). Data: simulator/data/market/SOURCES.md.",
            "notes": "\n".join(notes),
            "feller_violation_acknowledged": True,
            "calibration": {
                "family": self.family,
                "regime_of": self.start_model.name if self.regime else None,
                "window": {"start": self.start, "end": self.end},
                "data": {k: list(v) for k, v in self.data.items()},
                "q_fit": {"free": list(self.q_fit.free), "days": int(obs.dates.size),
                          "observations": int(obs.n_obs),
                          "first_day": str(obs.dates[0]), "last_day": str(obs.dates[-1]),
                          "rmse_points": {k: round(v, 4) for k, v in q_rmse.items()},
                          "start_model_rmse_points": {k: round(v, 4)
                                                      for k, v in start_rmse.items()},
                          "days_at_edge_share": round(float(self.q_fit.at_edge.mean()), 4),
                          "evaluations": int(self.q_fit.evaluations)},
                "p_fit": {"free": list(self.p_fit.free),
                          "objective": round(self.p_fit.objective, 4),
                          "evaluations": int(self.p_fit.evaluations),
                          "design": vars(self.p_fit.design) | {},
                          "equity_premium": self.equity_premium_source},
                "targets": rows,
            },
            "model": _rounded(self.model.to_dict()),
        }


def _rounded(d):
    if isinstance(d, dict):
        return {k: _rounded(v) for k, v in d.items()}
    return float(f"{d:.6g}") if isinstance(d, float) else d


def _start_model(family: str, base: Model | None) -> Model:
    from simulator.model.presets import load_model

    if family not in FAMILIES:
        raise CalibrationInputError(f"family {family!r}: allowed {sorted(FAMILIES)}")
    model = base or load_model(FAMILIES[family])
    if model.two_factor != (family == "svcj2"):
        raise CalibrationInputError(f"start model {model.name} is not of family {family}")
    return model


def _regime(family, start, end, model, obs, market, ep, source, design, start_fit,
            p_evaluations, stage, t0, has_base, conditional=False) -> Calibration:
    from simulator.calibration.real_world import (
        P_REGIME_FREE,
        REGIME_CONDITIONAL_EXCLUDED,
        REGIME_EXCLUDED,
    )
    from simulator.calibration.targets import market_conditional_moments

    if not has_base:
        raise CalibrationInputError("a regime calibration needs the model it is a regime of "
                                    "(base, e.g. svcj_2f_conditional_vlevel)")
    state = {"v0": float(np.median(start_fit.v))}
    if model.two_factor:
        state["m0"] = float(np.median(start_fit.m))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        p_start = model.merged({"P": {"equity_premium": ep}, **state})
    excluded = REGIME_EXCLUDED
    if conditional:
        # the window's conditional facts, the states' correlation from the base model's own
        # fitted states (the regime keeps its Q)
        market = market | market_conditional_moments(start, end, model)
        excluded = (*REGIME_EXCLUDED, *REGIME_CONDITIONAL_EXCLUDED)
    free = P_REGIME_FREE[family]
    if model.two_factor and model.P.lam_m > 0.0:
        # a base with P-only jumps of m (docs/calibration.md §9, iteration 3): how often m jumps
        # is the year's own (a calm year has none of the spikes that set it), their size the
        # base's (as for the price jumps: their rate is fitted, their law kept)
        free = (*free, "lam_m")
    p = fit_p(p_start, market, free, design=design,
              max_evaluations=p_evaluations, excluded=excluded, progress=stage("P"))
    q_fit = start_fit
    q_fit.free = ()
    return Calibration(family, start, end, p.model, q_fit, p, model, start_fit,
                       source + "; a regime of " + str(model.name),
                       time.perf_counter() - t0, regime=True, conditional=conditional)


def calibrate(family: str = "svcj2", start: str = DEFAULT_START, end: str = DEFAULT_END, *,
              base: Model | None = None, equity_premium: float | str = "fixed",
              design: SimulationDesign | None = None, q_evaluations: int = 200,
              p_evaluations: int = 250, joint_evaluations: int = 300,
              regime: bool = False, conditional: bool = False,
              progress=None) -> Calibration:
    """Calibrate ``family`` ("svcj" one factor, "svcj2" two factors) to the window
    [start, end], starting from ``base`` (default: the family's hand-fit preset).

    ``equity_premium``: "fixed" keeps the start model's, "window" takes the window's excess
    return (:func:`~simulator.calibration.targets.equity_premium_of`), a number sets it.
    ``regime``: a regime of ``base`` (required): Q and the shared diffusion stay, each day's
    state is fitted to the window's curves, and P's own parameters are fitted to the
    window's moments less the autocorrelations (:data:`.real_world.REGIME_EXCLUDED`).
    ``conditional`` (regimes only): the window's conditional facts join the targets
    (:func:`~simulator.calibration.targets.market_conditional_moments`, less
    :data:`.real_world.REGIME_CONDITIONAL_EXCLUDED`; docs/calibration.md §9).
    ``progress(stage, evaluations, objective)`` is called after each trial.
    Raises :class:`CalibrationInputError` for a window the data cannot serve.
    """
    t0 = time.perf_counter()
    if conditional and not regime:
        raise CalibrationInputError("conditional targets are for a regime fit (--regime); the "
                                    "full window's conditional fit is "
                                    "simulator.calibration.extensions.conditional_chain")
    design = design or SimulationDesign()
    model = _start_model(family, base)
    window = market_window(start, end)
    obs = curve_observations(start, end)
    market = moments(window.spx, window.vix, window.vx1, window.vx2, window.vx2_roll)
    if equity_premium == "window":
        ep = equity_premium_of(window.spx, model.r, model.q)
        source = f"window excess return {ep:.4f}"
    elif equity_premium == "fixed":
        ep = model.P.equity_premium
        source = f"fixed at the start model's {ep:g}"
    elif isinstance(equity_premium, int | float):
        ep, source = float(equity_premium), f"given {float(equity_premium):g}"
    else:
        raise CalibrationInputError(f"equity_premium {equity_premium!r}: allowed 'fixed', "
                                    "'window' or a number in [-0.5, 0.5]")
    start_fit = evaluate_q(model, obs)

    def stage(name):
        return None if progress is None else (lambda n, obj: progress(name, n, obj))

    if regime:
        return _regime(family, start, end, model, obs, market, ep, source, design, start_fit,
                       p_evaluations, stage, t0, base is not None, conditional)
    q1 = fit_q(model, obs, max_evaluations=q_evaluations, progress=stage("Q"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        p_start = q1.model.merged({"P": {"equity_premium": ep}})
    p = fit_p(p_start, market, design=design, max_evaluations=p_evaluations,
              progress=stage("P"))
    q_free = tuple(n for n in Q_FREE[family] if n not in SHARED)
    joint = fit_joint(p.model, obs, market, q_free, p.free, design=design,
                      max_evaluations=joint_evaluations, progress=stage("Q and P"))
    final = joint.model
    # the state of the window's median day: median v and m of the fitted daily states
    state = {"v0": float(np.median(joint.q_fit.v))}
    if final.two_factor:
        state["m0"] = float(np.median(joint.q_fit.m))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        final = final.merged(state)
    p, q2 = joint.p_fit, joint.q_fit
    p.model = q2.model = final
    return Calibration(family, start, end, final, q2, p, model, start_fit, source,
                       time.perf_counter() - t0)
