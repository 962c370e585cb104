"""Trading rules and the day loop: iron condors, the ALVH hedge layers, costs.

* :mod:`.config`  - pydantic configuration (condor, hedge, costs) and the named presets
* :mod:`.strikes` - strike selection by delta / probability (numba)
* :mod:`.indicators` - MACD and RSI of VIX (numba)
* :mod:`.specs`   - configurations encoded as arrays for the kernels
* :mod:`.kernels` - the day loop (numba)
* :mod:`.engine`  - Python entry points: :class:`StrategyEngine`, :func:`evaluate_strategies`
  (a real window: :func:`simulator.scenario.replay.replay_history`)
"""

from simulator.strategy.config import (
    CONDOR_PRESETS,
    HEDGE_PRESETS,
    CondorConfig,
    CostsConfig,
    HedgeConfig,
    StrategyConfig,
    strategy,
)
from simulator.strategy.engine import (
    EngineResult,
    StrategyEngine,
    evaluate_strategies,
)

__all__ = ["CONDOR_PRESETS", "HEDGE_PRESETS", "CondorConfig", "CostsConfig", "EngineResult",
           "HedgeConfig", "StrategyConfig", "StrategyEngine", "evaluate_strategies",
           "strategy"]
