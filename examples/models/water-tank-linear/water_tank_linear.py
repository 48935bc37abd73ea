"""The water tank of ``water_tank``, linearised in its level around an operating level.

Torricelli's outflow ``c sqrt(2 g h)`` (``c = u a + a_leak``, the open area) is replaced by
its tangent at the operating level ``h_op``::

    q_out = c sqrt(2 g) (h + h_op) / (2 sqrt(h_op))

so the tank is a first-order linear system with the time constant
``tau = 2 A sqrt(h_op) / (c sqrt(2 g))`` and, for a constant inflow, the steady level
``h = 2 sqrt(h_op) q_in / (c sqrt(2 g)) - h_op``. Both agree with the nonlinear tank at the
operating level; away from it the linear tank drains too fast below it and too slowly
above. The interface is the nonlinear module's (``Tank`` with ``outflow``, ``derivative``,
``steady_level``, ``time_constant``, ``simulate``), so a twin can swap one for the other;
a constant inflow is solved exactly (an exponential), anything else with SciPy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

__all__ = ["G", "Tank"]

G = 9.81  # m/s^2

Input = float | Callable[[float], float]


@dataclass(frozen=True)
class Tank:
    """One linearised tank: the nonlinear tank's geometry and valve, and ``h_op_m``."""

    area_m2: float
    outlet_m2: float
    opening: float = 1.0
    g: float = G
    h_op_m: float = 0.5

    def __post_init__(self) -> None:
        if not self.area_m2 > 0 or not self.outlet_m2 > 0 or not self.h_op_m > 0:
            raise ValueError("area_m2, outlet_m2 and h_op_m must be positive")
        if not 0.0 <= self.opening <= 1.0:
            raise ValueError(f"opening must be within 0 and 1, got {self.opening}")

    def _gain(self, opening: float | None, leak_m2: float) -> float:
        """d q_out / d h at the operating level [m^2/s]."""
        u = self.opening if opening is None else opening
        c = u * self.outlet_m2 + leak_m2
        return c * np.sqrt(2.0 * self.g) / (2.0 * np.sqrt(self.h_op_m))

    def outflow(self, h: float, opening: float | None = None, leak_m2: float = 0.0) -> float:
        """The tangent of Torricelli's outflow at ``h_op_m``, at level ``h`` [m^3/s]."""
        return self._gain(opening, leak_m2) * (h + self.h_op_m)

    def derivative(
        self, h: float, q_in: float, opening: float | None = None, leak_m2: float = 0.0
    ) -> float:
        return (q_in - self.outflow(h, opening, leak_m2)) / self.area_m2

    def steady_level(self, q_in: float, opening: float | None = None) -> float:
        k = self._gain(opening, 0.0)
        if k <= 0:
            raise ValueError("a closed valve has no steady level")
        return float(q_in / k - self.h_op_m)

    def time_constant(self, h: float | None = None, opening: float | None = None) -> float:
        """``A / (d q_out / d h)``: the same at every level (``h`` is accepted and unused)."""
        return float(self.area_m2 / self._gain(opening, 0.0))

    def simulate(
        self,
        t: Sequence[float],
        inflow: Input,
        h0: float,
        opening: Input | None = None,
        leak_m2: Input = 0.0,
        breaks: Sequence[float] = (),
    ) -> np.ndarray:
        """The level at the times ``t`` from ``h0`` at ``t[0]`` (see ``water_tank``)."""
        t = np.asarray(t, dtype=float)
        constant = not any(callable(v) for v in (inflow, opening, leak_m2))
        if constant:
            k = self._gain(opening, float(leak_m2))
            h_inf = float(inflow) / k - self.h_op_m
            return h_inf + (h0 - h_inf) * np.exp(-(t - t[0]) * k / self.area_m2)
        q, u, leak = (_function(v) for v in (inflow, opening, leak_m2))

        def rhs(time, y):
            return [self.derivative(y[0], q(time), u(time), leak(time))]

        edges = [t[0], *sorted(b for b in breaks if t[0] < b < t[-1]), t[-1]]
        out = np.empty(t.size)
        y = [float(h0)]
        for start, end in zip(edges[:-1], edges[1:], strict=True):
            inside = (t >= start) & ((t < end) if end < t[-1] else (t <= end))
            times = np.append(t[inside], end) if end < t[-1] else t[inside]
            sol = solve_ivp(rhs, (start, end), y, t_eval=times, rtol=1e-9, atol=1e-12)
            if not sol.success:
                raise RuntimeError(sol.message)
            out[inside] = sol.y[0, : inside.sum()]
            y = [sol.y[0, -1]]
        return out


def _function(value: Input | None) -> Callable[[float], float | None]:
    if callable(value):
        return value
    return lambda _t: value
