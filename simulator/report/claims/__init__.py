"""The claims of docs/design.md §1 (C1-C13) put to the model: findings with 95 % CIs and verdicts.

``alvh claims`` runs ``scenarios/claims.yaml`` (six scenarios, the same paths for every strategy
of a scenario); :func:`evaluate_claims` turns its cube into :class:`ClaimResult` rows and
:func:`write_claims` writes ``claims.md`` and ``claims.csv``. The modules, one job each:

* :mod:`.catalogue`: the claims' texts, the names they read, the finding records;
* :mod:`.evidence`: per-path arrays of the cube and the statistics the claims share;
* :mod:`.drawdowns` (C1-C3, C7, C9, C10), :mod:`.recovery` (C5, C6), :mod:`.returns` (C8,
  C12): evaluators over the cube, every number in their text computed from it;
* :mod:`.puts` (C13, issue 35): the RSI-of-VVIX split of VIX calls and SPX puts;
* :mod:`.model_checks` (C4, C11, C10's futures spread): model calculations with a pricer;
* :mod:`.writers`: Markdown, CSV and terminal output.
"""

from __future__ import annotations

import json
import math

from simulator.report.claims.catalogue import (
    ALVH,
    CLAIMS,
    CLAIMS_FILE,
    N_BOOT,
    NOT_SUPPORTED,
    SUPPORTED,
    ClaimResult,
    Finding,
    check_names,
)
from simulator.report.claims.drawdowns import c1_c2, c3, c7, c9, c10
from simulator.report.claims.evidence import ClaimsCube
from simulator.report.claims.model_checks import c4, c11, median_crossing
from simulator.report.claims.puts import c13, has_c13
from simulator.report.claims.recovery import c5, c6
from simulator.report.claims.returns import c8, c12
from simulator.report.claims.writers import claims_command, format_verdicts, write_claims

__all__ = [
    "CLAIMS",
    "CLAIMS_FILE",
    "NOT_SUPPORTED",
    "N_BOOT",
    "SUPPORTED",
    "ClaimResult",
    "Finding",
    "check_names",
    "claims_command",
    "evaluate_claims",
    "format_verdicts",
    "median_crossing",
    "write_claims",
]

C11_MIN_PATHS = 2000
# the real episodes the claims name, replayed beside their simulated scenarios (docs/history.md)
REAL_EPISODES = {"C1": ("2022-01-03", "2022-12-30", "2022"),
                 "C2": ("2020-01-02", "2020-12-31", "2020")}
C11_BOOT = 200  # each resample re-bins the SPX moves: the slowest statistic of the table


def evaluate_claims(cube, *, n_boot: int = N_BOOT, seed: int = 0,
                    c11_paths: int | None = None, pricer=None) -> list[ClaimResult]:
    """C1-C13 from a cube of ``scenarios/claims.yaml`` (any path count; C13 only where the
    cube has its strategies). ``pricer``: a :class:`~simulator.pricing.pricer.Pricer` of the
    cube's base model (built if not given)."""
    from simulator.model.params import Model
    from simulator.pricing.pricer import Pricer

    c = ClaimsCube(cube, n_boot, seed)
    if pricer is None:
        params = json.loads(cube.attrs["model_parameters"])["base"]
        # the run validated these parameters (and any Feller warning) already
        pricer = Pricer(Model.from_dict(params, name="base", feller_acknowledged=True))
    n = c11_paths or max(cube.sizes["path"], C11_MIN_PATHS)
    run_seed = str(cube.attrs.get("seed", 0))
    alvh = c.strategies[ALVH]
    # C13 (issue 35) where the cube has its strategies: claims cubes made before it do not
    c13_rows = [c13(c.for_claim("C13"))] if has_c13(c.strategies) else []
    return [
        c1_c2(c.for_claim("C1"), "C1", "bear_2022", (0.35, math.nan), (0.12, 0.18),
              "2022-shaped grind", REAL_EPISODES["C1"], pricer.model),
        c1_c2(c.for_claim("C2"), "C2", "covid", (0.45, 0.55), (0.12, 0.18), "2020 replay",
              REAL_EPISODES["C2"], pricer.model),
        c3(c.for_claim("C3")),
        c4(pricer, alvh["hedge"]["layers"]),
        c5(c.for_claim("C5")),
        c6(c.for_claim("C6")),
        c7(c.for_claim("C7")),
        c8(c.for_claim("C8")),
        c9(c.for_claim("C9")),
        c10(c.for_claim("C10"), pricer),
        c11(pricer, alvh, n, int(run_seed) if run_seed.isdigit() else 0,
            n_boot=min(n_boot, C11_BOOT), boot_seed=c.for_claim("C11").next_seed()),
        c12(c.for_claim("C12")),
        *c13_rows,
    ]
