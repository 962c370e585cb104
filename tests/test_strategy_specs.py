"""The kernels' column constants come from one ordered field list per table: every name is
at the column its list gives it, and no constant of a table is missing from its list."""

import pytest

from simulator.strategy import specs as S


@pytest.mark.parametrize("prefix, fields, width", [
    ("GS", S.GROUP_FIELDS, S.N_GS), ("SS", S.STRATEGY_FIELDS, S.N_SS),
    ("LS", S.LAYER_FIELDS, S.N_LS)])
def test_column_constants_follow_their_field_list(prefix, fields, width):
    starts, total = S.columns(fields)
    assert total == width
    names = [f if isinstance(f, str) else f[0] for f in fields]
    for name, start in zip(names, starts, strict=True):
        assert getattr(S, f"{prefix}_{name}") == start, name
    declared = {k for k in vars(S) if k.startswith(f"{prefix}_")}
    assert declared == {f"{prefix}_{n}" for n in names}


def test_the_strategy_row_keeps_its_layout():
    """The layout the kernels were written against (a change here is a change of meaning)."""
    assert (S.SS_N_EDGES, S.SS_EDGES, S.SS_FACTORS, S.SS_TS_ON) == (12, 13, 19, 26)
    assert S.SS_FACTORS - S.SS_EDGES == S.MAX_EDGES and S.SS_TS_ON - S.SS_FACTORS == 7
