"""``Pricer``: the prices of one model (Q) as the engine sees them, for people and tests.

    >>> import simulator as sim                                         # doctest: +SKIP
    >>> pricer = sim.Pricer(sim.load_model("svcj_default"))             # doctest: +SKIP
    >>> pricer.vix_option(0.04, days=21, strike=25.0)                   # doctest: +SKIP

The prices come from the model's interpolated tables (:mod:`simulator.pricing.tables`), the same
numba lookups the strategy engine calls, so what a notebook prices is what a run trades. The
first ``Pricer`` of a set of Q parameters builds the tables from the direct pricers (COS for
SPX, the Schürger integral for VIX; 30-40 s on two cores, announced on the ``simulator`` logger)
and caches them on disk (``$ALVH_CACHE_DIR`` or ``~/.cache/alvh``); later ones load in
milliseconds. Building a ``Pricer`` is the explicit step: a :class:`~simulator.model.Model` is
parameters only and never prices anything.

Units: SPX prices in index points, VIX prices in VIX points; ``days`` are trading days to expiry
(252 a year); ``v`` is the instantaneous variance (decimal). Every method broadcasts over numpy
arrays.
"""

from __future__ import annotations

from simulator.model.params import Model
from simulator.pricing.tables import PricingTables, tables_cached, tables_for


def tables_for_model(model: Model) -> PricingTables:
    """The pricing tables of ``model``'s Q parameters (one or two factors), from memory, the
    disk cache, or built."""
    if model.two_factor:
        from simulator.pricing.tables2f import tables_2f_for

        return tables_2f_for(model.Q, model.r, model.q)
    return tables_for(model.Q, model.r, model.q)


def tables_cached_for_model(model: Model) -> bool:
    """Whether ``model``'s tables are on disk already (so a run can say it will build them)."""
    if model.two_factor:
        from simulator.pricing.tables2f import tables_2f_cached

        return tables_2f_cached(model.Q)
    return tables_cached(model.Q)


class Pricer:
    """SPX options, VIX futures and VIX options of ``model`` under Q (see the module doc).

    A two-factor model's prices also depend on the central tendency ``m`` (keyword ``m``,
    required for such a model, ignored otherwise); its tables have an m axis
    (:mod:`simulator.pricing.tables2f`).
    """

    def __init__(self, model: Model, *, tables=None):
        self.model = model
        self.two_factor = model.two_factor
        self.tables = tables if tables is not None else tables_for_model(model)

    def _m(self, m):
        if self.two_factor and m is None:
            raise ValueError(f"{self.model.name or 'model'} has two factors: give m, the "
                             "central tendency of the variance")
        return m

    def spx_option(self, spot, v, days, strike, kind="put", *, m=None):
        """Discounted European SPX option price, index points."""
        if self.two_factor:
            return self.tables.spx_option(spot, v, self._m(m), days, strike, kind)
        return self.tables.spx_option(spot, v, days, strike, kind)

    def spx_delta(self, spot, v, days, strike, kind="put", *, m=None):
        """d(spx_option)/d(spot) at fixed state (sticky moneyness: the smile moves with
        the spot)."""
        if self.two_factor:
            return self.tables.spx_delta(spot, v, self._m(m), days, strike, kind)
        return self.tables.spx_delta(spot, v, days, strike, kind)

    def vix_future(self, v, days, *, m=None):
        """VIX future E_Q[VIX at expiry | state], VIX points."""
        if self.two_factor:
            return self.tables.vix_future_price(v, self._m(m), days)
        return self.tables.vix_future_price(v, days)

    def vix_option(self, v, days, strike, kind="call", *, m=None):
        """Discounted VIX option, priced off the VIX future of its own expiry, VIX points."""
        if self.two_factor:
            return self.tables.vix_option(v, self._m(m), days, strike, kind)
        return self.tables.vix_option(v, days, strike, kind)

    def vix_option_on_future(self, future: float, v: float, days: float, strike: float,
                             kind: str = "call", *, m: float | None = None) -> float:
        """Discounted VIX option on a given ``future`` (e.g. the listed contract's settlement),
        with the model's smile in state (v, m) around it (sticky moneyness); scalars."""
        import math

        from simulator.common.conventions import TRADING_DAYS_PER_YEAR
        from simulator.pricing.black import black_price
        from simulator.pricing.lookups import QP_R, vix_implied_vol
        from simulator.pricing.tables import is_call_kind

        t = self.tables.kernel_tables
        mm = float(self._m(m)) if self.two_factor else 0.0
        sigma = vix_implied_vol(float(v), mm, float(days), float(strike), float(future),
                                t.vix_iv, t.qp, t.qp2, t.grid, t.vol_nodes, t.m_nodes)
        tau = float(days) / TRADING_DAYS_PER_YEAR
        return float(black_price(float(future), float(strike), sigma * math.sqrt(tau),
                                 math.exp(-t.qp[QP_R] * tau), is_call_kind(kind)))

    def __repr__(self) -> str:
        source = "cache" if self.tables.from_cache else \
            f"built in {self.tables.build_seconds:.0f} s"
        return f"Pricer({self.model.name or 'model'}, tables from {source})"
