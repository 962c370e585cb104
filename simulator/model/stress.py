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

# The table the path kernels read: one row per step, row d is the move from day d to d + 1.
(SH_LOG_RETURN, SH_RETURN_MODE, SH_V_MODE, SH_V_VALUE) = range(4)
N_SHOCK_COLUMNS = 4
# v modes (0: no shock). SHOCK_SET_VIX2: a two-factor path sets v so that VIX^2/100^2 is the
# value at the path's own m
SHOCK_ADD, SHOCK_SET, SHOCK_SET_VIX2 = 1, 2, 3


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
    """

    day: int
    spx_return: float | None = None
    spx_return_mode: str = "add"
    vix: float | None = None
    variance_jump: float | None = None

    @classmethod
    def from_config(cls, config) -> Shock:
        """From any record with the same field names (e.g. the scenario file's shock)."""
        return cls(**{f.name: getattr(config, f.name) for f in fields(cls)})


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
        if sh.spx_return is None and sh.vix is None and sh.variance_jump is None:
            problems.append((loc, "a shock needs spx_return, vix or variance_jump"))
        if sh.vix is not None and not model.vix_floor <= sh.vix <= VIX_MAX:
            problems.append((f"{loc}.vix", f"{sh.vix:g} is outside [{model.vix_floor:.2f}, "
                                           f"{VIX_MAX:g}]: the lower end is this model's VIX "
                                           "floor (the VIX at zero variance under Q)"))
        if sh.variance_jump is not None and not 0.0 <= sh.variance_jump <= VARIANCE_JUMP_MAX:
            problems.append((f"{loc}.variance_jump", f"{sh.variance_jump:g} is outside "
                                                     f"[0, {VARIANCE_JUMP_MAX:g}] (decimal "
                                                     "variance)"))
        for what, present in (("spx", sh.spx_return is not None),
                              ("variance", sh.vix is not None or sh.variance_jump is not None)):
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


def shock_table(model: Model, n_days: int, shocks: Sequence[Shock] = ()) -> np.ndarray:
    """(n_days, N_SHOCK_COLUMNS) for the path kernels; all zero without shocks."""
    check_stress(model, n_days, shocks=shocks)
    table = np.zeros((n_days, N_SHOCK_COLUMNS))
    for sh in shocks:
        row = table[sh.day - 1]
        if sh.spx_return is not None:
            row[SH_LOG_RETURN] = math.log1p(sh.spx_return)
            row[SH_RETURN_MODE] = SHOCK_ADD if sh.spx_return_mode == "add" else SHOCK_SET
        if sh.vix is not None and model.two_factor:
            row[SH_V_MODE] = SHOCK_SET_VIX2
            row[SH_V_VALUE] = (sh.vix / 100.0) ** 2
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
