"""Which parameters a fit moves, their bounds and how a trial vector becomes a Model.

Each free parameter is searched in units of its start value (so every coordinate is near 1),
inside documented bounds (docs/calibration.md §4). ``jump_share`` stands for the two-factor
model's state-dependent intensity: ``lam1 = jump_share * kappa / mu_v`` (at most 200, the
model's bound), the share of the variance's reversion that the jumps take back (the model
needs it below 0.95), so the search never leaves the valid region.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulator.model.params import FellerConditionWarning, Model

# name -> (lower, upper); shared diffusion parameters (sigma_v, sigma_m, rho) belong to both
# measures (docs/model.md §1.1): the Q fit sets sigma_v and sigma_m, the P fit rho.
BOUNDS: dict[str, tuple[float, float]] = {
    "kappa": (0.3, 40.0),
    "theta": (0.003, 0.25),
    "kappa_m": (0.05, 10.0),
    "sigma_v": (0.05, 3.0),
    "sigma_m": (0.005, 1.0),
    "rho": (-0.98, -0.05),
    "lam": (0.0, 5.0),
    "mu_v": (0.005, 0.4),
    "jump_share": (0.0, 0.9),
    "mu_x": (-0.3, 0.0),
    "sigma_x": (0.0, 0.3),
    "phi": (0.0, 0.02),
    "m_jump": (0.0, 2.0),
    "lam_m": (0.0, 20.0),
    "mu_m": (0.001, 0.2),
    "v_level": (0.2, 1.0),
}
SHARED = ("sigma_v", "sigma_m", "rho", "phi")
LAM1_MAX = 200.0  # the model's own bound on lam1 (simulator.model.params)


def jump_share(measure) -> float:
    """lam1 mu_v / kappa of a measure's parameters."""
    return measure.lam1 * measure.mu_v / measure.kappa


@dataclass(frozen=True)
class Space:
    """The free parameters of one measure (``"P"`` or ``"Q"``) around a start model."""

    measure: str
    names: tuple[str, ...]
    start: Model

    def __post_init__(self):
        unknown = [n for n in self.names if n not in BOUNDS]
        if unknown:
            raise ValueError(f"unknown free parameter(s) {unknown}; allowed: {sorted(BOUNDS)}")

    def values(self, model: Model) -> np.ndarray:
        m = model.measure(self.measure)
        return np.array([jump_share(m) if n == "jump_share" else getattr(m, n)
                         for n in self.names])

    @property
    def x0(self) -> np.ndarray:
        return np.ones(len(self.names))

    @property
    def scale(self) -> np.ndarray:
        vals = self.values(self.start)
        lo = np.array([BOUNDS[n][0] for n in self.names])
        hi = np.array([BOUNDS[n][1] for n in self.names])
        # a parameter that starts at 0 (or at a bound of 0) is searched in its own units
        return np.where(np.abs(vals) > 1e-12, np.abs(vals),
                        np.maximum(np.abs(hi - lo) / 10, 1e-3))

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        sc = self.scale
        lo = np.array([BOUNDS[n][0] for n in self.names]) / sc
        hi = np.array([BOUNDS[n][1] for n in self.names]) / sc
        x = self.values(self.start) / sc
        if np.any(x < lo) or np.any(x > hi):
            bad = [n for n, a, b, c in zip(self.names, lo, x, hi, strict=True)
                   if not a <= b <= c]
            raise ValueError(f"start value of {bad} outside the fit's bounds "
                             f"{[BOUNDS[n] for n in bad]}")
        return lo, hi

    def start_x(self) -> np.ndarray:
        return self.values(self.start) / self.scale

    def model(self, x: Sequence[float], base: Model | None = None) -> Model:
        """The model with the free parameters set from the trial vector ``x``."""
        base = base or self.start
        vals = dict(zip(self.names, np.asarray(x) * self.scale, strict=True))
        own = base.measure(self.measure)
        block = {n: float(v) for n, v in vals.items() if n not in (*SHARED, "jump_share")}
        if "jump_share" in vals:
            kappa = block.get("kappa", own.kappa)
            mu_v = block.get("mu_v", own.mu_v)
            # small mu_v and a large share ask for many tiny jumps: capped at the model's limit
            block["lam1"] = min(float(vals["jump_share"] * kappa / mu_v), LAM1_MAX)
        overrides = {self.measure: block}
        shared = {n: float(vals[n]) for n in SHARED if n in vals}
        if shared:
            overrides.setdefault("P", {}).update(shared)  # carried to Q by Model.merged
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FellerConditionWarning)
            return base.merged(overrides)
