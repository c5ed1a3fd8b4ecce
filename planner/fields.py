"""Reading untrusted YAML data field by field, collecting every problem with its file and field path.

A `Fields` wraps one mapping. Each getter checks one key and returns a usable value even when the
key is wrong (so reading goes on and all problems are reported at once); `done()` reports keys that
no getter asked for, with a suggestion for likely typos.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

_MISSING: Any = object()

# Sanity limits: beyond these a figure is a typo or a unit mistake, and solvers lose precision on it.
MAX_MAGNITUDE = 1e15  # any number (a quadrillion: dollars included)
MAX_WHOLE_NUMBER = 10**9  # any count (racks, GPUs, ports, ...)
UNIT_LIMITS = {"mw": 1e6, "kw": 1e6, "gbps": 1e7, "months": 1200.0, "years": 200.0}  # 1 TW, ..., a century


# keys are dates, site ids or power-source ids, not fields
FREE_MAPPINGS = ("grid_mw_by_date", "serve_cost_usd_per_year", "served_mw", "power_mw", "energy_mwh_per_year")


def unit_limit(path: str) -> float:
    """The largest sensible value of a field, from the first unit in its name (`capex_usd_per_it_mw` is in
    dollars, `grid_mw_by_phase[3]` in MW); entries of free mappings (`serve_cost_usd_per_year.tx_mw_1`) take the
    unit of the field that holds them, whatever their key says."""
    parts = [part for part in re.split(r"[.\[\]]", path) if part]
    for i in reversed(range(len(parts))):
        if i and parts[i - 1] in FREE_MAPPINGS:
            continue
        for token in parts[i].split("_"):
            if token == "usd":
                return MAX_MAGNITUDE
            if token in UNIT_LIMITS:
                return UNIT_LIMITS[token]
    return MAX_MAGNITUDE


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        """One line, always: control characters in a path or a quoted key (a YAML key can hold a newline)
        are shown escaped, so no input can forge a line of its own in the output."""
        where = f"{self.file}: {self.path}" if self.path else self.file
        return _one_line(f"{where}: {self.message}")


_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class InputError(Exception):
    """Bad input: one or more problems, each naming file, field path and what was expected."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


MAX_ID_CHARS = 64
ID_CHARS = "letters, digits, '.', '_' and '-'"
ID_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_ID_CHARS - 1}}}")


