"""Scenario designs over a twin's parameter schema: grid, random, LHS, Sobol, Saltelli, Morris.

Pure: from the schema's bounds (or ranges the user gives) to a list of full scenarios, the
twin's defaults overlaid with the design's values. Every design is built in the unit cube
first, so the sensitivity analysis gets the matrix it needs and each parameter kind (float,
integer, boolean, enum) maps from it the same way. Every check happens before any point is
drawn, so a bad request costs nothing.
"""

from __future__ import annotations

import ast
import itertools
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..digital_twins import RequestError

KINDS = ("float", "int", "bool", "choice")
DESIGN_KINDS = ("grid", "random", "lhs", "sobol", "saltelli", "morris")
# the designs whose analysis needs every row of the sampled matrix
SENSITIVITY_DESIGNS = ("saltelli", "morris")
MORRIS_LEVELS = 4
# a design with a constraint draws at most this many points (or the cap on scenarios, if
# larger) to filter: filtering is not free
MAX_DESIGN_POINTS = 250_000
MAX_N = 10**9
# exclusive bounds are moved inward by this much, relative to the bound's magnitude
INWARD = 1e-9
MAX_CONSTRAINT_CHARS = 2000
MAX_CONSTRAINT_DEPTH = 64


def _error(message: str, field: str, **fields: Any) -> RequestError:
    return RequestError(400, message, field=field, **fields)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, (bool, np.bool_))
        and math.isfinite(float(value))
    )


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an odd enum value compares as different
        return False


# --- parameter ranges ----------------------------------------------------------------------


@dataclass
class ParameterRange:
    """The values one parameter takes in a design: [low, high] for numbers, else choices."""

    name: str
    kind: str  # float | int | bool | choice
    low: float | int | None = None
    high: float | int | None = None
    choices: list[Any] | None = None

    def value_at(self, u: float) -> Any:
        """The parameter's value at ``u`` in [0, 1]: linear for numbers (integers
        rounded), the ``floor(u * k)``-th of k choices."""
        if self.kind in ("bool", "choice"):
            choices = self.choices or []
            return choices[min(int(u * len(choices)), len(choices) - 1)]
        low, high = float(self.low), float(self.high)
        value = min(max(low + float(u) * (high - low), low), high)
        if self.kind == "int":
            return int(min(max(round(value), int(self.low)), int(self.high)))
        return float(value)

    def unit_of(self, value: Any) -> float:
        """Where ``value`` sits in [0, 1]: the inverse of ``value_at`` (a choice's bin centre)."""
        if self.kind in ("bool", "choice"):
            choices = self.choices or []
            i = next(i for i, c in enumerate(choices) if _same_value(c, value))
            return (i + 0.5) / len(choices)
        return (float(value) - float(self.low)) / (float(self.high) - float(self.low))

    def grid_size(self, levels: int) -> int:
        """How many values ``grid(levels)`` gives, without making them."""
        if self.kind in ("bool", "choice"):
            return len(self.choices or [])
        if self.kind == "int":  # spacing >= 1 keeps rounded levels distinct
            return min(levels, int(self.high) - int(self.low) + 1)
        return levels

    def grid(self, levels: int) -> list[Any]:
        """``levels`` evenly spaced values from low to high (distinct integers only), or
        every choice."""
        if self.kind in ("bool", "choice"):
            return list(self.choices or [])
        if self.kind == "int" and levels > int(self.high) - int(self.low):
            return list(range(int(self.low), int(self.high) + 1))  # every integer: as rounded
        points = np.linspace(float(self.low), float(self.high), levels)
        if self.kind == "float":
            return [float(v) for v in points]
        return [int(round(v)) for v in points]  # spacing >= 1: distinct once rounded

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind in ("bool", "choice"):
            out["choices"] = list(self.choices or [])
        else:
            out["low"], out["high"] = self.low, self.high
        return out


def _kind_of(prop: Mapping[str, Any]) -> str | None:
    """How a schema property can be varied, or None (free strings, objects, arrays)."""
    if isinstance(prop.get("enum"), list) and prop["enum"]:
        return "choice"
    types = prop.get("type")
    types = [t for t in types if t != "null"] if isinstance(types, list) else [types]
    kind = {"boolean": "bool", "integer": "int", "number": "float"}
    return kind.get(types[0]) if types else None


