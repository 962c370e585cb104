"""Stress shocks and P-regime schedules on simulated paths: the records, their limits, and the
one place that checks them against a model and a run length.

A :class:`Shock` moves every path at the close of its trading day (SPX and/or the variance); a
:class:`Regime` changes the real-world (P) parameters over a span of days. Both are checked by
:func:`stress_problems`, which the path generator (:func:`simulator.model.paths.shock_table`,
:func:`~simulator.model.paths.day_constants`) and the scenario schema call alike: the schema
prefixes each problem with the file's field path and reports them all at once, the generator
raises on the first call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
from numba import njit

from simulator.model.params import MeasureParams, Model

# limits of the fields (the scenario schema uses the same numbers)
SPX_RETURN_LIMITS = (-1.0, 10.0)  # simple return, both ends open
VIX_MAX = 500.0  # index points
VARIANCE_JUMP_MAX = 4.0  # decimal variance
SPX_RETURN_MODES = ("add", "set")
# one diffusion for P and Q: a regime cannot change them
SHARED_WITH_Q = ("sigma_v", "rho", "sigma_m", "phi")

# How a two-factor shock that sets VIX moves the state (v, m) (docs/two_factor.md, "Shocks"):
# "shift" (default): m moves by the change of the model's conditional mean of m given VIX
# (stationary P law, :func:`simulator.model.paths.stationary_m_curve`) from the path's VIX
# before the shock to the shock's VIX, each path keeping its own distance from that mean;
# "mean": m is set to that conditional mean (the same on every path); "hold_m": v alone moves
# at the path's own m (before issue 28). v then gives the VIX exactly.
VIX_STATE_MODES = ("shift", "mean", "hold_m")

# The conditional mean of m given VIX, m(VIX), as the kernels read it: values on a uniform
# grid of ln VIX (index points) from CURVE_LN_VIX0, CURVE_POINTS points CURVE_STEP apart,
# linear between them and flat beyond the ends (which lie outside every VIX a model makes).
CURVE_LN_VIX0 = math.log(2.0)
CURVE_POINTS = 96
CURVE_STEP = (math.log(VIX_MAX) - CURVE_LN_VIX0) / (CURVE_POINTS - 1)

# The table the path kernels read: one row per step, row d is the move from day d to d + 1.
(SH_LOG_RETURN, SH_RETURN_MODE, SH_V_MODE, SH_V_VALUE, SH_M_VALUE) = range(5)
SH_CURVE = 5  # first of the CURVE_POINTS columns of m(VIX) (rows with SHOCK_SHIFT_VIX2)
N_SHOCK_COLUMNS = SH_CURVE + CURVE_POINTS
# v modes (0: no shock). Two-factor paths only: SHOCK_SET_VIX2 sets v so that VIX^2/100^2
# (SH_V_VALUE) is met at the path's own m; SHOCK_SHIFT_VIX2 moves m along m(VIX) first;
# SHOCK_SET_STATE sets (v, m) to (SH_V_VALUE, SH_M_VALUE) on every path.
SHOCK_ADD, SHOCK_SET, SHOCK_SET_VIX2, SHOCK_SHIFT_VIX2, SHOCK_SET_STATE = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Regime:
    """P parameters ``P`` govern the daily moves from day ``start_day`` to day ``end_day``
    (steps ``start_day .. end_day - 1``). Q, and so every price and the VIX map, is unchanged;
    ``sigma_v`` and ``rho`` are shared with Q and must equal the model's."""

    start_day: int
    end_day: int
    P: MeasureParams


