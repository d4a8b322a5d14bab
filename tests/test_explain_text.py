"""explain's numbers are readable: one format per block, fixed point when the values are of
one size, scientific when they span orders of magnitude, and never 0.00000 or -0.0000."""

import numpy as np

from chainrule.explain.text import _block, _cells, _picture


def test_values_of_one_size_print_fixed_with_four_significant_digits():
    assert _cells([0.31, -0.0651, 0.0099]) == [" 0.3100", "-0.0651", " 0.0099"]
    assert _cells([12.5, 3.0]) == ["12.50", " 3.00"]


def test_the_smallest_value_keeps_a_significant_digit():
    assert _cells([0.2139, -0.0001]) == [" 0.2139", "-0.0001"]


def test_values_spanning_orders_of_magnitude_print_in_scientific_notation():
    confident = [2.71e-06, 4.04e-08, 0.99966, 1.6e-09]
    assert _cells(confident) == ["2.71e-06", "4.04e-08", "1.00e+00", "1.60e-09"]
    assert _cells([3.2e6, 1.0]) == ["3.20e+06", "1.00e+00"]


def test_exact_zeros_print_as_zero_never_as_rows_of_zeros():
    texts = _cells([0.0, -0.0, -1.00034, 0.0])
    assert [text.strip() for text in texts] == ["0", "0", "-1.000", "0"]
    assert _cells([0.0, -0.0]) == ["0", "0"]
    rows = _block(np.array([[0.0, -1e-7, 2e-9], [-0.0, 3e-4, 0.0]]))
    assert not any("0.0000" in row for row in rows)
    assert len({len(row) for row in rows}) == 1  # one width: columns align


def test_a_picture_prints_one_character_per_pixel_darker_for_more_ink():
    picture = np.zeros((2, 3))
    picture[0, 1], picture[1, 2] = 1.0, 4 / 9
    assert _picture(picture) == ["    | @ |", "    |  =|"]