def _schema_bounds(prop: Mapping[str, Any]) -> tuple[Any, bool, Any, bool]:
    """(low, low exclusive, high, high exclusive) as the schema states them; None if absent.

    Takes the tighter of ``minimum`` and ``exclusiveMinimum`` (either draft's form)."""

    def side(inclusive: str, exclusive: str, tighter: Callable[[float, float], bool]):
        bound, open_ = None, False
        if _is_number(prop.get(inclusive)):
            bound = prop[inclusive]
            open_ = prop.get(exclusive) is True  # draft 4: exclusiveMinimum: true
        x = prop.get(exclusive)
        if _is_number(x) and (bound is None or tighter(x, bound) or x == bound):
            bound, open_ = x, True
        return bound, open_

    low, low_open = side("minimum", "exclusiveMinimum", operator.gt)
    high, high_open = side("maximum", "exclusiveMaximum", operator.lt)
    return low, low_open, high, high_open


def _nudge(bound: float, up: bool) -> float:
    """An exclusive float bound moved inward by a relative INWARD (at least one ulp)."""
    step = INWARD * max(abs(bound), 1.0)
    moved = bound + step if up else bound - step
    return float(np.nextafter(bound, math.inf if up else -math.inf)) if moved == bound else moved


def _inner(bound: Any, open_: bool, kind: str, up: bool) -> float | int:
    """The first value a design may take at a schema bound (``up`` for the low side)."""
    if kind == "int":
        if up:
            return math.floor(bound) + 1 if open_ else math.ceil(bound)
        return math.ceil(bound) - 1 if open_ else math.floor(bound)
    return _nudge(float(bound), up) if open_ else float(bound)


