"""The CUDA kernels of :mod:`simulator.model.paths_gpu` (imported only when a GPU path is asked
for: ``numba.cuda`` is slow to import). ``cuda`` is a module global so that numba's CUDA simulator
can stand in for it. The kernels hold no step code: each runs the CPU kernels' own per-path body
(:func:`simulator.model.paths.path_1f`, :func:`simulator.model.paths2f.path_2f`) as a device
function, for the path of its thread."""

import types

from numba import config, cuda, float64, uint64
from numba.core.registry import CPUDispatcher as Dispatcher

from simulator.model.paths import path_1f
from simulator.model.paths2f import path_2f
from simulator.model.qe import N_STEP_CONSTANTS


def _device(function, made=None):
    """The CUDA device function of an ``@njit`` step function: its own Python code, with every
    ``@njit`` function it calls swapped for that one's device function in turn. (Under the
    simulator, which runs kernels as Python on stand-in arrays, the plain Python code.)"""
    made = {} if made is None else made
    if function in made:
        return made[function]
    py = function.py_func
    scope = dict(py.__globals__)
    for name in py.__code__.co_names:
        if isinstance(scope.get(name), Dispatcher):
            scope[name] = _device(scope[name], made)
    twin = types.FunctionType(py.__code__, scope, py.__name__, py.__defaults__, py.__closure__)
    made[function] = twin if config.ENABLE_CUDASIM else cuda.jit(device=True)(twin)
    return made[function]


path_1f_device = _device(path_1f)
path_2f_device = _device(path_2f)


@cuda.jit
def paths_1f(consts, shocks, substeps, x0, v0, vix_a, vix_b, path_start, stream, k0, k1,
             out_spx, out_v, out_vix):
    i = cuda.grid(1)
    if i < out_spx.shape[0]:
        path_1f_device(consts, shocks, substeps, x0, v0, vix_a, vix_b, uint64(path_start + i),
                       stream, k0, k1, out_spx[i], out_v[i], out_vix[i])


@cuda.jit
def paths_2f(consts, shocks, substeps, x0, v0, m0, vix_a, vix_b, vix_c, path_start, stream,
             k0, k1, out_spx, out_v, out_m, out_vix):
    i = cuda.grid(1)
    if i < out_spx.shape[0]:
        row = cuda.local.array(N_STEP_CONSTANTS, float64)  # the CPU kernel's np.empty/zeros
        m_row = cuda.local.array(N_STEP_CONSTANTS, float64)
        for j in range(N_STEP_CONSTANTS):
            m_row[j] = 0.0
        path_2f_device(consts, shocks, substeps, x0, v0, m0, vix_a, vix_b, vix_c,
                       uint64(path_start + i), stream, k0, k1, row, m_row, out_spx[i],
                       out_v[i], out_m[i], out_vix[i])
