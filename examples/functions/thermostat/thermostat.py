"""An on/off thermostat with hysteresis: on below the band, off above it, else as it was.

The band is ``setpoint_C - hysteresis_K / 2`` to ``setpoint_C + hysteresis_K / 2``; inside
it the heater keeps its last state, so it does not chatter. The thermostat pickles.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Thermostat"]


@dataclass
class Thermostat:
    setpoint_C: float = 21.0
    hysteresis_K: float = 1.0
    on: bool = False
    switches: int = 0

    def __post_init__(self) -> None:
        if self.hysteresis_K < 0:
            raise ValueError("hysteresis_K must not be negative")

    @property
    def band(self) -> tuple[float, float]:
        half = self.hysteresis_K / 2
        return self.setpoint_C - half, self.setpoint_C + half

    def update(self, temperature: float) -> float:
        """The heater command (1.0 on, 0.0 off) for the temperature ``temperature`` [degC]."""
        low, high = self.band
        on = self.on
        if temperature < low:
            on = True
        elif temperature > high:
            on = False
        if on != self.on:
            self.switches += 1
            self.on = on
        return 1.0 if self.on else 0.0

    __call__ = update
