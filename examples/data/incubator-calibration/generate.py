"""Write ``calibration.csv``: one heating experiment on the mock incubator, deterministic.

The box starts at room temperature; the heater is on for the first 25 minutes and off for the
next 35; the air temperature sensor is read every 6 s with 0.1 K of noise. The "true" plant is
the incubator model's nominal parameters off by 5 % (``thermal.perturbed``), the same plant the
incubator twin runs by default.

    python generate.py            # from this folder, or with any working directory
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the model asset beside this one, in the examples or in the common library
sys.path.insert(0, str(HERE.parent.parent / "models" / "incubator-thermal"))

import thermal  # noqa: E402

DT_S = 6.0
HEATING_S = 1500.0
DURATION_S = 3600.0
NOISE_K = 0.1
MISMATCH = 0.05
SEED = 7


def experiment() -> list[tuple[float, int, float, float]]:
    true = thermal.perturbed(thermal.NOMINAL, MISMATCH)
    plant = thermal.Plant(true, DT_S, noise_K=NOISE_K, seed=SEED)
    rows = []
    n = int(round(DURATION_S / DT_S))
    for k in range(n + 1):
        t = k * DT_S
        on = int(t < HEATING_S)
        rows.append((t, on, round(plant.measure(), 3), true.T_ambient))
        if k < n:
            plant.step(bool(on))
    return rows


def main(out: Path = HERE / "calibration.csv") -> Path:
    lines = ["t_s,heater_on,T_air_C,T_ambient_C"]
    lines += [f"{t:.1f},{on},{T:.3f},{Ta:.1f}" for t, on, T, Ta in experiment()]
    out.write_text("\n".join(lines) + "\n")
    return out


if __name__ == "__main__":
    print("wrote", main())
