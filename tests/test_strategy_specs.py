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
    (K, "LB", K.LAYER_BOOK_FIELDS, K.N_LB), (K, "BK", K.PNL_FIELDS, K.N_BK),
    (K, "CT", K.COUNT_FIELDS, K.N_CT), (K, "EF", K.EVENT_FIELDS, K.N_EF)])
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


def test_public_pnl_and_count_names_are_the_kernels_columns():
    """The cube's names (engine.PNL_NAMES, COUNT_NAMES) and the kernel's columns come from one
    list each: a bucket's public name sits at its kernel column."""
    from simulator.strategy.engine import COUNT_NAMES, PNL_NAMES

    assert PNL_NAMES[K.BK_CONDOR] == "condor" and PNL_NAMES[K.BK_PREMIUM] == "hedge_premium"
    assert PNL_NAMES[K.BK_LAYER0:K.BK_LAYER2 + 1] == ("layer_front", "layer_middle", "layer_tail")
    assert PNL_NAMES[K.BK_INDEX] == "index" and PNL_NAMES[K.BK_INTEREST] == "interest"
    assert COUNT_NAMES[K.CT_CONDOR_OPEN] == "condor_opened"
    assert COUNT_NAMES[K.CT_MONETIZE] == "hedge_monetized"
    assert COUNT_NAMES[K.CT_MODEL_MARKS] == "hedge_marks_model"
    assert len(PNL_NAMES) == K.N_BK and len(COUNT_NAMES) == K.N_CT
    assert len(set(PNL_NAMES)) == K.N_BK and len(set(COUNT_NAMES)) == K.N_CT


def test_evaluate_chunk_is_called_by_keyword_with_every_argument():
    """The engine names every argument of the chunk kernel (a swapped pair of same-shaped
    arrays would otherwise run silently), and names exactly the kernel's parameters."""
    import ast
    import inspect
    from pathlib import Path

    import simulator.strategy.engine as engine

    tree = ast.parse(Path(engine.__file__).read_text())
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "evaluate_chunk"]
    assert len(calls) == 1
    assert not calls[0].args
    named = {kw.arg for kw in calls[0].keywords}
    assert named == set(inspect.signature(K.evaluate_chunk.py_func).parameters)
