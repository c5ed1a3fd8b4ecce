"""The linear-expression type and the builder (planner.optimize.linear): the fast paths give exactly what the
plain arithmetic gives, so a model is the same whichever way its rows were written."""

from __future__ import annotations

from planner.optimize.linear import Builder, Lin, lin_combination, lin_sum


def _three() -> tuple[Builder, Lin, Lin, Lin]:
    b = Builder("t")
    return b, b.var(name="x"), b.var(name="y"), b.var(name="z")


def test_a_weighted_sum_equals_the_sum_of_the_products_exactly():
    _, x, y, z = _three()
    pairs = [(0.1, x + 2.5), (1 / 3, y - x), (7.0, 4.0), (-2.2, z + y * 0.7), (0.0, x)]
    expected = lin_sum(k * e for k, e in pairs)
    got = lin_combination(pairs)
    assert got.terms == expected.terms  # the same floating-point operations, so equal to the last bit
    assert got.constant == expected.constant


def test_a_difference_equals_the_sum_of_the_negation():
    _, x, y, z = _three()
    a, c = 2.0 * x + y + 1.5, 3.0 * y - z * 0.25 + 4.0
    for other in (c, 7.25):
        got, expected = a - other, a + (-other)
        assert (got.terms, got.constant) == (expected.terms, expected.constant)
    assert (a.terms, a.constant) == ({0: 2.0, 1: 1.0}, 1.5)  # the operands are left as they were


def test_a_row_is_written_in_column_order_without_zeros():
    b, x, y, z = _three()
    b.le(3.0 * z + 0.0 * y + x - 2.0, 5.0, name="r0")
    b.ge(y - y + z, 1.0, name="r1")
    arrays = b.arrays()
    assert arrays.matrix.toarray().tolist() == [[1.0, 0.0, 3.0], [0.0, 0.0, 1.0]]
    assert arrays.row_upper.tolist()[0] == 7.0  # the constant moves to the bound
    assert b.model().export_model().linear_constraint_matrix.column_ids == [0, 2, 2]


def test_a_row_is_its_expression_as_written_whatever_is_built_from_that_expression_later():
    b, x, y, z = _three()
    e = x + 2.0 * y
    b.le(e, 4.0, name="r0")
    b.le(x, 1.0, name="r1")  # a bare variable's expression, written as a row and then used again
    _ = e + z, e - x, 3.0 * e, x + y  # new expressions from both, after the rows were written
    assert b.arrays().matrix.toarray().tolist() == [[1.0, 2.0, 0.0], [1.0, 0.0, 0.0]]
    assert (e.terms, x.terms) == ({0: 1.0, 1: 2.0}, {0: 1.0})


def test_a_row_of_plain_terms_is_the_row_of_the_same_expression():
    b, x, y, z = _three()
    b.le(x + 2.0 * z, 3.0, name="expression")
    b.le({0: 1.0, 2: 2.0}, 3.0, name="terms")
    arrays = b.arrays()
    assert arrays.matrix.toarray().tolist() == [[1.0, 0.0, 2.0], [1.0, 0.0, 2.0]]
    assert arrays.row_upper.tolist() == [3.0, 3.0] and arrays.row_lower.tolist() == [-float("inf")] * 2


def test_less_a_multiple_equals_the_plain_arithmetic_exactly():
    _, x, y, z = _three()
    a, flag = 2.0 * x + y + 1.5, 0.5 * y + z - 0.25
    got, expected = a.minus(3.7, flag), a - 3.7 * flag
    assert (got.terms, got.constant) == (expected.terms, expected.constant)
    assert (a.terms, flag.terms) == ({0: 2.0, 1: 1.0}, {1: 0.5, 2: 1.0})  # the operands are left as they were


def test_an_expression_from_arrays_sums_repeated_columns():
    import numpy as np

    got = Lin.from_arrays(np.array([2, 0, 2, 1, 0]), np.array([1.0, 0.5, 2.0, -1.0, 0.25]), 4.0)
    assert (got.terms, got.constant) == ({0: 0.75, 1: -1.0, 2: 3.0}, 4.0)
    assert all(type(j) is int and type(c) is float for j, c in got.terms.items())  # as the builder's ids
