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