@dataclass(frozen=True)
class Shock:
    """A deterministic stress move on every path, seen in the close of trading day ``day``.

    ``spx_return`` (simple return, e.g. -0.12) is applied on top of the model's move that day
    (``spx_return_mode="add"``) or replaces it (``"set"``: the day's SPX move is exactly
    ``spx_return`` on every path). ``vix`` (index points) sets the variance to the level giving
    that VIX; ``variance_jump`` (decimal variance) is added to it instead.

    Two factors: ``vix_state`` says how a VIX level moves the state (v, m)
    (:data:`VIX_STATE_MODES`). ``analogue`` (an ISO date) sets the state to that real day's
    fitted state ``analogue_state`` = (v, m) (:func:`simulator.calibration.states.fitted_state`;
    the scenario loader fills it in), both scaled by one factor so that ``vix``, if given, is
    met exactly: the analogue day's shape of the curve at the shock's VIX level. One factor:
    the analogue's v is used when no ``vix`` is given (its VIX is that day's VIX).
    """

    day: int
    spx_return: float | None = None
    spx_return_mode: str = "add"
    vix: float | None = None
    variance_jump: float | None = None
    vix_state: str = "shift"
    analogue: str | None = None
    analogue_state: tuple | None = None  # (v, m) of the analogue day (m None: one factor)

    @classmethod
    def from_config(cls, config) -> Shock:
        """From any record with the same field names (e.g. the scenario file's shock); the
        fields it lacks keep their defaults."""
        return cls(**{f.name: getattr(config, f.name) for f in fields(cls)
                      if hasattr(config, f.name)})

    @property
    def moves_variance(self) -> bool:
        return self.vix is not None or self.variance_jump is not None \
            or self.analogue is not None


def _shock_problems(model: Model, n_days: int, shocks: Sequence[Shock]) -> list:
    problems = []
    moved: dict[tuple[int, str], int] = {}
    lo, hi = SPX_RETURN_LIMITS
    for i, sh in enumerate(shocks):
        loc = f"shocks.{i}"
        if not 1 <= sh.day <= n_days:
            problems.append((f"{loc}.day", f"{sh.day} is not a simulated day; allowed: 1 .. "
                                           f"simulation.days = {n_days}"))
        if sh.spx_return is not None and not lo < sh.spx_return < hi:
            problems.append((f"{loc}.spx_return", f"{sh.spx_return:g} is outside ({lo:g}, "
                                                  f"{hi:g}) (a simple return)"))
        if sh.spx_return_mode not in SPX_RETURN_MODES:
            problems.append((f"{loc}.spx_return_mode", f"{sh.spx_return_mode!r}; allowed: "
                                                       f"{', '.join(SPX_RETURN_MODES)}"))
        if sh.vix is not None and sh.variance_jump is not None:
            problems.append((loc, "give vix (a level) or variance_jump (an increment), not both"))
        if sh.analogue is not None and sh.variance_jump is not None:
            problems.append((loc, "give analogue (a state) or variance_jump (an increment), "
                                  "not both"))
        if sh.spx_return is None and not sh.moves_variance:
            problems.append((loc, "a shock needs spx_return, vix, variance_jump or analogue"))
        if sh.vix_state not in VIX_STATE_MODES:
            problems.append((f"{loc}.vix_state", f"{sh.vix_state!r}; allowed: "
                                                 f"{', '.join(VIX_STATE_MODES)}"))
        if sh.analogue is not None and sh.analogue_state is None:
            problems.append((f"{loc}.analogue", f"{sh.analogue}: no fitted state given "
                                                "(simulator.calibration.states.fitted_state)"))
        if sh.vix is not None and not model.vix_floor <= sh.vix <= VIX_MAX:
            problems.append((f"{loc}.vix", f"{sh.vix:g} is outside [{model.vix_floor:.2f}, "
                                           f"{VIX_MAX:g}]: the lower end is this model's VIX "
                                           "floor (the VIX at zero variance under Q)"))
        if sh.variance_jump is not None and not 0.0 <= sh.variance_jump <= VARIANCE_JUMP_MAX:
            problems.append((f"{loc}.variance_jump", f"{sh.variance_jump:g} is outside "
                                                     f"[0, {VARIANCE_JUMP_MAX:g}] (decimal "
                                                     "variance)"))
        for what, present in (("spx", sh.spx_return is not None),
                              ("variance", sh.moves_variance)):
            if present:
                if (sh.day, what) in moved:
                    problems.append((loc, f"shocks {moved[(sh.day, what)]} and {i} both move "
                                          f"the {what} on day {sh.day}; merge them"))
                moved[(sh.day, what)] = i
    return problems


