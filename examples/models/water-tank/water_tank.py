"""A water tank drained through a valve by gravity (Torricelli), and tanks in cascade.

One tank of cross-section ``A`` holds water at level ``h``; a pump feeds it ``q_in`` and it
drains through an outlet of area ``a`` behind a valve opened to ``u`` (0 closed, 1 open).
Torricelli's law gives the outflow, and a leak is one more hole at the bottom::

    A dh/dt = q_in - (u a + a_leak) sqrt(2 g h)

With a constant inflow the level settles where the outflow equals it:
``h = (q_in / (u a sqrt(2 g)))**2``. :class:`Cascade` stacks tanks so that each one drains
into the next; in steady state every tank passes the same flow. SI units throughout
(m, m^2, m^3/s, s). The linearised tank, ``water_tank_linear``, offers the same interface.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

__all__ = ["G", "Cascade", "Tank", "as_function"]

G = 9.81  # m/s^2

Input = float | Callable[[float], float]


def as_function(value: Input) -> Callable[[float], float]:
    """A constant or a function of time, as a function of time."""
    if callable(value):
        return value
    constant = float(value)
    return lambda _t: constant


@dataclass(frozen=True)
class Tank:
    """One tank: cross-section ``area_m2``, outlet ``outlet_m2``, valve ``opening`` (0..1)."""

    area_m2: float
    outlet_m2: float
    opening: float = 1.0
    g: float = G

    def __post_init__(self) -> None:
        if not self.area_m2 > 0 or not self.outlet_m2 > 0:
            raise ValueError("area_m2 and outlet_m2 must be positive")
        if not 0.0 <= self.opening <= 1.0:
            raise ValueError(f"opening must be within 0 and 1, got {self.opening}")

    def outflow(self, h: float, opening: float | None = None, leak_m2: float = 0.0) -> float:
        """Flow out through the valve and a leak at level ``h`` [m^3/s]."""
        u = self.opening if opening is None else opening
        return (u * self.outlet_m2 + leak_m2) * np.sqrt(2.0 * self.g * np.maximum(h, 0.0))

    def derivative(
        self, h: float, q_in: float, opening: float | None = None, leak_m2: float = 0.0
    ) -> float:
        """dh/dt [m/s]; an empty tank does not drain below its bottom."""
        dh = (q_in - self.outflow(h, opening, leak_m2)) / self.area_m2
        return np.where(np.asarray(h) <= 0.0, np.maximum(dh, 0.0), dh)

    def steady_level(self, q_in: float, opening: float | None = None) -> float:
        """The level at which the outflow equals a constant inflow ``q_in`` [m]."""
        u = self.opening if opening is None else opening
        if u <= 0:
            raise ValueError("a closed valve has no steady level")
        return float((q_in / (u * self.outlet_m2 * np.sqrt(2.0 * self.g))) ** 2)

    def time_constant(self, h: float, opening: float | None = None) -> float:
        """The time constant of small deviations around level ``h`` [s]: ``2 A h / q_out``."""
        return float(2.0 * self.area_m2 * h / self.outflow(h, opening))

    def simulate(
        self,
        t: Sequence[float],
        inflow: Input,
        h0: float,
        opening: Input | None = None,
        leak_m2: Input = 0.0,
        breaks: Sequence[float] = (),
    ) -> np.ndarray:
        """The level at the times ``t`` from ``h0`` at ``t[0]``.

        ``inflow``, ``opening`` and ``leak_m2`` are constants or functions of time; give the
        times at which they jump as ``breaks`` so the integration restarts there."""
        q = as_function(inflow)
        u = as_function(self.opening if opening is None else opening)
        leak = as_function(leak_m2)

        def rhs(time, y):
            return [self.derivative(y[0], q(time), u(time), leak(time))]

        return _integrate(rhs, t, [h0], breaks)[0]


@dataclass(frozen=True)
class Cascade:
    """Tanks that drain into one another: the pump fills the first, the last drains away."""

    tanks: tuple[Tank, ...]

    def __post_init__(self) -> None:
        if not self.tanks:
            raise ValueError("a cascade needs at least one tank")

    def derivative(self, h: Sequence[float], q_in: float) -> np.ndarray:
        """dh_i/dt of every tank: tank i is fed by tank i - 1 (the first by the pump)."""
        out = np.empty(len(self.tanks))
        feed = q_in
        for i, (tank, level) in enumerate(zip(self.tanks, h, strict=True)):
            out[i] = tank.derivative(level, feed)
            feed = tank.outflow(level)
        return out

    def steady_levels(self, q_in: float) -> np.ndarray:
        """In steady state every tank passes ``q_in``: each settles at its own Torricelli level."""
        return np.array([tank.steady_level(q_in) for tank in self.tanks])

    def simulate(
        self, t: Sequence[float], inflow: Input, h0: Sequence[float], breaks: Sequence[float] = ()
    ) -> np.ndarray:
        """Levels, one row per tank, at the times ``t`` from ``h0`` at ``t[0]``."""
        q = as_function(inflow)
        return _integrate(lambda time, y: self.derivative(y, q(time)), t, list(h0), breaks)


def _integrate(rhs, t: Sequence[float], y0: list[float], breaks: Sequence[float]) -> np.ndarray:
    """solve_ivp (LSODA, tight tolerances) restarted at each break inside the time span."""
    t = np.asarray(t, dtype=float)
    edges = [t[0], *sorted(b for b in breaks if t[0] < b < t[-1]), t[-1]]
    out = np.empty((len(y0), t.size))
    y = np.asarray(y0, dtype=float)
    for start, end in zip(edges[:-1], edges[1:], strict=True):
        inside = (t >= start) & ((t < end) if end < t[-1] else (t <= end))
        times = np.append(t[inside], end) if end < t[-1] else t[inside]
        sol = solve_ivp(rhs, (start, end), y, method="LSODA", t_eval=times, rtol=1e-9, atol=1e-12)
        if not sol.success:
            raise RuntimeError(sol.message)
        out[:, inside] = sol.y[:, : inside.sum()]
        y = sol.y[:, -1]
    return out