def schema_properties(schema: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """The parameter schema's properties (an empty dict for a twin without parameters)."""
    props = (schema or {}).get("properties") if isinstance(schema, Mapping) else None
    return {k: v for k, v in props.items() if isinstance(v, Mapping)} if props else {}


def schema_defaults(schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """Each parameter's ``default`` in the schema, for overlaying a design on."""
    return {k: p["default"] for k, p in schema_properties(schema).items() if "default" in p}


def _given_numeric(name: str, spec: Any) -> tuple[Any, Any]:
    """(low, high) from ``[low, high]``, ``{"low": .., "high": ..}`` or None (either may be
    None: the schema's bound)."""
    if spec is None or spec is True:
        return None, None
    if isinstance(spec, (list, tuple)) and len(spec) == 2:
        low, high = spec
    elif isinstance(spec, Mapping) and spec and set(spec) <= {"low", "high"}:
        low, high = spec.get("low"), spec.get("high")
    else:
        raise _error(
            f"{name}: give its range as [low, high] or {{'low': .., 'high': ..}}",
            "ranges",
            parameter=name,
        )
    for what, v in (("low", low), ("high", high)):
        if v is not None and not _is_number(v):
            raise _error(f"{name}: {what} must be a finite number", "ranges", parameter=name)
    return low, high


def _numeric_range(name: str, prop: Mapping[str, Any], kind: str, spec: Any) -> ParameterRange:
    s_low, s_low_open, s_high, s_high_open = _schema_bounds(prop)
    g_low, g_high = _given_numeric(name, spec)
    ends: list[float | int] = []
    for given, bound, open_, up, what in (
        (g_low, s_low, s_low_open, True, "low"),
        (g_high, s_high, s_high_open, False, "high"),
    ):
        if given is None:
            if bound is None:
                word = "minimum" if up else "maximum"
                raise _error(
                    f"{name}: the schema gives no {word}; give a range for it",
                    "ranges",
                    parameter=name,
                )
            ends.append(_inner(bound, open_, kind, up))
            continue
        if kind == "int" and float(given) != int(given):
            raise _error(f"{name}: {what} {given} is not a whole number", "ranges", parameter=name)
        value = int(given) if kind == "int" else float(given)
        if bound is not None:
            outside = value < bound if up else value > bound
            if outside or (open_ and value == bound and kind == "int"):
                side = "below the schema's minimum" if up else "above the schema's maximum"
                raise _error(f"{name}: {what} {given} is {side} {bound}", "ranges", parameter=name)
            if open_ and value == bound:  # the bound itself is excluded: step inside it
                value = _inner(bound, True, kind, up)
        ends.append(value)
    low, high = ends
    if not low < high:
        raise _error(
            f"{name}: the range's low {low} is not below its high {high}",
            "ranges",
            parameter=name,
        )
    return ParameterRange(name, kind, low=low, high=high)


def _choice_range(name: str, prop: Mapping[str, Any], kind: str, spec: Any) -> ParameterRange:
    allowed = list(prop["enum"]) if kind == "choice" else [False, True]
    if spec is None or spec is True:
        return ParameterRange(name, kind, choices=allowed)
    if not isinstance(spec, (list, tuple)) or not spec:
        raise _error(f"{name}: give the choices to try as a list", "ranges", parameter=name)
    choices: list[Any] = []
    for v in spec:
        if not any(_same_value(v, a) for a in allowed):
            raise _error(
                f"{name}: {v!r} is not one of its values {allowed!r}", "ranges", parameter=name
            )
        if not any(_same_value(v, c) for c in choices):
            choices.append(v)
    return ParameterRange(name, kind, choices=choices)


def ranges_from_schema(
    schema: Mapping[str, Any] | None,
    given: Mapping[str, Any] | None = None,
    vary: Iterable[str] | None = None,
) -> dict[str, ParameterRange]:
    """The range of each parameter a design varies; the others keep their defaults.

    The parameters are those named in ``given`` (each ``[low, high]``, ``{"low", "high"}``, a
    list of choices for enums and booleans, or None for the schema's range) and in ``vary``
    (ranged from the schema); with neither, every number or integer with both bounds.
    Exclusive bounds are moved inward. Each bad name or range is a 400 naming it.
    """
    props = schema_properties(schema)
    if given is not None and not isinstance(given, Mapping):
        raise _error("ranges must map parameter names to ranges", "ranges")
    if vary is not None and (
        isinstance(vary, (str, bytes)) or not all(isinstance(v, str) for v in vary)
    ):
        raise _error("vary must be a list of parameter names", "ranges")
    wanted: dict[str, Any] = dict(given or {})
    for name in vary or ():
        wanted.setdefault(name, None)
    if not wanted:  # the default: every bounded number
        out = {}
        for name, prop in props.items():
            kind = _kind_of(prop)
            low, _, high, _ = _schema_bounds(prop)
            if kind in ("float", "int") and low is not None and high is not None:
                out[name] = _numeric_range(name, prop, kind, None)
        return out
    out = {}
    for name, spec in wanted.items():
        if not isinstance(name, str) or name not in props:
            raise _error(f"{name!r} is not a parameter of this twin", "ranges", parameter=str(name))
        prop = props[name]
        kind = _kind_of(prop)
        if kind is None:
            raise _error(
                f"{name}: only numbers, integers, booleans and enums can be varied",
                "ranges",
                parameter=name,
            )
        build = _numeric_range if kind in ("float", "int") else _choice_range
        out[name] = build(name, prop, kind, spec)
    return out


# --- constraints on parameters ---------------------------------------------------------------


class ConstraintFailed(Exception):
    """The constraint could not be evaluated for one scenario (division by zero, overflow...)."""


def _power(a: Any, b: Any) -> float:
    result = float(a) ** float(b)  # floats: 10 ** 10 ** 10 overflows instead of running on
    if isinstance(result, complex):
        raise ValueError("a negative number to a fractional power")
    return result


def _numbers_only(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Arithmetic on numbers alone: ``'a' * 10 ** 9`` or ``'%s' % x`` never runs."""

    def apply(a: Any, b: Any) -> Any:
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            raise TypeError(f"arithmetic on {type(a).__name__} and {type(b).__name__}")
        return op(a, b)

    return apply


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: _numbers_only(operator.add),
    ast.Sub: _numbers_only(operator.sub),
    ast.Mult: _numbers_only(operator.mul),
    ast.Div: _numbers_only(operator.truediv),
    ast.Mod: _numbers_only(operator.mod),
    ast.Pow: _numbers_only(_power),
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_FUNCTIONS: dict[str, tuple[Callable[..., Any], int]] = {  # name: (function, fewest arguments)
    "abs": (abs, 1),
    "min": (min, 2),
    "max": (max, 2),
}


@dataclass(frozen=True)
class Constraint:
    """A checked expression over parameter names; ``holds(scenario)`` says if a scenario
    stays in the design."""

    text: str
    tree: ast.Expression = field(repr=False, compare=False)
    names: frozenset[str] = frozenset()

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """The expression's value, as Python would compute it (``**`` in floats)."""
        try:
            return _evaluate(self.tree.body, values)
        except (ArithmeticError, TypeError, ValueError, KeyError) as e:
            raise ConstraintFailed(f"{type(e).__name__}: {e}") from e

    def holds(self, values: Mapping[str, Any]) -> bool:
        return bool(self.evaluate(values))


def _evaluate(node: ast.AST, values: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, values), _evaluate(node.right, values))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, values))
    if isinstance(node, ast.BoolOp):  # short-circuits and returns an operand, as Python does
        is_and = isinstance(node.op, ast.And)
        result = _evaluate(node.values[0], values)
        for item in node.values[1:]:
            if bool(result) != is_and:
                return result
            result = _evaluate(item, values)
        return result
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, values)
        for op, item in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(item, values)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Call):
        function, _ = _FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        return function(*(_evaluate(a, values) for a in node.args))
    raise TypeError(f"{type(node).__name__} is not allowed")  # checked before: unreachable


