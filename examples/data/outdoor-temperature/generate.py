"""Write ``outdoor.csv``: three winter days of outdoor temperature, hourly, deterministic.

A daily cycle around 2 degC (5 K either way, coldest at 05:00), a cold front that lowers the
second and third days' mean by 4 K over six hours from noon of day one, and 0.3 K of
seeded Gaussian noise. Columns t_s (seconds from midnight of day one) and T_out_C.

    python generate.py            # from this folder, or with any working directory
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

DAYS = 3
MEAN_C = 2.0
SWING_K = 5.0
COLDEST_H = 5.0
FRONT_K = -4.0
FRONT_START_H, FRONT_HOURS = 12.0, 6.0
NOISE_K = 0.3
SEED = 7


def profile(hours: np.ndarray) -> np.ndarray:
    """The noise-free outdoor temperature at ``hours`` from midnight of day one."""
    daily = -SWING_K * np.cos(2 * np.pi * (hours - COLDEST_H) / 24.0)
    front = FRONT_K * np.clip((hours - FRONT_START_H) / FRONT_HOURS, 0.0, 1.0)
    return MEAN_C + daily + front


def main(out: Path = HERE / "outdoor.csv") -> Path:
    hours = np.arange(DAYS * 24 + 1, dtype=float)
    T = profile(hours) + np.random.default_rng(SEED).normal(0.0, NOISE_K, hours.size)
    lines = ["t_s,T_out_C"] + [f"{int(h * 3600)},{v:.2f}" for h, v in zip(hours, T, strict=True)]
    out.write_text("\n".join(lines) + "\n")
    return out


if __name__ == "__main__":
    print("wrote", main())
