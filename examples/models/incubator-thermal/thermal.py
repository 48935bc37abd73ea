"""Two-node thermal model of the INTO-CPS incubator: an insulated box with a heater and a fan.

Two temperatures make the state ``x = [T_air, T_heater]`` (degrees Celsius); the inputs are
``u = [heater_on, T_ambient]``. The fan runs all the time and stirs the air, so the heater
gives its heat to the air through one conductance and the air loses it through the box walls::

    C_air    dT_air/dt    = G_heater_air (T_heater - T_air) - G_box_out (T_air - T_ambient)
    C_heater dT_heater/dt = P heater_on                      - G_heater_air (T_heater - T_air)

The same code serves as the plant (a mock physical twin, :class:`Plant`, with its own "true"
parameters and a noisy air temperature sensor) and as the estimator's model
(:func:`discretise` gives the matrices of a Kalman filter). Pure numpy and scipy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
from scipy.linalg import expm

__all__ = [
    "NOMINAL",
    "Plant",
    "anticipated_air",
    "calibrate",
    "ThermalParams",
    "continuous",
    "discretise",
    "perturbed",
    "simulate",
    "steady_state",
]


@dataclass(frozen=True)
class ThermalParams:
    """Parameters of the two-node network (SI units, temperatures in degrees Celsius)."""

    C_air: float = 267.55  # J/K, heat capacity of the air (and what it holds)
    C_heater: float = 329.25  # J/K, heat capacity of the heater
    G_heater_air: float = 1.7257  # W/K, heater to air, with the fan running
    G_box_out: float = 0.5763  # W/K, air to the room through the walls
    heater_power_W: float = 18.73  # W, 12.16 V x 1.54 A
    T_ambient: float = 21.0  # degC, the room

    def __post_init__(self) -> None:
        for name in ("C_air", "C_heater", "G_heater_air", "G_box_out"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.heater_power_W < 0:
            raise ValueError("heater_power_W must not be negative")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ThermalParams:
        known = {k: float(v) for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)


# the parameters identified for the INTO-CPS incubator (two-parameter heater model)
NOMINAL = ThermalParams()


def perturbed(params: ThermalParams, mismatch: float) -> ThermalParams:
    """``params`` off by a fraction ``mismatch`` in a fixed pattern: the "true" parameters of a
    mock physical twin whose model is only nearly right."""
    m = float(mismatch)
    return replace(
        params,
        C_air=params.C_air * (1 + m),
        C_heater=params.C_heater * (1 - m / 2),
        G_heater_air=params.G_heater_air * (1 + m / 2),
        G_box_out=params.G_box_out * (1 - m),
    )


def continuous(params: ThermalParams) -> tuple[np.ndarray, np.ndarray]:
    """``(A, B)`` of ``dx/dt = A x + B u`` with ``x = [T_air, T_heater]``, ``u = [on, T_amb]``."""
    p = params
    A = np.array(
        [
            [-(p.G_heater_air + p.G_box_out) / p.C_air, p.G_heater_air / p.C_air],
            [p.G_heater_air / p.C_heater, -p.G_heater_air / p.C_heater],
        ]
    )
    B = np.array([[0.0, p.G_box_out / p.C_air], [p.heater_power_W / p.C_heater, 0.0]])
    return A, B


def discretise(params: ThermalParams, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact zero-order-hold discretisation over ``dt`` seconds: ``x+ = F x + G u``."""
    if not dt > 0:
        raise ValueError("dt must be positive")
    A, B = continuous(params)
    n, m = B.shape
    M = np.zeros((n + m, n + m))
    M[:n, :n] = A
    M[:n, n:] = B
    E = expm(M * dt)
    return E[:n, :n], E[:n, n:]


def steady_state(params: ThermalParams, heater_on: float = 1.0) -> np.ndarray:
    """The equilibrium ``[T_air, T_heater]`` for a constant heater duty ``heater_on`` (0..1)."""
    A, B = continuous(params)
    return np.linalg.solve(A, -B @ np.array([heater_on, params.T_ambient]))


def simulate(
    params: ThermalParams, x0, heater_on, dt: float, T_ambient: float | None = None
) -> np.ndarray:
    """States after each step for a sequence of heater commands; shape ``(len(heater_on), 2)``."""
    F, G = discretise(params, dt)
    T_amb = params.T_ambient if T_ambient is None else T_ambient
    x = np.asarray(x0, dtype=float)
    out = np.empty((len(heater_on), 2))
    for k, on in enumerate(heater_on):
        x = F @ x + G @ np.array([float(on), T_amb])
        out[k] = x
    return out


