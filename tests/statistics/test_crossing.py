"""The one limit engine (relicboost.inference.crossing.lowest_crossing) on analytic functions."""
from __future__ import annotations

import math

import numpy as np
import pytest

from relicboost.inference.crossing import AT_START, NONE, OK, lowest_crossing


def test_root_of_monotonic_function():
    res = lowest_crossing(lambda x: x**3 - 2.0, np.linspace(0.0, 3.0, 7), xtol=1e-12)
    assert res.status == OK and res.one_interval
    assert res.x == pytest.approx(2.0 ** (1 / 3), abs=1e-10)


def test_lowest_of_several_crossings():
    """sin has roots at pi and 3 pi in (2, 11); excluded where -sin >= 0: first crossing at pi."""
    res = lowest_crossing(lambda x: -math.sin(x), np.linspace(2.0, 11.0, 37), xtol=1e-12)
    assert res.x == pytest.approx(math.pi, abs=1e-10)
    assert not res.one_interval  # allowed again above 2 pi


def test_no_crossing_and_at_start():
    assert lowest_crossing(lambda x: -1.0, np.linspace(0, 1, 5)).status == NONE
    assert math.isnan(lowest_crossing(lambda x: -1.0, np.linspace(0, 1, 5)).x)
    res = lowest_crossing(lambda x: x, np.linspace(0.5, 1, 5))
    assert res.status == AT_START and res.x == 0.5
    assert lowest_crossing(lambda x: x, np.array([])).status == NONE


def test_lower_bracket_below_grid():
    res = lowest_crossing(lambda x: x - 0.2, np.linspace(0.5, 1, 5), lower=-1.0, xtol=1e-12)
    assert res.status == OK and res.x == pytest.approx(0.2, abs=1e-10)


def test_given_values_are_used():
    calls = []

    def f(x):
        calls.append(x)
        return x - 0.3

    grid = np.linspace(0.0, 1.0, 11)
    lowest_crossing(f, grid, values=grid - 0.3)
    assert all(0.2 <= c <= 0.3 + 1e-12 for c in calls)  # only the root finder inside the bracket


def test_bad_grid():
    with pytest.raises(ValueError, match="strictly increasing"):
        lowest_crossing(lambda x: x, np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="NaN"):
        lowest_crossing(lambda x: math.nan, np.array([1.0, 2.0]))
