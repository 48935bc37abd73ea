"""Bang-bang control with hysteresis: the heater goes on below the band, off above it, and
keeps what it was doing inside it (so it does not chatter on sensor noise)."""

from __future__ import annotations

__all__ = ["Hysteresis"]


class Hysteresis:
    """Hold a temperature inside ``[target - band/2, target + band/2]``."""

    def __init__(self, target: float, band: float, on: bool = False):
        if not band > 0:
            raise ValueError("band must be positive")
        self.target = float(target)
        self.band = float(band)
        self.on = bool(on)

    @property
    def low(self) -> float:
        return self.target - self.band / 2

    @property
    def high(self) -> float:
        return self.target + self.band / 2

    def update(self, temperature: float) -> bool:
        """The heater command for the temperature seen now."""
        if temperature <= self.low:
            self.on = True
        elif temperature >= self.high:
            self.on = False
        return self.on

    def inside(self, temperature: float) -> bool:
        return self.low <= temperature <= self.high
