"""The real market as the simulator reads it: the shipped series as paths, the exchange's
calendar and expiries, the listed VX contracts, and the VIX-curve observations of a window.

- :mod:`simulator.market.history`: real S&P 500 / VIX paths of a window, rolling windows
  (:class:`~simulator.market.history.HistoryPath`, ``check_window``, ``history_dates``);
- :mod:`simulator.market.sessions`: the NYSE sessions (``exchange_calendars``, XNYS), the one
  trading-day clock of every history run;
- :mod:`simulator.market.expiries`: monthly SPX and VIX expiry dates by the exchanges' rules;
- :mod:`simulator.market.calendar`: a history run's expiry schedule for the engine (days to
  expiry, listed contracts, settlement values, the listed constant-maturity futures);
- :mod:`simulator.market.curves`: the VIX-curve observations (index levels and futures) of a
  window, the input of the calibration and of the daily state fit.

The daily state fit itself (:mod:`simulator.calibration.states`) is a calibration, the same
curve pricer as the risk-neutral fit, and sits one layer up. Everything here depends on the
model and the data only; the strategy layer and above read it, never the other way round.
"""
