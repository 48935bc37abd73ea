"""One scenario of the water-tank-fault twin: the operator's valve command, the fault, the
tank as it really is (the plant, with the fault), the twin's model of it (without), the
level sensor, and the residual detector watching the two.

The plant and the model get the same inputs: the pump's inflow and the valve command. The
model is a nominal ``water_tank.Tank``; the plant is the same tank with a leak (a hole of
``fault_size`` times the outlet's area) or with its valve jammed (at ``1 - fault_size``
of the opening it had when the fault struck) from ``fault_time_s`` on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import residual_detector
import water_tank

FAULTS = ("none", "leak", "stuck-valve")
PARAMETERS = (
    "q_in_L_s",
    "area_m2",
    "outlet_cm2",
    "opening",
    "valve_swing",
    "valve_period_s",
    "fault",
    "fault_time_s",
    "fault_size",
    "noise_mm",
    "seed",
    "threshold_mm",
    "filter_s",
    "persist",
    "sample_s",
    "t_end_s",
)


@dataclass(frozen=True)
class Scenario:
    q_in_m3_s: float
    area_m2: float
    outlet_m2: float
    opening: float
    valve_swing: float
    valve_period_s: float
    fault: str
    fault_time_s: float
    fault_size: float
    noise_m: float
    seed: int
    threshold_m: float
    filter_s: float
    persist: int
    sample_s: float
    t_end_s: float

    @classmethod
    def from_parameters(cls, p: dict[str, Any]) -> Scenario:
        """From the twin's parameters (in their units: L/s, cm^2, mm)."""
        if p["fault"] not in FAULTS:
            raise ValueError(f"fault must be one of {FAULTS}, got {p['fault']!r}")
        return cls(
            q_in_m3_s=p["q_in_L_s"] / 1000.0,
            area_m2=p["area_m2"],
            outlet_m2=p["outlet_cm2"] / 1e4,
            opening=p["opening"],
            valve_swing=p["valve_swing"],
            valve_period_s=p["valve_period_s"],
            fault=p["fault"],
            fault_time_s=p["fault_time_s"],
            fault_size=p["fault_size"],
            noise_m=p["noise_mm"] / 1000.0,
            seed=int(p["seed"]),
            threshold_m=p["threshold_mm"] / 1000.0,
            filter_s=p["filter_s"],
            persist=int(p["persist"]),
            sample_s=p["sample_s"],
            t_end_s=p["t_end_s"],
        )

    @property
    def tank(self) -> water_tank.Tank:
        return water_tank.Tank(self.area_m2, self.outlet_m2, self.opening)

    @property
    def h0_m(self) -> float:
        """The tank starts at the steady level of the mean valve command."""
        return self.tank.steady_level(self.q_in_m3_s)

    def command(self, t: float) -> float:
        """The operator's valve command: a slow swing around the opening, within 0 and 1."""
        swing = 1.0 + self.valve_swing * np.sin(2 * np.pi * t / self.valve_period_s)
        return float(np.clip(self.opening * swing, 0.0, 1.0))

    def plant_opening(self, t: float) -> float:
        """The valve as it is: the command, or jammed from the fault on."""
        if self.fault == "stuck-valve" and t >= self.fault_time_s:
            return (1.0 - self.fault_size) * self.command(self.fault_time_s)
        return self.command(t)

    def leak_m2(self, t: float) -> float:
        if self.fault == "leak" and t >= self.fault_time_s:
            return self.fault_size * self.outlet_m2
        return 0.0

    def times(self) -> np.ndarray:
        return np.arange(int(round(self.t_end_s / self.sample_s)) + 1) * self.sample_s

    def initial_fault_rate_m_s(self) -> float:
        """How fast the residual grows the moment the fault strikes [m/s] (0 without one)."""
        tf = self.fault_time_s
        h = self.h0_m
        if tf > 0:
            h = self.tank.simulate([0.0, tf], self.q_in_m3_s, h, self.command)[-1]
        healthy = self.tank.outflow(h, self.command(tf))
        faulty = self.tank.outflow(h, self.plant_opening(tf), self.leak_m2(tf))
        return float(abs(faulty - healthy) / self.area_m2)

    def plant_and_model(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The plant's true level and the model's, at the times ``t``."""
        breaks = [self.fault_time_s]
        plant = self.tank.simulate(
            t, self.q_in_m3_s, self.h0_m, self.plant_opening, self.leak_m2, breaks
        )
        model = self.tank.simulate(t, self.q_in_m3_s, self.h0_m, self.command)
        return plant, model

    def run(self) -> dict[str, Any]:
        """Simulate, measure, detect: the series and what the detector found."""
        t = self.times()
        plant, model = self.plant_and_model(t)
        noise = np.random.default_rng(self.seed).normal(0.0, self.noise_m, t.size)
        measured = plant + noise
        found = residual_detector.detect(
            t, measured, model, self.threshold_m, self.filter_s, self.persist
        )
        faulty = self.fault != "none"
        detected_at = found.detected_at
        false_alarm = detected_at is not None and (not faulty or detected_at < self.fault_time_s)
        delay = None
        if faulty and detected_at is not None and not false_alarm:
            delay = detected_at - self.fault_time_s
        return {
            "t": t,
            "plant": plant,
            "model": model,
            "measured": measured,
            "command": np.array([self.command(x) for x in t]),
            "residual": found.residual,
            "filtered": found.filtered,
            "detected_at_s": detected_at,
            "detection_delay_s": delay,
            "false_alarm": bool(false_alarm),
        }
