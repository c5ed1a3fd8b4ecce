"""Free-format MPS of a MathOpt model, every number written so that it reads back as the same double.

`gwplan optimize --write-models` hands each model to other solvers through this file. OR-Tools' own writer
(`mps_converter.model_proto_to_mps`) prints six significant digits, so what it writes is a neighbouring model:
on a 1,000-site model most coefficients move in their sixth digit, which is enough to send a solver down
another search (the first pass's plans of the generated shapes differ when read back from such a file;
docs/PERFORMANCE.md) and, in a tight row, to make a plan that was feasible slightly infeasible. Here each
number is Python's `repr`, the shortest text that parses back to the same float, so OR-Tools' reader (and any
reader that rounds correctly) gets the model the back end received, bit for bit.

Sections: NAME (the model's name, its spaces as underscores), OBJSENSE (only to maximize), ROWS, COLUMNS
(integer columns between MARKER lines), RHS (the objective's constant as the negated right-hand side of its row,
the usual convention), RANGES (a row bounded on both sides: its lower bound and the range, so the upper bound
reads back as lower + range, which may differ from the original in its last bit; gwplan's models have no such
rows), BOUNDS.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

from ortools.math_opt import model_pb2

OBJECTIVE_ROW = "COST"


def names(proto: model_pb2.ModelProto) -> tuple[list[str], list[str]]:
    """(column names, row names) as written: the model's own, or x<id> / c<id> where a name is missing."""
    columns = [name or f"x{j}" for j, name in zip(proto.variables.ids, _padded(proto.variables.names,
                                                                                len(proto.variables.ids)))]
    rows = [name or f"c{i}" for i, name in zip(proto.linear_constraints.ids, _padded(
        proto.linear_constraints.names, len(proto.linear_constraints.ids)))]
    return columns, rows


def _padded(values, n: int) -> list[str]:
    return list(values) if len(values) == n else [""] * n


def _number(value: float) -> str:
    return repr(float(value))


def to_mps(proto: model_pb2.ModelProto) -> str:
    """The model as free-format MPS text (linear models only: what gwplan builds)."""
    if proto.objective.quadratic_coefficients.row_ids or proto.quadratic_constraints:
        raise ValueError("MPS here is for linear models; this one has quadratic terms")
    columns, rows = names(proto)
    for name in columns + rows:
        if not name or any(ch.isspace() for ch in name):
            raise ValueError(f"a name free-format MPS cannot hold: {name!r}")
    column_of = {j: k for k, j in enumerate(proto.variables.ids)}
    row_of = {i: k for k, i in enumerate(proto.linear_constraints.ids)}
    title = re.sub(r"\s+", "_", proto.name.strip()) or "model"  # a reader takes a name's first word only
    lines = [f"NAME {title}"]
    if proto.objective.maximize:
        lines += ["OBJSENSE", "    MAX"]
    lines += ["ROWS", f" N  {OBJECTIVE_ROW}"]
    ranges, rhs = [], []
    for k, (low, high) in enumerate(zip(proto.linear_constraints.lower_bounds,
                                        proto.linear_constraints.upper_bounds)):
        if low == high:
            kind, value = "E", low
        elif math.isinf(low) and math.isinf(high):
            kind, value = "N", 0.0  # a free row: it bounds nothing
        elif math.isinf(low):
            kind, value = "L", high
        else:
            kind, value = "G", low
            if not math.isinf(high):
                ranges.append(f"    RNG  {rows[k]}  {_number(high - low)}")
        lines.append(f" {kind}  {rows[k]}")
        if value != 0.0:
            rhs.append(f"    RHS  {rows[k]}  {_number(value)}")
    entries: dict[int, list[tuple[str, float]]] = defaultdict(list)
    objective = proto.objective.linear_coefficients
    for j, c in zip(objective.ids, objective.values):
        entries[column_of[j]].append((OBJECTIVE_ROW, c))
    matrix = proto.linear_constraint_matrix
    for i, j, c in zip(matrix.row_ids, matrix.column_ids, matrix.coefficients):
        entries[column_of[j]].append((rows[row_of[i]], c))
    lines.append("COLUMNS")
    integer = False
    for k, name in enumerate(columns):
        if proto.variables.integers[k] != integer:
            integer = proto.variables.integers[k]
            lines.append(f"    MARKER  'MARKER'  '{'INTORG' if integer else 'INTEND'}'")
        column = entries.get(k) or [(OBJECTIVE_ROW, 0.0)]  # a column in no row is still declared
        lines.extend(f"    {name}  {row}  {_number(c)}" for row, c in column)
    if integer:
        lines.append("    MARKER  'MARKER'  'INTEND'")
    if proto.objective.offset:
        rhs.insert(0, f"    RHS  {OBJECTIVE_ROW}  {_number(-proto.objective.offset)}")
    lines += ["RHS", *rhs]
    if ranges:
        lines += ["RANGES", *ranges]
    lines.append("BOUNDS")
    for k, name in enumerate(columns):
        lines.extend(_bounds(name, proto.variables.lower_bounds[k], proto.variables.upper_bounds[k],
                             proto.variables.integers[k]))
    lines.append("ENDATA")
    return "\n".join(lines) + "\n"


def _bounds(name: str, low: float, high: float, integer: bool) -> list[str]:
    """BOUNDS lines for one column. Defaults are [0, inf) for every column; an integer column's bounds are always
    written, since some readers take an integer column without them as binary."""
    if low == high:
        return [f" FX BND  {name}  {_number(low)}"]
    if math.isinf(low) and math.isinf(high):
        return [f" FR BND  {name}"]
    out = [f" MI BND  {name}"] if math.isinf(low) else (
        [f" LO BND  {name}  {_number(low)}"] if low != 0.0 or integer or high < 0.0 else [])
    if not math.isinf(high):
        out.append(f" UP BND  {name}  {_number(high)}")
    elif integer:
        out.append(f" PL BND  {name}")
    return out
