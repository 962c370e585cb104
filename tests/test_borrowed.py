"""simulator.common.borrowed: a view without a reference count is the same array."""

import numpy as np
from numba import njit

from simulator.common.borrowed import borrowed, keep_alive


@njit(cache=True)
def _write_through(owner):
    view = borrowed(owner)
    view[0, 1] = 42.0  # a write through the view
    tail = view[1:]  # a view of the view: no owner either
    tail[0, 0] = 7.0
    total = view.sum()
    keep_alive(owner)
    return total, view.shape[0], view.shape[1], view.strides[0], view.strides[1]


@njit(cache=True)
def _inside_allocation(n):
    owner = np.arange(n * 1.0)
    view = borrowed(owner)
    s = 0.0
    for i in range(view.size):
        s += view[i]
    keep_alive(owner)
    return s


def test_borrowed_view_reads_and_writes_the_owner():
    owner = np.arange(6.0).reshape(2, 3)
    total, rows, cols, s0, s1 = _write_through(owner)
    assert owner[0, 1] == 42.0 and owner[1, 0] == 7.0  # the owner's memory, not a copy
    assert total == owner.sum()
    assert (rows, cols, s0, s1) == (2, 3, *owner.strides)


def test_borrowed_view_of_a_kernel_allocation():
    assert _inside_allocation(1000) == np.arange(1000.0).sum()


def test_borrowed_of_a_non_array_is_a_typing_error():
    import pytest
    from numba.core.errors import TypingError

    @njit
    def bad(x):
        return borrowed(x)

    with pytest.raises(TypingError):
        bad(1.0)


def test_the_day_loop_is_compiled_without_reference_counts():
    """The engine's per-path kernel and the steps it calls are compiled with ``_nrt=False``
    (docs/performance.md §1, "No reference counts"): numba then emits no reference count,
    and refuses to compile an allocation there (the scratch comes from _evaluate_paths). The
    steps keep the flag for their own calls from Python (the twin's tests)."""
    from simulator.strategy import kernels as K

    for kernel in (K.evaluate_path, K.run_strategy, K.condor_track, K.manage_layers,
                   K.reset_book):
        assert kernel.targetoptions.get("_nrt") is False, kernel.py_func.__name__
    assert K._evaluate_paths.targetoptions.get("_nrt", True) is not False  # it allocates


def test_the_daily_steps_are_inlined_into_the_day_loop():
    """The steps run_strategy takes on (nearly) every day are inlined into it: a call passing
    a step's arrays field by field costs as much as the step's own work on most days
    (docs/performance.md §1, "The layers' call inlined": manage_layers as a call made the
    claims' day loop 1.16-1.19x slower). The steps made only on trading days stay calls."""
    from simulator.strategy import kernels as K

    for step in (K.accrue, K.settle_condors, K.manage_layers, K.book_close,
                 K._layers_to_manage, K._opening, K._layers_due):
        assert step.targetoptions.get("inline") == "always", step.py_func.__name__
    for step in (K.open_condors, K.buy_layers, K.sell_layer):
        assert step.targetoptions.get("inline", "never") == "never", step.py_func.__name__


def test_a_kernel_without_reference_counts_cannot_allocate():
    """What makes ``_nrt=False`` safe to rely on: an allocation there is a compile error,
    never a silent leak or a dangling array."""
    import pytest
    from numba.core.errors import NumbaError

    @njit(_nrt=False)
    def allocates(n):
        return np.zeros(n).sum()

    @njit(_nrt=False)
    def copies_a_slice(a, b):
        a[:2] = b[:2]  # numba's slice copy may need a temporary: why the kernels copy by element
        return a[0]

    with pytest.raises(NumbaError, match="returning of array"):  # np.zeros's own np.empty
        allocates(3)
    with pytest.raises(NumbaError, match="NRT required but not enabled"):
        copies_a_slice(np.zeros(3), np.ones(3))