def _check_node(node: ast.AST, known: set[str], text: str) -> str | None:
    """What is not allowed about one node, or None."""
    if isinstance(node, ast.Constant):
        ok = isinstance(node.value, (int, float, str))
        return None if ok else f"the constant {node.value!r}"
    if isinstance(node, ast.Name):
        if not isinstance(node.ctx, ast.Load):
            return f"assigning to {node.id}"
        return None if node.id in known else f"the name {node.id!r}, which is not a parameter"
    if isinstance(node, ast.BinOp):
        return None if type(node.op) in _BINARY else f"the operator {type(node.op).__name__}"
    if isinstance(node, ast.UnaryOp):
        return None if type(node.op) in _UNARY else f"the operator {type(node.op).__name__}"
    if isinstance(node, ast.BoolOp):
        return None
    if isinstance(node, ast.Compare):
        bad = [type(op).__name__ for op in node.ops if type(op) not in _COMPARE]
        return f"the comparison {bad[0]}" if bad else None
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in _FUNCTIONS:
            what = name or ast.get_source_segment(text, node.func) or "an expression"
            return f"calling {what} (only abs, min and max)"
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            return f"keyword or starred arguments to {name}"
        fewest = _FUNCTIONS[name][1]
        if len(node.args) < fewest or (name == "abs" and len(node.args) != 1):
            return f"{name} with {len(node.args)} argument(s)"
        return None
    if isinstance(node, (ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.expr_context)):
        return None  # the operators of the nodes above, checked with them
    return f"{type(node).__name__} ({ast.get_source_segment(text, node) or '...'})"


def compile_constraint(text: str, names: Iterable[str]) -> Constraint:
    """Parse and check a constraint like ``"k1 > 2 * k2 and c1 + c2 < 1"``.

    Allowed: parameter names, numbers (and strings, for enums), ``+ - * / ** %``, comparisons
    (chained too), ``and or not``, and calls to ``abs``, ``min``, ``max``. Anything else, or
    a name that is not a parameter, is a 400 (field ``constraint``): nothing is evaluated.
    """
    if not isinstance(text, str) or not text.strip():
        raise _error("the constraint must be a non-empty expression", "constraint")
    if len(text) > MAX_CONSTRAINT_CHARS:
        raise _error(
            f"the constraint is longer than {MAX_CONSTRAINT_CHARS} characters", "constraint"
        )
    text = text.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        msg = getattr(e, "msg", None) or str(e) or type(e).__name__
        raise _error(f"the constraint is not an expression: {msg}", "constraint") from None
    known = set(names)
    used: set[str] = set()
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:  # iterative: a deep expression cannot overflow the check itself
        node, depth = stack.pop()
        if depth > MAX_CONSTRAINT_DEPTH:
            raise _error(
                f"the constraint nests deeper than {MAX_CONSTRAINT_DEPTH} levels", "constraint"
            )
        problem = _check_node(node, known, text)
        if problem:
            extra = {"parameter": node.id} if isinstance(node, ast.Name) else {}
            raise _error(f"the constraint may not use {problem}", "constraint", **extra)
        if isinstance(node, ast.Name):
            used.add(node.id)
        children = node.args if isinstance(node, ast.Call) else ast.iter_child_nodes(node)
        stack.extend((child, depth + 1) for child in children)
    return Constraint(text, tree, frozenset(used))


# --- designs ---------------------------------------------------------------------------------


