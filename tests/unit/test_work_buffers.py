"""Work buffers of the paper propagator (issue 9 item 5): no aliasing, same numbers, allocator untouched."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from relicboost import Model
from relicboost.physics.printed_attenuation import PrintedAttenuation
from relicboost.physics.propagation import attenuated_dsnb


@pytest.fixture(scope="module")
def model() -> Model:
    return Model()


def test_predictions_do_not_share_buffers(model):
    p1 = model.predict(1e-10)
    keep = {s: (p1.dsnb[s].copy(), p1.boosted[s].copy()) for s in p1.dsnb}
    model.predict(1e-8, T_nuebar=9.0)
    for s, (d, b) in keep.items():
        np.testing.assert_array_equal(p1.dsnb[s], d)
        np.testing.assert_array_equal(p1.boosted[s], b)


@pytest.mark.parametrize("lam", [0.0, 1e-12, 1e-10, 1e-8, 1e-3])
def test_today_and_weighted_equal_contractions_of_the_full_table(model, lam):
    # lam = 1e-3 takes the overflow-free recurrence path of both methods
    src = model._sources((6.6, 7.0, 10.0))
    work = PrintedAttenuation(model.grid, (3,))
    c = lam * model.grid.energy
    table = attenuated_dsnb(model.grid, src, lam)
    today, weighted = work.today_and_weighted(src, c, model.grid.boost_weight)
    np.testing.assert_allclose(today, table[:, 0, :], rtol=1e-12, atol=0)
    ref = np.einsum("m,sme->se", model.grid.boost_weight, table)
    np.testing.assert_allclose(weighted, ref, rtol=1e-11, atol=1e-300)


def _allocator_state(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "RELICBOOST_MALLOPT"}
    if env_value is not None:
        env["RELICBOOST_MALLOPT"] = env_value
    code = ("import relicboost, relicboost._runtime as r; relicboost.Model().predict(1e-10); "
            "print(r._APPLIED)")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt exists on glibc/Linux only")
def test_allocator_untouched_unless_opted_in():
    assert _allocator_state(None) == "False"
    assert _allocator_state("0") == "False"
    assert _allocator_state("no") == "False"
    assert _allocator_state("1") == "True"
    assert _allocator_state(" Yes ") == "True"
