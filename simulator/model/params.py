"""SVCJ model parameters under the real-world (P) and risk-neutral (Q) measures.

Hierarchy::

    Model                    r, q, spx0, v0 (shared state and market)
      ├── P: MeasureParams   path measure: kappa, theta, lam, jump sizes, equity_premium
      └── Q: MeasureParams   pricing measure: same sigma_v and rho as P (docs/model.md §1.1),
                             its own kappa, theta, lam, jump sizes; equity_premium = 0

Dynamics (annual, decimal; docs/model.md §1.1; Duffie–Pan–Singleton 2000 eq. 4.1)::

    dx = (r - q + equity_premium - v/2 - lam*mbar) dt + sqrt(v) dW_x + Z_x dN
    dv = kappa (theta - v) dt + sigma_v sqrt(v) dW_v + Z_v dN,   corr(dW_x, dW_v) = rho
    Z_v ~ Exp(mean mu_v),  Z_x | Z_v ~ N(mu_x + rho_j Z_v, sigma_x^2)
    mbar = E[exp Z_x] - 1 = exp(mu_x + sigma_x^2/2) / (1 - rho_j mu_v) - 1

Every parameter is validated at construction; all problems of one model are reported together,
each naming the parameter (as a dotted field path), its value and the allowed range.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from simulator.common.records import deep_merge, short_repr


class FellerConditionWarning(UserWarning):
    """2 kappa theta < sigma_v^2: the variance can touch zero (the QE scheme stays valid)."""


class ParameterError(ValueError):
    """One or more invalid model parameters. ``problems`` lists (field path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        lines = [f"{head}invalid model parameters ({len(self.problems)} problem(s)):"]
        lines += [f"  {path}: {msg}" for path, msg in self.problems]
        super().__init__("\n".join(lines))


# (lower, lower_inclusive, upper, upper_inclusive, meaning). The upper bounds are "sane" limits:
# beyond them the numbers describe no equity index we know of and usually signal a unit error
# (percent instead of decimal, daily instead of annual).
_MEASURE_BOUNDS: dict[str, tuple[float, bool, float, bool, str]] = {
    "kappa": (0.0, False, 100.0, True, "mean-reversion speed of variance, per year"),
    "theta": (0.0, False, 1.0, True, "long-run variance, decimal (0.04 = 20% vol)"),
    "sigma_v": (0.0, False, 5.0, True, "volatility of variance"),
    "rho": (-1.0, False, 1.0, False, "correlation of price and variance shocks"),
    "lam": (0.0, True, 100.0, True, "jump intensity, jumps per year"),
    "mu_x": (-1.0, True, 1.0, True, "mean log-price jump given no variance jump"),
    "sigma_x": (0.0, True, 1.0, True, "s.d. of the log-price jump"),
    "mu_v": (0.0, True, 1.0, True, "mean variance jump (exponential), decimal variance"),
    "rho_j": (-50.0, True, 50.0, True, "loading of the log-price jump on the variance jump"),
    "equity_premium": (-0.5, True, 0.5, True, "expected excess return of SPX over r, per year"),
    # the second factor (0 = the one-factor model, m fixed at theta)
    "kappa_m": (0.0, True, 20.0, True, "mean-reversion speed of the central tendency m, per "
                                        "year; 0 = one factor"),
    "sigma_m": (0.0, True, 2.0, True, "volatility of the central tendency m"),
    "lam1": (0.0, True, 200.0, True, "jump intensity per unit of variance v; jumps per year "
                                     "= lam + lam1 v"),
    # extensions (0 = off; issue 28, docs/calibration.md §9)
    "phi": (0.0, True, 0.05, True, "deterministic variance shift, decimal variance: the log "
                                   "price's instantaneous variance is v + phi (Heston++, "
                                   "Pacati, Pompa & Reno 2018); shared by P and Q"),
    "m_jump": (0.0, True, 3.0, True, "jump of the central tendency m per unit of the variance "
                                     "jump (m += m_jump Z_v at each co-jump); P only"),
    "lam_m": (0.0, True, 50.0, True, "intensity of the central tendency m's own jumps, per "
                                     "year (independent of v's jumps); P only"),
    "mu_m": (0.0, True, 0.5, True, "mean of m's own jump (exponential), decimal variance; "
                                   "P only"),
    "v_level": (0.0, False, 1.0, True, "level of v's mean reversion as a fraction of m: v "
                                       "reverts to v_level m (1 = to m); P only"),
}
TWO_FACTOR_FIELDS = ("kappa_m", "sigma_m", "lam1")
# extensions whose 0 is the model without them: left out of to_dict at 0 (cache keys and
# fingerprints of every existing model stay as they were)
EXTENSION_FIELDS = ("phi", "m_jump", "lam_m", "mu_m")
# extensions of P alone: Q (prices, VIX) has none of them
P_ONLY_FIELDS = ("m_jump", "lam_m", "mu_m")
# extensions whose 1 is the model without them (left out of to_dict at 1, P only): v reverts
# to v_level m instead of m (docs/two_factor.md "Dynamics")
UNIT_EXTENSION_FIELDS = ("v_level",)

_TOP_BOUNDS: dict[str, tuple[float, bool, float, bool, str]] = {
    "r": (-0.1, True, 0.5, True, "risk-free rate, continuously compounded, per year"),
    "q": (-0.1, True, 0.5, True, "dividend yield, continuously compounded, per year"),
    "spx0": (0.0, False, 1e7, True, "initial SPX level, index points"),
    "v0": (0.0, True, 4.0, True, "initial instantaneous variance, decimal"),
    "m0": (0.0, True, 4.0, True, "initial central tendency of the variance, decimal; "
                                 "two-factor models only"),
}


def _range_text(lo: float, lo_inc: bool, hi: float, hi_inc: bool) -> str:
    return f"{'[' if lo_inc else '('}{lo:g}, {hi:g}{']' if hi_inc else ')'}"


def _check_bounds(
    values: Mapping[str, Any], bounds: Mapping[str, tuple], prefix: str
) -> list[tuple[str, str]]:
    problems = []
    for name, (lo, lo_inc, hi, hi_inc, meaning) in bounds.items():
        if name not in values:
            continue
        value = values[name]
        path = f"{prefix}{name}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append((path, f"must be a number ({meaning}), got {short_repr(value)}"))
            continue
        ok = math.isfinite(value)
        ok = ok and (value >= lo if lo_inc else value > lo)
        ok = ok and (value <= hi if hi_inc else value < hi)
        if not ok:
            problems.append(
                (path, f"{value!r} is outside the allowed range "
                       f"{_range_text(lo, lo_inc, hi, hi_inc)} ({meaning})")
            )
    return problems


@dataclass(frozen=True, kw_only=True)
class MeasureParams:
    """SVCJ parameters of one measure. Heston: lam = 0. Bates: mu_v = 0 (and rho_j irrelevant)."""

    kappa: float
    theta: float
    sigma_v: float
    rho: float
    lam: float = 0.0
    mu_x: float = 0.0
    sigma_x: float = 0.0
    mu_v: float = 0.0
    rho_j: float = 0.0
    equity_premium: float = 0.0
    kappa_m: float = 0.0
    sigma_m: float = 0.0
    lam1: float = 0.0
    phi: float = 0.0
    m_jump: float = 0.0
    lam_m: float = 0.0
    mu_m: float = 0.0
    v_level: float = 1.0

    NAMES: ClassVar[tuple[str, ...]] = tuple(_MEASURE_BOUNDS)

    @staticmethod
    def problems(values: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
        """Every problem of a parameter mapping (without raising)."""
        problems = _check_bounds(values, _MEASURE_BOUNDS, prefix)
        bad = {p.removeprefix(prefix) for p, _ in problems}
        problems += _two_factor_problems(values, bad, prefix)
        rho_j, mu_v = values.get("rho_j", 0.0), values.get("mu_v", 0.0)
        if not bad & {"rho_j", "mu_v"} and rho_j * mu_v > 0.9:
            problems.append(
                (f"{prefix}rho_j", f"rho_j * mu_v = {rho_j * mu_v:g} must be <= 0.9 "
                 "(at 1 E[exp(Z_x)] is infinite; near 1 the jump compensator explodes)")
            )
            return problems
        # joint conditions on the jump law, each within bounds on its own (the mean log jump
        # and the compensator lam * mbar): beyond them prices underflow or the pricing tables
        # cannot be inverted, long after the file was accepted
        if not bad & {"mu_x", "rho_j", "mu_v", "sigma_x", "lam"}:
            mu_x, sigma_x = values.get("mu_x", 0.0), values.get("sigma_x", 0.0)
            lam = values.get("lam", 0.0)
            mean_jump = mu_x + rho_j * mu_v
            if abs(mean_jump) > 1.0:
                problems.append(
                    (f"{prefix}rho_j", f"mean log-price jump mu_x + rho_j * mu_v = "
                     f"{mean_jump:g} must be in [-1, 1] (a move of e^-1 = -63 % per jump at "
                     "the most); check mu_x, rho_j and mu_v together"))
            elif lam > 0.0:
                mbar = math.exp(mu_x + 0.5 * sigma_x**2) / (1.0 - rho_j * mu_v) - 1.0
                second_moment = sigma_x**2 + (rho_j * mu_v) ** 2 + mean_jump**2  # E[Z_x^2]
                if lam * second_moment > 4.0:
                    problems.append(
                        (f"{prefix}lam", f"jump variance lam * E[Z_x^2] = "
                         f"{lam * second_moment:g} per year must be <= 4 (200 % a year of "
                         "volatility from jumps alone); check lam with sigma_x, mu_x, rho_j "
                         "and mu_v"))
                elif lam * abs(mbar) > 2.0:
                    problems.append(
                        (f"{prefix}lam", f"jump compensator lam * E[exp(Z_x) - 1] = "
                         f"{lam * mbar:g} per year must be in [-2, 2]; check lam with mu_x, "
                         "sigma_x, rho_j and mu_v"))
        return problems

    def __post_init__(self) -> None:
        problems = self.problems({f.name: getattr(self, f.name) for f in fields(self)})
        if problems:
            raise ParameterError(problems)
        for f in fields(self):  # store plain floats so to_dict / YAML stay clean
            object.__setattr__(self, f.name, float(getattr(self, f.name)))

    # --- derived quantities -------------------------------------------------------------
    @property
    def mbar(self) -> float:
        """E[exp(Z_x)] - 1, the jump compensator per jump (DPS 2000; docs/model.md §1.1)."""
        return math.exp(self.mu_x + 0.5 * self.sigma_x**2) / (1.0 - self.rho_j * self.mu_v) - 1.0

    @property
    def mean_log_jump(self) -> float:
        """E[Z_x] = mu_x + rho_j mu_v."""
        return self.mu_x + self.rho_j * self.mu_v

    @property
    def mean_square_log_jump(self) -> float:
        """E[Z_x^2] = E[Z_x]^2 + sigma_x^2 + rho_j^2 Var(Z_v), with Var(Z_v) = mu_v^2."""
        return self.mean_log_jump**2 + self.sigma_x**2 + (self.rho_j * self.mu_v) ** 2

    @property
    def theta_star(self) -> float:
        """Long-run mean of v including variance jumps: theta + lam mu_v / kappa."""
        return self.theta + self.lam * self.mu_v / self.kappa

    @property
    def two_factor(self) -> bool:
        """Whether v reverts to a stochastic central tendency m (kappa_m > 0)."""
        return self.kappa_m > 0.0

    @property
    def kappa_tilde(self) -> float:
        """Mean reversion of E[v] net of state-dependent variance jumps: kappa - lam1 mu_v."""
        return self.kappa - self.lam1 * self.mu_v

    @property
    def feller_ratio(self) -> float:
        """2 kappa theta / sigma_v^2; below 1 the diffusion can reach zero."""
        return 2.0 * self.kappa * self.theta / self.sigma_v**2

    def to_dict(self) -> dict[str, float]:
        """The parameters; the second factor's only when used, so that a one-factor model's
        dictionary (and every cache key and fingerprint made from it) is as before."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if (f.name not in (*TWO_FACTOR_FIELDS, *EXTENSION_FIELDS, *UNIT_EXTENSION_FIELDS)
                    or getattr(self, f.name) != (1.0 if f.name in UNIT_EXTENSION_FIELDS
                                                  else 0.0))}


def _two_factor_problems(values: Mapping[str, Any], bad: set, prefix: str) -> list:
    """The second factor's own conditions: m needs a speed to move, and the state-dependent
    jumps must leave E[v] mean-reverting."""
    if bad & {"kappa_m", "sigma_m", "lam1", "kappa", "mu_v"}:
        return []
    kappa_m, sigma_m, lam1 = (values.get(k, 0.0) for k in TWO_FACTOR_FIELDS)
    problems = []
    if kappa_m == 0.0 and (sigma_m > 0.0 or lam1 > 0.0):
        problems.append((f"{prefix}kappa_m", "sigma_m and lam1 belong to the two-factor model: "
                                             "give kappa_m > 0 as well"))
    for name in ("m_jump", "lam_m"):
        if kappa_m == 0.0 and values.get(name, 0.0) > 0.0 and name not in bad:
            problems.append((f"{prefix}{name}", "jumps of m belong to the two-factor model: "
                                                "give kappa_m > 0 as well"))
    if kappa_m == 0.0 and values.get("v_level", 1.0) != 1.0 and "v_level" not in bad:
        problems.append((f"{prefix}v_level", "v reverting to a fraction of m belongs to the "
                                             "two-factor model: give kappa_m > 0 as well"))
    kappa, mu_v = values.get("kappa"), values.get("mu_v", 0.0)
    if lam1 > 0.0 and kappa is not None and kappa - lam1 * mu_v <= 0.05 * kappa:
        problems.append((f"{prefix}lam1", f"kappa - lam1 * mu_v = {kappa - lam1 * mu_v:g} "
                                          f"must be above 5 % of kappa ({0.05 * kappa:g}): "
                                          "otherwise jumps feed the variance faster than it "
                                          "reverts"))
    return problems


# one diffusion, two drifts: shared by P and Q (docs/model.md §1.1); sigma_m for the second factor
_SHARED = ("sigma_v", "rho", "sigma_m", "phi")


def _factor_problems(p_two: bool, q_two: bool, m0) -> list[tuple[str, str]]:
    """One factor count for both measures, and m0 exactly when there is a second factor."""
    if p_two != q_two:
        return [("Q.kappa_m", "a second factor under one measure only: give kappa_m > 0 under "
                              "both P and Q, or under neither")]
    if p_two and m0 is None:
        return [("m0", "missing: a two-factor model needs the initial central tendency m0")]
    if not p_two and m0 is not None:
        return [("m0", "only for two-factor models (kappa_m > 0); a one-factor model's m is "
                       "theta")]
    return []


def _pair_problems(p: Mapping[str, Any], q: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What P and Q must agree on: the shared diffusion (a Q value that differs from P's;
    one that is absent is inherited) and no equity premium under Q."""
    problems = [(f"Q.{k}", f"{q[k]!r} differs from P.{k} = {p[k]!r}; {k} is shared by P and "
                           "Q (omit it under Q)")
                for k in _SHARED if k in q and k in p and q[k] != p[k]]
    for k in P_ONLY_FIELDS:
        if q.get(k, 0.0) != 0.0:
            problems.append((f"Q.{k}", f"{q[k]!r} must be 0: jumps of m are a real-world (P) "
                                       "feature; Q's VIX and option prices have none "
                                       "(docs/calibration.md §9)"))
    if q.get("v_level", 1.0) != 1.0:
        problems.append(("Q.v_level", f"{q['v_level']!r} must be 1: v reverting below m is a "
                                      "real-world (P) feature; under Q v reverts to m "
                                      "(docs/calibration.md §9)"))
    if q.get("equity_premium", 0.0) != 0.0:
        problems.append(("Q.equity_premium", f"{q['equity_premium']!r} must be 0 under the "
                                             "risk-neutral measure (omit it under Q)"))
    return problems


@dataclass(frozen=True, kw_only=True)
class Model:
    """A P/Q pair of SVCJ parameter sets with the shared state (spx0, v0) and rates.

    Build one with :meth:`from_dict` or :func:`simulator.load_model`. Prices use ``Q``; paths
    are drawn under ``P`` (or ``Q`` for tests of pricing).
    """

    r: float
    q: float
    spx0: float
    v0: float
    P: MeasureParams
    Q: MeasureParams
    m0: float | None = None  # the central tendency's initial value (two-factor models only)
    name: str | None = field(default=None, compare=False)
    citation: str | None = field(default=None, compare=False)
    # A preset whose file documents a Feller violation (realistic SPX fits usually have one)
    # sets this so that loading it does not warn every time; user-built models still warn.
    feller_acknowledged: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        given = {k: getattr(self, k) for k in _TOP_BOUNDS if getattr(self, k) is not None}
        problems = _check_bounds(given, _TOP_BOUNDS, prefix="")
        problems += _pair_problems(self.P.to_dict(), self.Q.to_dict())
        problems += _factor_problems(self.P.two_factor, self.Q.two_factor, self.m0)
        if problems:
            raise ParameterError(problems, source=self.name)
        for k in given:
            object.__setattr__(self, k, float(getattr(self, k)))
        failing = [f"{label} ({m.feller_ratio:.3g})" for label, m in (("P", self.P), ("Q", self.Q))
                   if m.feller_ratio < 1.0]
        if failing and not self.feller_acknowledged:
            warnings.warn(
                f"{self.name or 'model'}: Feller condition fails under {' and '.join(failing)}: "
                "2 kappa theta / sigma_v^2 < 1, so the variance can touch zero. The QE scheme "
                "handles this; results stay valid.",
                FellerConditionWarning,
                stacklevel=3,
            )

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, name: str | None = None,
        citation: str | None = None, source: str | None = None,
        feller_acknowledged: bool = False,
    ) -> Model:
        """Build a model from ``{"r", "q", "spx0", "v0", "P": {...}, "Q": {...}}``.

        ``Q`` inherits ``sigma_v`` and ``rho`` from ``P`` (giving a different value is an
        error). Unknown keys are errors. All problems are reported at once in one
        :class:`ParameterError` whose message names ``source`` (e.g. the file) when given.
        """
        problems: list[tuple[str, str]] = []
        if not isinstance(data, Mapping):
            raise ParameterError([("<root>", f"must be a mapping, got {type(data).__name__}")],
                                 source)
        allowed_top = {*_TOP_BOUNDS, "P", "Q"}
        for key in data:
            if key not in allowed_top:
                problems.append((str(key), f"unknown key; allowed: {sorted(allowed_top)}"))
        for key in (*_TOP_BOUNDS, "P", "Q"):
            if key not in data and key != "m0":  # m0: two-factor models, checked below
                problems.append((key, "missing"))
        problems += _check_bounds(data, _TOP_BOUNDS, prefix="")

        measures: dict[str, dict[str, Any]] = {}
        for label in ("P", "Q"):
            block = data.get(label)
            if block is None:
                continue
            if not isinstance(block, Mapping):
                problems.append((label, f"must be a mapping, got {type(block).__name__}"))
                continue
            allowed = set(MeasureParams.NAMES)
            for key in block:
                if key not in allowed:
                    problems.append((f"{label}.{key}", f"unknown key; allowed: {sorted(allowed)}"))
            values = {k: v for k, v in block.items() if k in allowed}
            if label == "P":
                for k in ("kappa", "theta", "sigma_v", "rho"):
                    if k not in values:
                        problems.append((f"P.{k}", "missing"))
            else:
                p_values = measures.get("P", {})
                problems += _pair_problems(p_values, values)
                values |= {k: p_values[k] for k in _SHARED if k in p_values}  # inherited
                for k in ("kappa", "theta"):
                    if k not in values:
                        problems.append((f"Q.{k}", "missing"))
            problems += MeasureParams.problems(values, prefix=f"{label}.")
            measures[label] = values
        if not problems:
            problems += _factor_problems(*(measures[k].get("kappa_m", 0.0) > 0.0
                                           for k in ("P", "Q")), data.get("m0"))
        if problems:
            raise ParameterError(problems, source)
        return cls(
            r=data["r"], q=data["q"], spx0=data["spx0"], v0=data["v0"], m0=data.get("m0"),
            P=MeasureParams(**measures["P"]), Q=MeasureParams(**measures["Q"]),
            name=name, citation=citation, feller_acknowledged=feller_acknowledged,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain parameters; ``Model.from_dict(m.to_dict()) == m``."""
        q = self.Q.to_dict()
        for k in (*_SHARED, "equity_premium"):
            q.pop(k, None)
        state = {"v0": self.v0} if self.m0 is None else {"v0": self.v0, "m0": self.m0}
        return {"r": self.r, "q": self.q, "spx0": self.spx0, **state,
                "P": self.P.to_dict(), "Q": q}

    @property
    def two_factor(self) -> bool:
        """Whether the variance reverts to a stochastic central tendency m (state (v, m))."""
        return self.Q.two_factor

    def merged(self, overrides: Mapping[str, Any], *, source: str | None = None) -> Model:
        """A new model with ``overrides`` deep-merged into the parameters (same validation)."""
        if not isinstance(overrides, Mapping):
            raise ParameterError([("<overrides>", f"must be a mapping of parameters, got "
                                                  f"{type(overrides).__name__}")], source)
        bad = [(k, f"must be a mapping of {k} parameters (e.g. {{theta: 0.03}}), got "
                   f"{type(overrides[k]).__name__}") for k in ("P", "Q")
               if k in overrides and not isinstance(overrides[k], Mapping)]
        if bad:
            raise ParameterError(bad, source)
        base = self.to_dict()
        if "P" in overrides:
            # a shared parameter changed under P carries over to Q
            for k in _SHARED:
                if k in overrides["P"]:
                    base["Q"].pop(k, None)
        merged = deep_merge(base, overrides)
        # the acknowledgement covers the preset's own diffusion only
        same_diffusion = all(merged["P"].get(k) == base["P"][k] for k in base["P"]) and all(
            merged["Q"].get(k) == base["Q"].get(k) for k in base["Q"])
        return Model.from_dict(merged, name=self.name, citation=self.citation, source=source,
                               feller_acknowledged=self.feller_acknowledged and same_diffusion)

    def measure(self, label: str) -> MeasureParams:
        if label not in ("P", "Q"):
            raise ValueError(f"measure must be 'P' or 'Q', got {label!r}")
        return self.P if label == "P" else self.Q

    # --- VIX from the state (docs/model.md §2.2) ------------------------------------------------
    def vix_index(self, v, m=None):
        """VIX in index points from instantaneous variance ``v`` (decimal), under Q; a
        two-factor model needs the central tendency ``m`` too.

        ``VIX^2 / 100^2 = A + B v`` (Zhu & Lian 2012 eqs. 5–6; docs/model.md §2.2), ``+ C m`` with
        two factors (:mod:`simulator.model.vix`). Array-friendly.
        """
        from simulator.model.vix import vix_index

        return vix_index(self.Q, v, m=m)

    def variance_from_vix(self, vix, m=None):
        """Instantaneous variance (decimal) implied by VIX in index points (at central tendency
        ``m`` with two factors); inverse of vix_index. VIX below the floor maps to v = 0.
        """
        from simulator.model.vix import variance_from_vix

        return variance_from_vix(self.Q, vix, m=m)

    @property
    def vix_floor(self) -> float:
        """The lowest VIX the model can produce (at v = 0, and m = 0 with two factors), index
        points."""
        return float(self.vix_index(0.0, m=0.0 if self.two_factor else None))

