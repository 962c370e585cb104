"""Technical indicators of the VIX path used as hedge activation filters (numba, per path).

* MACD (Appel): ``ema(fast) - ema(slow)`` of VIX, its ``signal``-day EMA, histogram = the
  difference. EMAs use alpha = 2 / (n + 1) and start at the first value (pandas
  ``ewm(span=n, adjust=False)``).
* RSI (Wilder 1978): average gain and loss seeded by the simple mean of the first ``period``
  changes, then smoothed with alpha = 1 / period; RSI = 100 - 100 / (1 + gain / loss).

Before an indicator has enough history (``slow + signal`` days for MACD, ``period`` for RSI)
the output is NaN, and the filters treat NaN as "no opinion" (active).
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True)
def macd_histogram(series, fast, slow, signal, out):
    n = series.size
    a_f = 2.0 / (fast + 1.0)
    a_s = 2.0 / (slow + 1.0)
    a_g = 2.0 / (signal + 1.0)
    ema_f = series[0]
    ema_s = series[0]
    sig = 0.0
    for d in range(n):
        x = series[d]
        ema_f += a_f * (x - ema_f)
        ema_s += a_s * (x - ema_s)
        macd = ema_f - ema_s
        sig = macd if d == 0 else sig + a_g * (macd - sig)
        out[d] = macd - sig if d >= slow + signal - 1 else math.nan


@njit(cache=True)
def rsi(series, period, out):
    n = series.size
    gain = 0.0
    loss = 0.0
    for d in range(n):
        if d == 0:
            out[d] = math.nan
            continue
        change = series[d] - series[d - 1]
        up = change if change > 0.0 else 0.0
        down = -change if change < 0.0 else 0.0
        if d <= period:
            gain += up / period
            loss += down / period
            if d < period:
                out[d] = math.nan
                continue
        else:
            gain += (up - gain) / period
            loss += (down - loss) / period
        if loss == 0.0:
            out[d] = 100.0 if gain > 0.0 else 50.0
        else:
            out[d] = 100.0 - 100.0 / (1.0 + gain / loss)