@dataclass
class Design:
    """What to sample: the design's kind, its size and seed, and a constraint on parameters.

    ``n`` is the number of points (random, lhs, sobol: rounded up to a power of two), the
    target size of a grid (``levels ** d`` about ``n`` unless ``levels`` is given), the
    base sample of a Saltelli design (a power of two; ``n * (d + 2)`` scenarios) or the
    number of Morris trajectories (``n * (d + 1)`` scenarios).
    """

    kind: str
    n: int
    seed: int | None = 0
    levels: int | None = None
    constraint: str | None = None

    def check(self) -> None:
        """A 400 naming the first field that is wrong."""
        if self.kind not in DESIGN_KINDS:
            raise _error(
                f"the design {self.kind!r} is not one of {', '.join(DESIGN_KINDS)}", "design"
            )
        for name, value, least in (("n", self.n, 1), ("levels", self.levels, 2)):
            if value is None and name == "levels":
                continue
            if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= MAX_N:
                raise _error(f"{name} must be a whole number from {least} to {MAX_N}", name)
        if self.seed is not None and (
            not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0
        ):
            raise _error("seed must be a whole number of at least 0, or null", "seed")
        if self.constraint is not None and not isinstance(self.constraint, str):
            raise _error("the constraint must be a string", "constraint")
        if self.constraint and self.kind in SENSITIVITY_DESIGNS:
            raise _error(
                f"a {self.kind} design takes no constraint: its analysis needs every scenario",
                "constraint",
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Design:
        """A design from a request body's ``{"kind", "n", "seed", "levels", "constraint"}``."""
        if not isinstance(data, Mapping):
            raise _error("the design must be an object", "design")
        unknown = set(data) - {"kind", "n", "seed", "levels", "constraint"}
        if unknown:
            raise _error(f"the design has no field {sorted(unknown)[0]!r}", "design")
        if "kind" not in data or "n" not in data:
            raise _error("the design needs its kind and n", "design" if "kind" not in data else "n")
        design = cls(
            kind=data["kind"],
            n=data["n"],
            seed=data.get("seed", 0),
            levels=data.get("levels"),
            constraint=data.get("constraint") or None,
        )
        design.check()
        return design


@dataclass
class DesignResult:
    """The scenarios of a design, with what its sensitivity analysis needs.

    ``X`` holds each kept scenario's point in the unit cube (rows as ``scenarios``, columns
    as ``problem["names"]``); ``problem`` is SALib's description of that cube.
    """

    scenarios: list[dict[str, Any]]
    problem: dict[str, Any]
    X: np.ndarray
    kind: str
    n: int  # the design's n as used (a power of two for sobol and saltelli)
    seed: int | None
    note: str | None = None
    left_out: int = 0  # scenarios the constraint took out (or could not evaluate)

    @property
    def names(self) -> list[str]:
        return list(self.problem["names"])


def _power_of_two(n: int) -> int:
    return 1 << max(n - 1, 0).bit_length()


def _grid_levels(design: Design, ranges: list[ParameterRange]) -> int:
    """Levels per numeric parameter: as given, or so that the grid has about n points."""
    if design.levels is not None:
        return design.levels
    numeric = [r for r in ranges if r.kind in ("float", "int")]
    fixed = math.prod(len(r.choices or []) for r in ranges if r.kind in ("bool", "choice"))
    return max(2, round((design.n / fixed) ** (1 / len(numeric)))) if numeric else 2


def _planned_size(design: Design, ranges: list[ParameterRange]) -> tuple[int, int]:
    """(the design's n as used, the number of points it draws), before drawing any."""
    d = len(ranges)
    if design.kind == "grid":
        levels = _grid_levels(design, ranges)
        return design.n, math.prod(r.grid_size(levels) for r in ranges)
    if design.kind in ("sobol", "saltelli"):
        n = _power_of_two(max(design.n, 2 if design.kind == "saltelli" else 1))
        return n, n * (d + 2) if design.kind == "saltelli" else n
    if design.kind == "morris":
        return design.n, design.n * (d + 1)
    return design.n, design.n


def _unit_points(design: Design, n: int, d: int, seed: int, problem: dict) -> np.ndarray:
    if design.kind == "random":
        return np.random.default_rng(seed).random((n, d))
    from scipy.stats import qmc  # scipy.stats takes a while to import: only when sampling

    if design.kind == "lhs":
        return qmc.LatinHypercube(d=d, rng=seed).random(n)
    if design.kind == "sobol":
        return qmc.Sobol(d=d, scramble=True, rng=seed).random_base2(int(math.log2(n)))
    if design.kind == "saltelli":
        from SALib.sample import sobol as saltelli

        return saltelli.sample(dict(problem), n, calc_second_order=False, seed=seed)
    from SALib.sample import morris

    return morris.sample(dict(problem), n, num_levels=MORRIS_LEVELS, seed=seed)


def generate_design(
    design: Design,
    ranges: Mapping[str, ParameterRange],
    defaults: Mapping[str, Any],
    max_scenarios: int,
) -> DesignResult:
    """The design's scenarios (``defaults`` overlaid with its values), those failing the
    constraint left out; a 400 for a bad design, a bad constraint, nothing to vary or more
    than ``max_scenarios`` scenarios, each raised before a point is drawn where it can be."""
    design.check()
    if not ranges:
        raise _error("the design varies no parameter: give ranges for some", "ranges")
    params = list(ranges.values())
    names = [r.name for r in params]
    d = len(params)
    constraint = (
        compile_constraint(design.constraint, set(ranges) | set(defaults))
        if design.constraint
        else None
    )
    n, planned = _planned_size(design, params)
    limit = max_scenarios if constraint is None else max(max_scenarios, MAX_DESIGN_POINTS)
    if planned > limit:
        what = "points to filter" if constraint is not None else "scenarios"
        raise _error(
            f"the {design.kind} design has {planned} {what}; at most {limit} are allowed", "n"
        )
    grid = [r.grid(_grid_levels(design, params)) for r in params] if design.kind == "grid" else None
    seed = design.seed
    if seed is None and design.kind != "grid":  # drawn here, so the sweep can be repeated
        seed = int(np.random.SeedSequence().entropy % (1 << 32))
    problem = {"num_vars": d, "names": names, "bounds": [[0.0, 1.0]] * d}

    points: Iterable[tuple[list[Any], list[float]]]
    if grid is not None:
        points = (
            (list(values), [r.unit_of(v) for r, v in zip(params, values, strict=True)])
            for values in itertools.product(*grid)
        )
    else:
        U = _unit_points(design, n, d, seed, problem)
        points = (
            ([r.value_at(u) for r, u in zip(params, row, strict=True)], list(row)) for row in U
        )

    scenarios: list[dict[str, Any]] = []
    kept: list[list[float]] = []
    failed = dropped = 0
    for values, unit in points:
        scenario = {**defaults, **dict(zip(names, values, strict=True))}
        if constraint is not None:
            try:
                if not constraint.holds(scenario):
                    dropped += 1
                    continue
            except ConstraintFailed:
                failed += 1
                continue
        scenarios.append(scenario)
        kept.append(unit)
        if len(scenarios) > max_scenarios:
            raise _error(
                f"the {design.kind} design has more than {max_scenarios} scenarios that "
                f"satisfy the constraint; at most {max_scenarios} are allowed",
                "n",
            )
    if not scenarios:
        raise _error(
            f"no scenario of the {design.kind} design satisfies the constraint", "constraint"
        )

    notes = []
    if design.kind == "grid":
        notes.append(" × ".join(str(len(g)) for g in grid or []) + f" = {planned} grid points")
    elif design.kind in ("sobol", "saltelli") and n != design.n:
        notes.append(f"n rounded up from {design.n} to {n}, a power of two, as Sobol' points need")
    if design.kind == "saltelli":
        notes.append(f"{n} base samples × (d + 2) = {planned} scenarios")
    if design.kind == "morris":
        notes.append(f"{n} trajectories × (d + 1) = {planned} scenarios")
    if dropped or failed:
        why = f"{dropped} left out by the constraint" if dropped else ""
        if failed:
            why += ("; " if why else "") + f"{failed} where it could not be evaluated"
        notes.append(f"{why} ({len(scenarios)} of {planned} kept)")
    X = np.asarray(kept, dtype=float).reshape(len(kept), d)
    return DesignResult(
        scenarios=scenarios,
        problem=problem,
        X=X,
        kind=design.kind,
        n=n,
        seed=seed,
        note="; ".join(notes) or None,
        left_out=dropped + failed,
    )


def generate(
    design: Design,
    ranges: Mapping[str, ParameterRange],
    defaults: Mapping[str, Any],
    max_scenarios: int,
) -> list[dict[str, Any]]:
    """The design's scenarios only (see ``generate_design``)."""
    return generate_design(design, ranges, defaults, max_scenarios).scenarios
