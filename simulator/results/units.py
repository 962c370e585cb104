"""Units of the results: one name, one unit (issue 32).

Drawdowns in the cube, its export and the summary's ``max_drawdown_*`` fields are **fractions
of starting equity** (the trading book's fall in points, ``trading_max_drawdown``). A trader
reads a condor's drawdown in units of **risk capital**: one tranche's ``risk_per_tranche`` x
starting equity, the strategy's own (``unhedged`` and a hedged book paired with it share one
condor, so the paired cuts are the same in either unit). Fields and columns in that unit say
so: ``max_drawdown_risk_capital_*``, "% of risk capital". A strategy without a condor (an
S&P 500 core) has no risk capital: NaN.

The cube carries each strategy's risk capital as the ``risk_capital`` coordinate of its
``strategy`` axis; :func:`to_risk_capital` divides by it (or, for a cube written before that
coordinate, by the strategies recorded in the cube's attributes).
"""

from __future__ import annotations

import json

import numpy as np

RISK_CAPITAL = "risk_capital"


def risk_capital(strategy) -> float:
    """One strategy's risk capital, a fraction of starting equity: its condor's
    ``risk_per_tranche``; NaN without a condor. ``strategy``: a
    :class:`~simulator.strategy.config.StrategyConfig` or its record in a cube (a dict)."""
    if isinstance(strategy, dict) or strategy is None:
        condor = (strategy or {}).get("condor") or {}
        return float(condor["risk_per_tranche"]) if "risk_per_tranche" in condor else np.nan
    return strategy.condor.risk_per_tranche if strategy.condor is not None else np.nan


def risk_per_tranche(strategies: dict) -> dict[str, float]:
    """{strategy: :func:`risk_capital`} of the strategies as recorded
    (``json.loads(cube.attrs["strategies"])``)."""
    return {label: risk_capital(settings) for label, settings in strategies.items()}


def risk_capital_of(cube) -> dict[str, float]:
    """{strategy: risk capital as a fraction of starting equity} of a cube."""
    if RISK_CAPITAL in cube.coords:
        return dict(zip((str(s) for s in np.atleast_1d(cube.strategy.values)),
                        np.atleast_1d(cube[RISK_CAPITAL].values).astype(float).tolist(),
                        strict=True))
    return risk_per_tranche(json.loads(cube.attrs.get("strategies", "{}")))


def drawdown_unit(cube, strategy: str) -> float:
    """What a drawdown of ``strategy`` is divided by to read "in risk capital": its risk
    capital, or 1 (fractions of equity) for a strategy without a condor."""
    rc = risk_capital_of(cube).get(strategy, np.nan)
    return 1.0 if np.isnan(rc) else rc


def to_risk_capital(var, cube=None):
    """A cube variable in fractions of starting equity (``trading_max_drawdown``,
    ``event_drawdown``, ...) in units of its strategy's risk capital.

    ``var`` keeps the cube's ``risk_capital`` coordinate (``cube.trading_max_drawdown``, also
    after ``.sel``); for a cube written before it, pass ``cube``."""
    import xarray as xr

    if RISK_CAPITAL in var.coords:
        rc = var.coords[RISK_CAPITAL]
    elif cube is not None:
        per = risk_capital_of(cube)
        names = [str(s) for s in np.atleast_1d(var.strategy.values)]
        rc = xr.DataArray([per.get(n, np.nan) for n in names], dims="strategy") \
            if "strategy" in var.dims else per.get(names[0], np.nan)
    else:
        raise ValueError(f"{var.name}: no {RISK_CAPITAL!r} coordinate (a cube written before "
                         "it); pass the cube: to_risk_capital(var, cube)")
    out = var / rc
    # CF units stay "1" (a ratio); the name says which ratio
    out.attrs = {**var.attrs, "units": "1",
                 "long_name": f"{var.attrs.get('long_name', var.name)}, in units of risk "
                              "capital (one tranche's risk_per_tranche x starting equity)"}
    out.name = f"{var.name}_risk_capital" if var.name else None
    return out
