"""The kernels' column constants (spec tables, and the day loop's path, track, account and
layer book) come from one ordered field list per table: every name is at the column its list
gives it, and no constant of a table is missing from its list."""

import pytest

from simulator.strategy import kernels as K
from simulator.strategy import specs as S


@pytest.mark.parametrize("module, prefix, fields, width", [
    (S, "GS", S.GROUP_FIELDS, S.N_GS), (S, "SS", S.STRATEGY_FIELDS, S.N_SS),
    (S, "LS", S.LAYER_FIELDS, S.N_LS), (K, "PF", K.PATH_FIELDS, K.N_PF),
    (K, "TF", K.TRACK_FIELDS, K.N_TF), (K, "AC", K.ACCOUNT_FIELDS, K.N_AC),
    (K, "LB", K.LAYER_BOOK_FIELDS, K.N_LB)])
def test_column_constants_follow_their_field_list(module, prefix, fields, width):
    starts, total = S.columns(fields)
    assert total == width
    names = [f if isinstance(f, str) else f[0] for f in fields]
    for name, start in zip(names, starts, strict=True):
        assert getattr(module, f"{prefix}_{name}") == start, name
    declared = {k for k in vars(module) if k.startswith(f"{prefix}_")}
    assert declared == {f"{prefix}_{n}" for n in names}


def test_the_strategy_row_keeps_its_layout():
    """The layout the kernels were written against (a change here is a change of meaning)."""
    assert (S.SS_N_EDGES, S.SS_EDGES, S.SS_FACTORS, S.SS_TS_ON) == (12, 13, 19, 26)
    assert S.SS_FACTORS - S.SS_EDGES == S.MAX_EDGES and S.SS_TS_ON - S.SS_FACTORS == 7
