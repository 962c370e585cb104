"""Arrays without a reference count, for the day loop's hot code.

numba counts references to every array it holds: each copy of an array into a variable (an
argument taken, an inlined helper's parameter, a field read from a tuple, a view made) costs
an atomic increment and a matching decrement, which its pruning pass removes only where no
other decrement lies between them. In the day loop, with its many arrays and branches, few
pairs are removed: profiled with ``perf`` on the benchmark's pair of strategies (two factors,
one thread), ``NRT_incref``/``NRT_decref`` took 38 % of the evaluation, some 140 pairs a
path-day, and with several threads the pricing tables' shared counts also bounce between the
cores' caches. See docs/performance.md §1 ("Reference counts").

:func:`borrowed` returns a view of an array with no owner (a null ``meminfo``): numba's
increments and decrements of it test the null pointer and do nothing. The caller must keep the
owning array alive for as long as the view is used: arguments of the kernel (held by the Python
caller for the whole call) always are; an array allocated inside a kernel is kept alive by a
:func:`keep_alive` call after its borrowed view's last use. A borrowed view is never returned
to Python. Nothing else about the array changes (data, shape, strides, type), so results are
the same bits.

Since 0.11.3 the day loop itself goes further: ``strategy.kernels.evaluate_path`` and every
kernel it calls are compiled with ``_nrt=False``, so numba emits no reference count there at
all (not even the null test a borrowed view still pays) and refuses any allocation. Borrowed
views remain where allocation is needed: the parallel loop that allocates each path's scratch
(``_evaluate_paths``) and the path generators.
"""

from __future__ import annotations

from numba import njit, types
from numba.extending import intrinsic


@intrinsic
def borrowed(typingctx, array):
    """A view of ``array`` with no reference count (see the module's note on lifetimes)."""
    if not isinstance(array, types.Array):
        return None

    def codegen(context, builder, signature, args):
        source = context.make_array(signature.args[0])(context, builder, args[0])
        view = context.make_array(signature.return_type)(context, builder)
        context.populate_array(view, data=source.data, shape=source.shape,
                               strides=source.strides, itemsize=source.itemsize, meminfo=None)
        return view._getvalue()

    return array(array), codegen


@njit(cache=True)
def keep_alive(*arrays):
    """Nothing: a use of ``arrays`` (their owners), so that numba releases them only after
    this call, once their borrowed views are no longer read."""
    return None


__all__ = ["borrowed", "keep_alive"]
