"""Write ``measurement.csv``: a free release of the two-mass spring-damper, deterministic.

Body 1 is pulled 1 m out and let go, both bodies at rest; its position x1 is logged every
0.05 s for 10 s with 2 mm of Gaussian sensor noise (seeded). The "true" plant is the
example twin's defaults with a stiffer wall spring and a stronger wall damper: k1 = 12.5 N/m
and c1 = 0.8 N s/m (the twin's defaults are 10 and 0.5), so a calibration of k1 and c1
from the twin's defaults has something to find. It is solved here with odeint (LSODA), not
with the twin's own solver.

    python generate.py            # from this folder, or with any working directory
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.integrate import odeint

HERE = Path(__file__).resolve().parent

TRUE = {"m1": 1.0, "m2": 1.0, "k1": 12.5, "k2": 20.0, "c1": 0.8, "c2": 0.2}
X0 = (1.0, 0.0, 0.0, 0.0)  # x1, v1, x2, v2 at t = 0
DT_S = 0.05
DURATION_S = 10.0
NOISE_M = 0.002
SEED = 12


def x1_true(t: np.ndarray, p: dict[str, float] = TRUE) -> np.ndarray:
    """x1(t) of the plant, noise-free."""

    def f(y, _t):
        x1, v1, x2, v2 = y
        a1 = (-p["k1"] * x1 - p["c1"] * v1 + p["k2"] * (x2 - x1) + p["c2"] * (v2 - v1)) / p["m1"]
        a2 = (-p["k2"] * (x2 - x1) - p["c2"] * (v2 - v1)) / p["m2"]
        return [v1, a1, v2, a2]

    return odeint(f, list(X0), t, rtol=1e-11, atol=1e-12)[:, 0]


def experiment() -> tuple[np.ndarray, np.ndarray]:
    """Sample times and measured x1: the true trajectory plus seeded noise."""
    t = np.arange(int(round(DURATION_S / DT_S)) + 1) * DT_S
    noise = np.random.default_rng(SEED).normal(0.0, NOISE_M, t.size)
    return t, x1_true(t) + noise


def main(out: Path = HERE / "measurement.csv") -> Path:
    t, x1 = experiment()
    lines = ["t_s,x1_m"] + [f"{ti:.2f},{xi:.6f}" for ti, xi in zip(t, x1, strict=True)]
    out.write_text("\n".join(lines) + "\n")
    return out


if __name__ == "__main__":
    print("wrote", main())