def _regime_problems(model: Model, n_days: int, regimes: Sequence[Regime]) -> list:
    problems = []
    for i, reg in enumerate(regimes):
        loc = f"regimes.{i}"
        if not 0 <= reg.start_day < reg.end_day <= n_days:
            problems.append((loc, f"days [{reg.start_day}, {reg.end_day}) must lie in "
                                  f"[0, simulation.days = {n_days}] with start_day < end_day"))
        for j, other in enumerate(regimes[:i]):
            if reg.start_day < other.end_day and other.start_day < reg.end_day:
                problems.append((loc, f"days [{reg.start_day}, {reg.end_day}) overlap regime "
                                      f"{j} [{other.start_day}, {other.end_day}); regimes must "
                                      "not overlap"))
        for k in SHARED_WITH_Q:
            if getattr(reg.P, k) != getattr(model.P, k):
                problems.append((f"{loc}.P.{k}", f"a regime cannot change {k} (shared by P "
                                                 "and Q)"))
    return problems


def stress_problems(model: Model, n_days: int, shocks: Sequence[Shock] = (),
                    regimes: Sequence[Regime] = ()) -> list[tuple[str, str]]:
    """Every problem of ``shocks`` and ``regimes`` on ``n_days`` days of ``model``, as
    (field path, message) pairs (``shocks.0.day``, ``regimes.1``, ...); empty when valid."""
    return _shock_problems(model, n_days, shocks) + _regime_problems(model, n_days, regimes)


def check_stress(model: Model, n_days: int, shocks: Sequence[Shock] = (),
                 regimes: Sequence[Regime] = ()) -> None:
    """Raise ``ValueError`` naming every problem of :func:`stress_problems`."""
    problems = stress_problems(model, n_days, shocks, regimes)
    if problems:
        raise ValueError("; ".join(f"{loc}: {msg}" for loc, msg in problems))


def needs_m_curve(model: Model, shocks: Sequence[Shock]) -> bool:
    """Whether :func:`shock_table` needs the conditional mean of m given VIX."""
    return model.two_factor and any(sh.vix is not None and sh.analogue is None
                                    and sh.vix_state != "hold_m" for sh in shocks)


def curve_value(curve: np.ndarray, vix: float) -> float:
    """m(VIX) from the grid values ``curve`` (:data:`CURVE_POINTS`), as the kernel reads it."""
    return _curve_at(curve, (vix / 100.0) ** 2)


@njit(cache=True)
def _curve_at(curve, vix2):
    """Linear interpolation of the grid ``curve`` at VIX^2/100^2 = ``vix2``, flat outside."""
    pos = (0.5 * math.log(max(vix2, 1e-300)) + math.log(100.0) - CURVE_LN_VIX0) / CURVE_STEP
    if pos <= 0.0:
        return curve[0]
    if pos >= curve.size - 1:
        return curve[curve.size - 1]
    k = int(pos)
    w = pos - k
    return (1.0 - w) * curve[k] + w * curve[k + 1]


def state_for_vix(model: Model, vix: float, m: float) -> tuple[float, float]:
    """(v, m') of a two-factor ``model`` with VIX exactly ``vix``: ``m`` clipped to the
    feasible set [0, (VIX^2 - A)/C] (v >= 0), then v from the VIX."""
    from simulator.model.vix import vix_state_coefficients

    a, b, c = vix_state_coefficients(model.Q)
    y = (vix / 100.0) ** 2
    m = min(max(m, 0.0), max((y - a) / c, 0.0))
    return max((y - a - c * m) / b, 0.0), m


def analogue_state_for(model: Model, sh: Shock) -> tuple[float, float]:
    """(v, m) of a two-factor analogue shock: the analogue day's state, scaled by one factor k
    so that A + k (B v + C m) = (vix/100)^2 when the shock gives ``vix`` (the day's curve
    shape at the shock's level); the state itself otherwise."""
    from simulator.model.vix import vix_state_coefficients

    v, m = (float(x) for x in sh.analogue_state)
    if sh.vix is None:
        return v, m
    a, b, c = vix_state_coefficients(model.Q)
    level = b * v + c * m
    if level <= 0.0:  # the analogue day sat at v = m = 0: only the VIX level is known
        return state_for_vix(model, sh.vix, 0.0)
    k = max((sh.vix / 100.0) ** 2 - a, 0.0) / level
    return k * v, k * m


