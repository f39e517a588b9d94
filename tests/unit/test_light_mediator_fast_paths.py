"""Fast paths of the light-mediator transport agree with the obviously-correct versions they replace."""
from __future__ import annotations

import numpy as np
import pytest

from relicboost.physics.cosmology import Cosmology
from relicboost.physics.light_mediator import light_channel_steps
from relicboost.physics.light_mediator.fast_kernels import fast_light_channel_steps
from relicboost.physics.light_mediator.mass_solve import block_solve
from relicboost.physics.light_mediator.models import ParticleModel
from relicboost.physics.transport_grid import build_transport_grid


def test_block_solve_solves_block_triangular_system():
    rng = np.random.default_rng(7)
    n = 70
    # H[a, c, j, k]: products in node k of channel c per scattering at node j of channel a, zero for k > j
    H = rng.random((3, 3, n, n)) * (np.arange(n)[:, None] >= np.arange(n)[None, :])
    p, r = rng.random(3 * n) * 0.1, rng.random(3 * n)   # channel-major
    G = H.transpose(1, 3, 0, 2).reshape(3 * n, 3 * n)
    for chunk in (7, 32, 100):
        x = block_solve(np.stack([H, 2 * H]), np.stack([p, p / 3]), np.stack([r, r]), chunk)
        for s, (scale, ps) in enumerate(((1.0, p), (2.0, p / 3))):
            A = np.eye(3 * n) - ps[:, None] * scale * (G - np.diag(np.diag(G)))
            np.testing.assert_allclose(x[s], np.linalg.solve(A, r), rtol=1e-12)


@pytest.mark.parametrize("name, g, M", [("vector", 1e-2, 1.0), ("complex-scalar", 1e-6, 1e-5)])
def test_tabulated_kernels_outside_the_table_use_its_end_values(name, g, M):
    """x = s/M^2 below 1e-6 (M = 1 MeV) or above 1e10 (M = 10 eV) on part of the grid: strided fast path off."""
    energy = np.geomspace(0.01, 200.0, 87)
    tg = build_transport_grid(energy, Cosmology(), "paper", 6.0)
    pm = ParticleModel(name)
    for a, b in zip(light_channel_steps(tg, g, M, pm.kind, model=pm), fast_light_channel_steps(tg, g, M, pm)):
        for direct, tab in ((a.gain_own, b.gain_own), (a.gain_both, b.gain_both)):
            np.testing.assert_allclose(tab, direct, atol=1e-3 * np.abs(direct).max())
            assert np.all(np.tril(tab, -1) == 0.0)
