"""Linear expressions over variable ids, and a builder that hands MathOpt the whole model at once.

MathOpt's Python expressions cost ~15 us per constraint to build (they are general: quadratic terms,
operator overloading through several layers); a model of 1,000 candidate sites has ~65,000 rows. Here a
`Lin` is a plain dict {variable id: coefficient} plus a constant, a row keeps its expression's dictionary, and
`Builder.model()` assembles the matrix once with numpy, fills one `ModelProto` and loads it with
`mathopt.Model.from_model_proto` (public API, done in C++): about 0.3 s for 40,000 variables and 75,000 rows.
The formulation code reads as it would with MathOpt's own expressions; `collector_paused` keeps Python's
garbage collector from scanning the expressions while a build allocates them.
"""

from __future__ import annotations

import contextlib
import gc
import math
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

from ortools.math_opt import model_pb2
from ortools.math_opt.python import mathopt

INF = math.inf


class Lin:
    """sum_j coefficient_j x_j + constant, over variable ids. Operations return new expressions; none changes
    one in place (a written row holds its expression's dictionary)."""

    __slots__ = ("terms", "constant")

    def __init__(self, terms: dict[int, float] | None = None, constant: float = 0.0):
        self.terms = {} if terms is None else terms
        self.constant = constant

    def __add__(self, other) -> Lin:
        if isinstance(other, Lin):
            terms = dict(self.terms)
            for j, c in other.terms.items():
                terms[j] = terms.get(j, 0.0) + c
            return Lin(terms, self.constant + other.constant)
        return Lin(dict(self.terms), self.constant + other)

    __radd__ = __add__

    def __neg__(self) -> Lin:
        return Lin({j: -c for j, c in self.terms.items()}, -self.constant)

    def __sub__(self, other) -> Lin:
        if isinstance(other, Lin):  # one new dictionary, not two (a build's rows are mostly differences)
            terms = dict(self.terms)
            get = terms.get
            for j, c in other.terms.items():
                terms[j] = get(j, 0.0) - c
            return Lin(terms, self.constant - other.constant)
        return Lin(dict(self.terms), self.constant - other)

    def minus(self, k: float, other: Lin) -> Lin:
        """self - k other, in one new dictionary (the grid, share and linking rows: a total less a multiple
        of a flag)."""
        terms = dict(self.terms)
        get = terms.get
        for j, c in other.terms.items():
            terms[j] = get(j, 0.0) - k * c
        return Lin(terms, self.constant - k * other.constant)

    def __rsub__(self, other) -> Lin:
        return (-self) + other

    def __mul__(self, k: float) -> Lin:
        return Lin({j: c * k for j, c in self.terms.items()}, self.constant * k)

    __rmul__ = __mul__

    @classmethod
    def from_arrays(cls, columns, coefficients, constant: float = 0.0) -> Lin:
        """sum_n coefficients_n x_(columns_n), a column repeated summed (numpy arrays): a long combination of
        large expressions added up in one pass, as the funding rows are."""
        import numpy as np

        ids, position = np.unique(columns, return_inverse=True)
        sums = np.bincount(position, weights=coefficients, minlength=len(ids))
        return cls(dict(zip(ids.tolist(), sums.tolist())), constant)

    def value(self, x) -> float:
        """The expression's value at a point x (indexable by variable id)."""
        return self.constant + sum(c * x[j] for j, c in self.terms.items())


def lin_sum(items: Iterable) -> Lin:
    """The sum of expressions and numbers, accumulated in one dictionary (no intermediate expressions)."""
    terms: dict[int, float] = {}
    get = terms.get
    constant = 0.0
    for item in items:
        if type(item) is Lin:
            for j, c in item.terms.items():
                terms[j] = get(j, 0.0) + c
            constant += item.constant
        else:
            constant += item
    return Lin(terms, constant)