def shock_table(model: Model, n_days: int, shocks: Sequence[Shock] = (),
                m_curve: np.ndarray | None = None) -> np.ndarray:
    """(n_days, N_SHOCK_COLUMNS) for the path kernels; all zero without shocks. ``m_curve``:
    the conditional mean of m given VIX on the kernel's grid (two-factor VIX shocks but
    ``hold_m``: :func:`needs_m_curve`; :func:`simulator.model.paths.stationary_m_curve`)."""
    check_stress(model, n_days, shocks=shocks)
    if needs_m_curve(model, shocks) and m_curve is None:
        raise ValueError("a two-factor VIX shock needs the conditional mean of m given VIX "
                         "(simulator.model.paths.stationary_m_curve)")
    table = np.zeros((n_days, N_SHOCK_COLUMNS))
    for sh in shocks:
        row = table[sh.day - 1]
        if sh.spx_return is not None:
            row[SH_LOG_RETURN] = math.log1p(sh.spx_return)
            row[SH_RETURN_MODE] = SHOCK_ADD if sh.spx_return_mode == "add" else SHOCK_SET
        if sh.analogue is not None and model.two_factor:
            row[SH_V_MODE] = SHOCK_SET_STATE
            row[SH_V_VALUE], row[SH_M_VALUE] = analogue_state_for(model, sh)
        elif sh.analogue is not None and sh.vix is None:
            row[SH_V_MODE] = SHOCK_SET
            row[SH_V_VALUE] = float(sh.analogue_state[0])
        elif sh.vix is not None and model.two_factor and sh.vix_state == "hold_m":
            row[SH_V_MODE] = SHOCK_SET_VIX2
            row[SH_V_VALUE] = (sh.vix / 100.0) ** 2
        elif sh.vix is not None and model.two_factor and sh.vix_state == "mean":
            row[SH_V_MODE] = SHOCK_SET_STATE
            row[SH_V_VALUE], row[SH_M_VALUE] = state_for_vix(
                model, sh.vix, curve_value(m_curve, sh.vix))
        elif sh.vix is not None and model.two_factor:
            row[SH_V_MODE] = SHOCK_SHIFT_VIX2
            row[SH_V_VALUE] = (sh.vix / 100.0) ** 2
            row[SH_CURVE:] = m_curve
        elif sh.vix is not None:
            row[SH_V_MODE] = SHOCK_SET
            row[SH_V_VALUE] = float(model.variance_from_vix(sh.vix))
        elif sh.variance_jump is not None:
            row[SH_V_MODE] = SHOCK_ADD
            row[SH_V_VALUE] = sh.variance_jump
    return table


@njit(cache=True, inline="always")
def apply_shock(sh, x, x_open, v):
    """A day's row of the shock table applied at its close: the log price moved by (ADD) or
    set to the open plus (SET) the shock's log return; the variance moved by (ADD) or set to
    (SET) its value. SHOCK_SET_VIX2 is left to the two-factor kernel (it needs m)."""
    if sh[SH_RETURN_MODE] == SHOCK_ADD:
        x += sh[SH_LOG_RETURN]
    elif sh[SH_RETURN_MODE] == SHOCK_SET:
        x = x_open + sh[SH_LOG_RETURN]
    if sh[SH_V_MODE] == SHOCK_ADD:
        v += sh[SH_V_VALUE]
    elif sh[SH_V_MODE] == SHOCK_SET:
        v = sh[SH_V_VALUE]
    return x, v


@njit(cache=True, inline="always")
def apply_state_shock(sh, v, m, vix_a, vix_b, vix_c):
    """The two-factor modes of a day's row (after :func:`apply_shock`): (v, m) at the close."""
    mode = sh[SH_V_MODE]
    if mode == SHOCK_SET_VIX2:
        v = max((sh[SH_V_VALUE] - vix_a - vix_c * m) / vix_b, 0.0)
    elif mode == SHOCK_SET_STATE:
        v = sh[SH_V_VALUE]
        m = sh[SH_M_VALUE]
    elif mode == SHOCK_SHIFT_VIX2:
        y = sh[SH_V_VALUE]
        curve = sh[SH_CURVE:]
        m += _curve_at(curve, y) - _curve_at(curve, vix_a + vix_b * v + vix_c * m)
        m = min(max(m, 0.0), max((y - vix_a) / vix_c, 0.0))
        v = max((y - vix_a - vix_c * m) / vix_b, 0.0)
    return v, m