def describe(value: Any) -> str:
    """A short, safe description of a value for error messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int) and abs(value) > 10**15:
        return f"a {len(str(abs(value)))}-digit number"
    if isinstance(value, (int, float)):
        return f"{value!r}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"text {text!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (date, datetime)):
        return f"date {value.isoformat()}"
    return type(value).__name__


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


_PERIOD_END = {"H1": (6, 30), "H2": (12, 31), "Q1": (3, 31), "Q2": (6, 30), "Q3": (9, 30), "Q4": (12, 31)}


def parse_date(value: Any) -> date | None:
    """A date from YAML: an ISO date, or a period label (2026-H2, 2027-Q1, 2028-03) meaning its last day."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    parts = text.split("-")
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) != 4:
        return None
    year, period = int(parts[0]), parts[1].upper()
    if not 1 <= year <= 9998:  # date() takes years 1-9999; a month label needs the next month too
        return None
    if period in _PERIOD_END:
        month, day = _PERIOD_END[period]
        return date(year, month, day)
    if period.isdigit() and 1 <= int(period) <= 12:
        month = int(period)
        following = date(year + month // 12, month % 12 + 1, 1)
        return date.fromordinal(following.toordinal() - 1)
    return None


class Fields:
    """One mapping of the input, read key by key; problems go to a shared list."""

    def __init__(self, problems: list[Problem], file: str, path: str, value: Any):
        self.problems, self.file, self.path = problems, file, path
        self.broken = not isinstance(value, dict)  # reported once here; its missing fields are not listed
        if self.broken:
            self.problem(path, f"expected a mapping of fields, got {describe(value)}")
            value = {}
        self.data: dict = value
        self._seen: set = set()

    # -- reporting -------------------------------------------------------------------------------
    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.file, path, message))

    def at(self, key: str | int) -> str:
        return join(self.path, key)

    def has(self, key: str) -> bool:
        """Whether an optional key is given (asking marks it as a known field)."""
        self._seen.add(key)
        return key in self.data and self.data[key] is not None

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        """The value as written, marking the key as known; a problem if it is required and absent."""
        self._seen.add(key)
        if key in self.data and self.data[key] is not None:
            return self.data[key]
        if default is _MISSING and not self.broken:
            self.problem(self.at(key), "is required")
        return _MISSING if default is _MISSING else default

    def done(self) -> None:
        """Report keys nobody asked for: in a scenario these are almost always typos."""
        known = sorted(str(k) for k in self._seen)
        for key in self.data:
            if key in self._seen:
                continue
            hint = difflib.get_close_matches(str(key), known, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else f" (known fields: {', '.join(known)})"
            self.problem(self.at(str(key)), f"unknown field{suggestion}")

    # -- typed getters -------------------------------------------------------------------------
    def number(self, key: str, default: Any = _MISSING, *, ge: float | None = None,
               gt: float | None = None, le: float | None = None, lt: float | None = None) -> float:
        value = self.raw(key, default)
        if value is _MISSING:
            return 0.0
        return self.check_number(value, self.at(key), ge=ge, gt=gt, le=le, lt=lt)

    def check_number(self, value: Any, path: str, *, ge=None, gt=None, le=None, lt=None) -> float:
        """A finite number within the bounds given and the sanity limit of the field's unit."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(path, f"expected a number, got {describe(value)}")
            return 0.0
        try:
            number = float(value)
        except OverflowError:  # a whole number with hundreds of digits
            number = math.inf
        if not math.isfinite(number):
            self.problem(path, f"expected a finite number, got {describe(value)}")
            return 0.0
        limit = unit_limit(path)
        if abs(number) > limit:
            self.problem(path, f"expected a number of at most {limit:g} in size (a unit mistake?), "
                               f"got {describe(value)}")
            return 0.0
        bounds = [(ge, number >= ge if ge is not None else True, ">="),
                  (gt, number > gt if gt is not None else True, ">"),
                  (le, number <= le if le is not None else True, "<="),
                  (lt, number < lt if lt is not None else True, "<")]
        for bound, ok, symbol in bounds:
            if bound is not None and not ok:
                self.problem(path, f"expected a number {symbol} {bound:g}, got {value!r}")
                return 0.0
        return number

    def integer(self, key: str, default: Any = _MISSING, *, ge: int | None = None) -> int:
        value = self.raw(key, default)
        if value is _MISSING:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                self.problem(self.at(key), f"expected a whole number, got {describe(value)}")
                return 0
        if ge is not None and value < ge:
            self.problem(self.at(key), f"expected a whole number >= {ge}, got {describe(value)}")
            return 0
        if abs(value) > MAX_WHOLE_NUMBER:
            self.problem(self.at(key), f"expected a whole number of at most {MAX_WHOLE_NUMBER:,}, "
                                       f"got {describe(value)}")
            return 0
        return value

    def string(self, key: str, default: Any = _MISSING, *, choices: tuple[str, ...] | None = None) -> str:
        value = self.raw(key, default)
        if value is _MISSING:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.problem(self.at(key), f"expected text, got {describe(value)}")
            return ""
        text = str(value).strip()
        if not text and default is _MISSING:
            self.problem(self.at(key), "expected non-empty text")
        if choices is not None and text not in choices:
            self.problem(self.at(key), f"expected one of {', '.join(choices)}, got {text!r}")
        return text

    PORT_FIELDS = ("n", "cage", "lane", "cage0", "lane0")

    def port_template(self, key: str) -> str:
        """A port-name template such as `swp{n}` or `sw{cage}p{lane}` (fields: n, cage, lane, cage0, lane0)."""
        import string

        text = self.string(key)
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as err:
            self.problem(self.at(key), f"expected a port-name template such as swp{{n}}, got {text!r} ({err})")
            return ""
        unknown = fields - set(self.PORT_FIELDS)
        if unknown or not fields:
            self.problem(self.at(key), f"expected a port-name template using {{n}}, {{cage}}, {{lane}}, {{cage0}} or "
                                       f"{{lane0}}, got {text!r}")
            return ""
        return text

    def identifier(self, key: str) -> str:
        """An id: non-empty text (numbers are taken as text, so `id: 3` means "3") of ID_CHARS, starting with a
        letter or digit. Ids become file names (stack files, export folders) and device names, so anything
        that could leave a directory (`..`, `/`) or break a line or a file format (control characters) is
        refused here, with the field's path."""
        text = self.string(key)
        if text and not ID_PATTERN.fullmatch(text):
            self.problem(self.at(key), f"expected an id of letters, digits, '.', '_' and '-' (starting with a "
                                       f"letter or digit, at most {MAX_ID_CHARS} characters), got {describe(text)}")
            return ""
        return text

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        value = self.raw(key, default)
        if value is _MISSING:
            return False
        if not isinstance(value, bool):
            self.problem(self.at(key), f"expected true or false, got {describe(value)}")
            return False
        return value

    def date(self, key: str, default: Any = _MISSING) -> date:
        value = self.raw(key, default)
        if value is _MISSING:
            return date(1970, 1, 1)
        parsed = parse_date(value)
        if parsed is None:
            self.problem(self.at(key), "expected a date: YYYY-MM-DD, or a period YYYY-H1/H2, "
                                       f"YYYY-Q1..Q4 or YYYY-MM (its last day), got {describe(value)}")
            return date(1970, 1, 1)
        return parsed

    def items(self, key: str, default: Any = _MISSING) -> Iterator[tuple[str, Any]]:
        """(path, item) for each entry of a list field."""
        value = self.raw(key, default)
        if value is _MISSING:
            return iter(())
        if not isinstance(value, list):
            self.problem(self.at(key), f"expected a list, got {describe(value)}")
            return iter(())
        return ((join(self.at(key), i), item) for i, item in enumerate(value))

    def records(self, key: str, default: Any = _MISSING) -> Iterator[Fields]:
        """A `Fields` for each mapping in a list field."""
        for path, item in self.items(key, default):
            yield Fields(self.problems, self.file, path, item)

    def mapping(self, key: str, default: Any = _MISSING) -> Fields:
        value = self.raw(key, default)
        return Fields(self.problems, self.file, self.at(key), {} if value is _MISSING else value)

    def uncertain(self, key: str, build: Callable[[float, float, float, str], Any], *, gt: float = 0.0) -> Any:
        """A catalog figure: a number, or {default, range: [low, high], source}."""
        value = self.raw(key)
        path = self.at(key)
        if value is _MISSING:
            return build(0.0, 0.0, 0.0, "")
        if not isinstance(value, dict):
            number = self.check_number(value, path, gt=gt)
            return build(number, number, number, "scenario")
        sub = Fields(self.problems, self.file, path, value)
        default = sub.number("default", gt=gt)
        span = sub.raw("range", [default, default])
        low = high = default
        if (not isinstance(span, list) or len(span) != 2):
            self.problem(join(path, "range"), f"expected [low, high], got {describe(span)}")
        else:
            low = sub.check_number(span[0], join(join(path, "range"), 0), gt=gt)
            high = sub.check_number(span[1], join(join(path, "range"), 1), gt=gt)
            if not low <= default <= high:
                self.problem(path, f"default {default:g} is outside its range [{low:g}, {high:g}]; "
                                   "change the range too")
        source = sub.string("source", "")
        sub.done()
        return build(default, low, high, source)