def lin_combination(pairs: Iterable[tuple[float, Lin | float]]) -> Lin:
    """sum_i k_i e_i over (k_i, e_i) pairs, accumulated in one dictionary without an expression for each k_i e_i
    (the objective and the funding rows have ~130,000 such terms at 1,000 sites: ~10 % of the build)."""
    terms: dict[int, float] = {}
    get = terms.get
    constant = 0.0
    for k, item in pairs:
        if type(item) is Lin:
            for j, c in item.terms.items():
                terms[j] = get(j, 0.0) + c * k
            constant += item.constant * k
        else:
            constant += item * k
    return Lin(terms, constant)


@dataclass(frozen=True)
class ModelArrays:
    """min cost . x + offset  s.t.  row_lower <= matrix x <= row_upper, lower <= x <= upper (integer where
    `integer`); `site[j]` is the candidate site of variable j (-1: the model as a whole)."""

    cost: object  # numpy arrays and a scipy.sparse CSR matrix (imported only when asked for)
    offset: float
    matrix: object
    lower: object
    upper: object
    integer: object
    row_lower: object
    row_upper: object
    site: object


class Builder:
    """Variables, rows and an objective to minimize, collected in flat lists until `model()`."""

    def __init__(self, name: str):
        self.name = name
        self._lower: list[float] = []
        self._upper: list[float] = []
        self._integer: list[bool] = []
        self._names: list[str] = []
        self._sites: list[int] = []  # the candidate site each variable belongs to (-1: the model as a whole)
        self._row_lower: list[float] = []
        self._row_upper: list[float] = []
        self._row_names: list[str] = []
        self._rows: list[dict[int, float]] = []  # each row's terms, as its expression held them (never changed)
        self.objective = Lin()

    def var(self, lb: float = 0.0, ub: float = INF, integer: bool = False, name: str = "", site: int = -1) -> Lin:
        """A new variable; `site` is the index of the candidate site it describes (-1: none, e.g. a phase's
        unspent funding). Site decomposition (planner.optimize.pricing) splits the model by it."""
        j = len(self._lower)
        self._lower.append(lb)
        self._upper.append(ub)
        self._integer.append(integer)
        self._names.append(name)
        self._sites.append(site)
        return Lin({j: 1.0})

    def binary(self, name: str = "", site: int = -1) -> Lin:
        return self.var(0.0, 1.0, True, name, site)

    def row(self, expr: Lin | dict[int, float] | float, lb: float = -INF, ub: float = INF, name: str = "") -> int:
        """lb <= expr <= ub (the expression's constant moves to the bounds); returns the row's id. The row keeps
        the expression's own dictionary (expressions are never changed in place): the matrix is assembled once,
        by `matrix()`, in a few passes over all rows instead of a sort for each. A plain {variable id:
        coefficient} dictionary is a row's terms as they are (the row keeps it: the caller must not change it)."""
        r = len(self._row_lower)
        if type(expr) is Lin:
            self._rows.append(expr.terms)
            constant = expr.constant
        elif isinstance(expr, dict):
            self._rows.append(expr)
            constant = 0.0
        else:
            self._rows.append({})
            constant = float(expr)
        self._row_lower.append(lb - constant)
        self._row_upper.append(ub - constant)
        self._row_names.append(name)
        return r

    def le(self, expr, rhs: float = 0.0, name: str = "") -> int:
        return self.row(expr, ub=rhs, name=name)

    def ge(self, expr, rhs: float = 0.0, name: str = "") -> int:
        return self.row(expr, lb=rhs, name=name)

    def eq(self, expr, rhs: float = 0.0, name: str = "") -> int:
        return self.row(expr, lb=rhs, ub=rhs, name=name)

    def upper(self, variable: Lin) -> float:
        """The upper bound of a variable (an expression of one variable with coefficient 1, as `var` returns)."""
        (j,) = variable.terms
        return self._upper[j]

    def shut(self, names: set[str] | frozenset[str]) -> int:
        """Fix the named variables at 0 (their upper bound; each must allow 0); returns how many it found."""
        found = 0
        for j, name in enumerate(self._names):
            if name in names:
                self._upper[j] = 0.0
                found += 1
        return found

    @property
    def names(self) -> list[str]:
        """Variable names by id."""
        return self._names

    @property
    def row_names(self) -> list[str]:
        """Row names by id."""
        return self._row_names

    @property
    def sites(self) -> list[int]:
        """The candidate site of each variable by id (-1: the model as a whole)."""
        return self._sites

    @property
    def size(self) -> dict[str, int]:
        return {"variables": len(self._lower), "integer_variables": sum(self._integer),
                "constraints": len(self._row_lower)}

    def matrix(self):
        """The constraint matrix as numpy arrays (row ids, column ids, coefficients) in row-major order, zeros
        dropped (the order MathOpt's ModelProto requires)."""
        import numpy as np

        rows = self._rows
        counts = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        entries = int(counts.sum())
        columns = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=entries)
        coefficients = np.fromiter(chain.from_iterable(map(dict.values, rows)), dtype=np.float64, count=entries)
        row_ids = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
        kept = coefficients != 0.0
        row_ids, columns, coefficients = row_ids[kept], columns[kept], coefficients[kept]
        order = np.argsort(row_ids * len(self._lower) + columns, kind="stable")  # mostly in order already: fast
        return row_ids[order], columns[order], coefficients[order]

    def arrays(self) -> ModelArrays:
        """The model as arrays (numpy and a scipy sparse matrix), for methods that work on the matrix itself."""
        import numpy as np
        import scipy.sparse as sparse

        terms = sorted((j, c) for j, c in self.objective.terms.items() if c != 0.0)
        n, m = len(self._lower), len(self._row_lower)
        cost = np.zeros(n)
        if terms:
            ids, values = zip(*terms)
            cost[list(ids)] = values
        row_ids, columns, coefficients = self.matrix()
        matrix = sparse.csr_matrix((coefficients, (row_ids, columns)), shape=(m, n))
        return ModelArrays(cost=cost, offset=self.objective.constant, matrix=matrix, lower=np.array(self._lower),
                           upper=np.array(self._upper), integer=np.array(self._integer, dtype=bool),
                           row_lower=np.array(self._row_lower), row_upper=np.array(self._row_upper),
                           site=np.array(self._sites, dtype=np.int64))

    def model(self, relax: bool = False) -> mathopt.Model:
        """The MathOpt model (minimizing the objective), loaded from one ModelProto; with `relax`, its LP
        relaxation (every variable continuous)."""
        proto = model_pb2.ModelProto(name=self.name)
        n = len(self._lower)
        proto.variables.ids.extend(range(n))
        proto.variables.lower_bounds.extend(self._lower)
        proto.variables.upper_bounds.extend(self._upper)
        proto.variables.integers.extend([False] * n if relax else self._integer)
        proto.variables.names.extend(self._names)
        m = len(self._row_lower)
        proto.linear_constraints.ids.extend(range(m))
        proto.linear_constraints.lower_bounds.extend(self._row_lower)
        proto.linear_constraints.upper_bounds.extend(self._row_upper)
        proto.linear_constraints.names.extend(self._row_names)
        row_ids, columns, coefficients = self.matrix()
        proto.linear_constraint_matrix.row_ids.extend(row_ids.tolist())
        proto.linear_constraint_matrix.column_ids.extend(columns.tolist())
        proto.linear_constraint_matrix.coefficients.extend(coefficients.tolist())
        terms = sorted((j, c) for j, c in self.objective.terms.items() if c != 0.0)
        proto.objective.maximize = False
        proto.objective.offset = self.objective.constant
        proto.objective.linear_coefficients.ids.extend(j for j, _ in terms)
        proto.objective.linear_coefficients.values.extend(c for _, c in terms)
        return mathopt.Model.from_model_proto(proto)


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector off while a model is built. A build allocates ~140,000 small
    expressions at 1,000 sites, none of them in a reference cycle (reference counting frees them), and the
    collector would scan the growing heap again and again: ~20 % of the build, measured. What the build keeps
    is the model, as long-lived as the run: it joins the collector's oldest generation at once (freeze, then
    unfreeze) instead of being scanned by the first collection after the build and again by the next (~70 ms
    at 1,000 sites)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()
