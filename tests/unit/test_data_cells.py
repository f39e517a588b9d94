"""Typed table-cell conversion (relicboost.data.cells)."""
import numpy as np
import pytest

from relicboost.data.cells import cell_float, cell_int, cell_str


def test_numeric_cells_convert_like_builtins():
    assert cell_float(np.float64(207.2)) == 207.2 and type(cell_float(np.int64(3))) is float
    assert cell_int(np.int64(82)) == 82 and type(cell_int(np.float64(82.0))) is int
    assert cell_float("1.5") == 1.5
    assert cell_str("8B") == "8B"


@pytest.mark.parametrize("func, value", [(cell_float, None), (cell_int, None), (cell_str, 3.0)])
def test_wrong_cell_type_raises_typeerror(func, value):
    with pytest.raises(TypeError, match="table cell"):
        func(value)
