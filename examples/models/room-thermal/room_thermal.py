"""A room as one thermal resistance and one heat capacity (an RC network), with a heater.

The room's air and walls hold heat ``C`` at temperature ``T``; heat leaks to the outdoor
temperature ``T_out`` through the resistance ``R``; a heater gives ``P`` while on::

    C dT/dt = (T_out - T) / R + P heater_on

With the heater always on and a constant outdoor temperature the room settles at
``T = T_out + P R``, with the time constant ``R C``. :func:`simulate` steps it on a fixed
grid, the inputs held over each step (exact for a step: an exponential), with a controller
deciding the heater from the temperature at the start of each step. SI units; temperatures
in degrees Celsius.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Room", "Simulation", "outdoor_profile", "simulate"]


@dataclass(frozen=True)
class Room:
    R_K_W: float = 0.02  # K/W, room to outdoors (a loss of 50 W per kelvin)
    C_J_K: float = 2.0e6  # J/K, air, furniture and the inner walls
    heater_W: float = 1500.0  # W, when on

    def __post_init__(self) -> None:
        if not self.R_K_W > 0 or not self.C_J_K > 0 or self.heater_W < 0:
            raise ValueError("R_K_W and C_J_K must be positive, heater_W not negative")

    @property
    def time_constant_s(self) -> float:
        return self.R_K_W * self.C_J_K

    def derivative(self, T: float, T_out: float, heater_on: float) -> float:
        """dT/dt [K/s]."""
        return ((T_out - T) / self.R_K_W + self.heater_W * heater_on) / self.C_J_K

    def steady_state(self, T_out: float, heater_on: float = 1.0) -> float:
        """Where the room settles for constant inputs [degC]: ``T_out + P R heater_on``."""
        return T_out + self.heater_W * heater_on * self.R_K_W

    def step(self, T: float, T_out: float, heater_on: float, dt: float) -> float:
        """The temperature ``dt`` seconds on, the inputs held (exact)."""
        T_inf = self.steady_state(T_out, heater_on)
        return T_inf + (T - T_inf) * np.exp(-dt / self.time_constant_s)


@dataclass(frozen=True)
class Simulation:
    t: np.ndarray  # s, the grid
    T: np.ndarray  # degC, the room at each time of the grid
    T_out: np.ndarray  # degC, outdoors
    heater_on: np.ndarray  # 0/1 over the step that starts at each time (last one: repeated)
    energy_J: float  # the heater's energy over the whole span


def outdoor_profile(t_data, T_data) -> Callable[[np.ndarray], np.ndarray]:
    """The outdoor temperature between samples: linear interpolation, ends held."""
    t_data, T_data = np.asarray(t_data, dtype=float), np.asarray(T_data, dtype=float)
    return lambda t: np.interp(t, t_data, T_data)


def simulate(
    room: Room,
    t_end_s: float,
    step_s: float,
    T0: float,
    T_out: Callable[[np.ndarray], np.ndarray],
    control: Callable[[float], float],
) -> Simulation:
    """The room from ``T0`` over ``[0, t_end_s]`` in steps of ``step_s``; ``control(T)``
    gives the heater (0..1) for each step from the temperature at its start, and the
    outdoor temperature is taken at each step's middle."""
    n = int(round(t_end_s / step_s))
    t = np.arange(n + 1) * step_s
    outdoor = np.asarray(T_out(t), dtype=float)
    middle = np.asarray(T_out(t[:-1] + step_s / 2), dtype=float)
    T = np.empty(n + 1)
    heater = np.empty(n + 1)
    T[0] = T0
    for k in range(n):
        heater[k] = float(control(T[k]))
        T[k + 1] = room.step(T[k], middle[k], heater[k], step_s)
    heater[n] = heater[n - 1] if n else 0.0
    energy = float(room.heater_W * heater[:n].sum() * step_s)
    return Simulation(t, T, outdoor, heater, energy)
