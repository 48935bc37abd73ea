"""An independent solution of the example two-mass spring-damper (LSODA via odeint)."""

from __future__ import annotations

import numpy as np
from scipy.integrate import odeint


def final_positions(p: dict) -> tuple[float, float]:
    def f(y, t):
        x1, v1, x2, v2 = y
        a1 = (-p["k1"] * x1 - p["c1"] * v1 + p["k2"] * (x2 - x1) + p["c2"] * (v2 - v1)) / p["m1"]
        a2 = (-p["k2"] * (x2 - x1) - p["c2"] * (v2 - v1)) / p["m2"]
        return [v1, a1, v2, a2]

    t = np.linspace(0.0, p["t_end"], 2001)
    y = odeint(f, [p["x1_0"], p["v1_0"], p["x2_0"], p["v2_0"]], t, rtol=1e-11, atol=1e-12)
    return float(y[-1, 0]), float(y[-1, 2])