def anticipated_air(params: ThermalParams, x) -> float:
    """The air temperature the box heads for once the heater's surplus heat has reached the air.

    At an air temperature ``T_air`` the heater just balances the losses through the walls when
    it is ``G_box_out (T_air - T_ambient) / G_heater_air`` warmer than the air; what it holds
    above that goes, mostly, into the air, shared in proportion to the two heat capacities. A
    bang-bang controller that switches on this value instead of ``T_air`` does not overshoot
    its band while the heater cools down (the heater temperature comes from the estimator).
    """
    T_air, T_heater = float(x[0]), float(x[1])
    p = params
    T_heater_balance = T_air + p.G_box_out * (T_air - p.T_ambient) / p.G_heater_air
    return T_air + p.C_heater / (p.C_air + p.C_heater) * (T_heater - T_heater_balance)


def calibrate(
    params: ThermalParams,
    t,
    heater_on,
    T_air_measured,
    names: tuple[str, ...] = ("C_air", "G_box_out"),
) -> tuple[ThermalParams, dict]:
    """Fit the named parameters to a measured experiment (least squares on the air temperature).

    ``t`` are the sample times (evenly spaced), ``heater_on`` the command held from each sample
    to the next, ``T_air_measured`` the sensor. Both nodes start at the first measurement.
    Returns the fitted parameters and ``{"rmse_before", "rmse_after", "scales"}``.
    """
    from scipy.optimize import least_squares

    t = np.asarray(t, dtype=float)
    z = np.asarray(T_air_measured, dtype=float)
    u = np.asarray(heater_on, dtype=float)
    dt = float(np.median(np.diff(t)))
    x0 = [z[0], z[0]]

    def predicted(scales) -> np.ndarray:
        p = replace(
            params, **{n: float(getattr(params, n) * s) for n, s in zip(names, scales, strict=True)}
        )
        return np.concatenate([[z[0]], simulate(p, x0, u[:-1], dt)[:, 0]])

    def rmse(scales) -> float:
        return float(np.sqrt(np.mean((predicted(scales) - z) ** 2)))

    ones = np.ones(len(names))
    fit = least_squares(lambda s: predicted(s) - z, ones, bounds=(0.2, 5.0), x_scale=ones)
    fitted = replace(
        params, **{n: float(getattr(params, n) * s) for n, s in zip(names, fit.x, strict=True)}
    )
    info = {
        "rmse_before": rmse(ones),
        "rmse_after": rmse(fit.x),
        "scales": dict(zip(names, fit.x.tolist(), strict=True)),
    }
    return fitted, info


class Plant:
    """A mock physical incubator: the model with its own parameters, stepped ``dt`` seconds at a
    time, whose air temperature sensor adds Gaussian noise (``noise_K`` standard deviation).

    Its state (time, temperatures, energy used, random generator) pickles, so a saved kernel
    brings the same plant back.
    """

    def __init__(
        self,
        params: ThermalParams,
        dt: float,
        x0=None,
        noise_K: float = 0.0,
        seed: int | None = None,
    ):
        self.params = params
        self.dt = float(dt)
        self.F, self.G = discretise(params, self.dt)
        T0 = params.T_ambient
        self.x = np.array([T0, T0] if x0 is None else x0, dtype=float)
        self.noise_K = float(noise_K)
        self.rng = np.random.default_rng(seed)
        self.t = 0.0
        self.energy_J = 0.0

    @property
    def T_air(self) -> float:
        return float(self.x[0])

    @property
    def T_heater(self) -> float:
        return float(self.x[1])

    def step(self, heater_on: bool) -> float:
        """Hold the heater on or off for one step; returns the measured air temperature."""
        on = 1.0 if heater_on else 0.0
        self.x = self.F @ self.x + self.G @ np.array([on, self.params.T_ambient])
        self.t += self.dt
        self.energy_J += on * self.params.heater_power_W * self.dt
        return self.measure()

    def measure(self) -> float:
        noise = self.rng.normal(0.0, self.noise_K) if self.noise_K > 0 else 0.0
        return self.T_air + noise

    def state(self) -> dict:
        """A JSON-able picture of the plant (what the state folder keeps)."""
        return {
            "t": self.t,
            "T_air": self.T_air,
            "T_heater": self.T_heater,
            "energy_J": self.energy_J,
            "params": self.params.to_dict(),
            "rng": self.rng.bit_generator.state,
        }

    @classmethod
    def from_state(cls, state: dict, dt: float, noise_K: float) -> Plant:
        plant = cls(
            ThermalParams.from_dict(state["params"]),
            dt,
            x0=[state["T_air"], state["T_heater"]],
            noise_K=noise_K,
        )
        plant.t = float(state["t"])
        plant.energy_J = float(state["energy_J"])
        if state.get("rng"):
            plant.rng.bit_generator.state = state["rng"]
        return plant
