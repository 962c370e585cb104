"""Philox4x32-10 against the Random123 known-answer vectors, and the derived draws."""

import math

import numpy as np
import pytest
from numba import njit, uint64

from simulator.model.rng import jump_draws, philox, seed_key, step_draws

# Random123 tests/kat_vectors, the three "philox4x32 10" lines: counter[4], key[2] -> result[4].
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize(("counter", "key", "expected"), KAT)
def test_philox_known_answers(counter, key, expected):
    assert tuple(int(x) for x in philox([counter], key)[0]) == expected


@njit
def _draws(n, k0, k1):
    """The kernel's own draws for n steps of path 7: step block and first jump block."""
    u = np.empty((n, 3))
    z = np.empty((n, 2))
    for i in range(n):
        u_v, z_x, u_n = step_draws(uint64(i), uint64(7), uint64(0), k0, k1)
        u_size, z_jump = jump_draws(uint64(i), uint64(7), 0, uint64(0), k0, k1)
        u[i, 0], u[i, 1], u[i, 2] = u_v, u_n, u_size
        z[i, 0], z[i, 1] = z_x, z_jump
    return u, z


def test_kernel_draws_have_the_right_moments_and_are_independent():
    n = 200_000
    u, z = _draws(n, np.uint64(12345), np.uint64(0))
    assert (u > 0).all() and (u < 1).all()  # open interval: log(u) and log(1-u) are finite
    se_mean_u = math.sqrt(1 / 12 / n)
    assert np.abs(u.mean(axis=0) - 0.5).max() < 4 * se_mean_u
    se_mean_z = 1 / math.sqrt(n)
    se_var_z = math.sqrt(2 / n)
    assert np.abs(z.mean(axis=0)).max() < 4 * se_mean_z
    assert np.abs(z.var(axis=0) - 1).max() < 4 * se_var_z
    # every pair of the five streams is uncorrelated (4 SE; 10 pairs)
    corr = np.corrcoef(np.column_stack([u, z]).T)
    off_diagonal = corr[~np.eye(5, dtype=bool)]
    assert np.abs(off_diagonal).max() < 4 / math.sqrt(n)
    # normal tails: P(|Z| > 3) = 0.0026998
    p3 = (np.abs(z) > 3).mean()
    assert abs(p3 - 0.0026998) < 4 * math.sqrt(0.0027 / (2 * n))


def test_seed_key_splits_64_bits_and_rejects_bad_seeds():
    assert seed_key(0) == (0, 0)
    assert seed_key(2**32 + 5) == (5, 1)
    for bad in (-1, 2**64):
        with pytest.raises(ValueError, match="seed"):
            seed_key(bad)
    with pytest.raises(TypeError):
        seed_key(1.5)


def test_inverse_normal_matches_scipy_ndtri():
    from scipy.special import ndtri

    from simulator.model.rng import inverse_normal_array

    # centre, both tails, and the extreme 32-bit uniforms the kernel can produce
    p = np.concatenate([np.linspace(1e-6, 1 - 1e-6, 200_001), np.geomspace(1e-12, 0.03, 5_000),
                        1 - np.geomspace(1e-12, 0.03, 5_000),
                        [0.5 / 2**32, 1 - 0.5 / 2**32]])
    z, ref = inverse_normal_array(p), ndtri(p)
    # Acklam (2003) states a relative error below 1.15e-9
    assert np.max(np.abs(z - ref) / np.abs(np.where(ref == 0, 1, ref))) < 1.15e-9
    assert np.all(np.diff(inverse_normal_array(np.linspace(1e-9, 1 - 1e-9, 100_001))) > 0)
