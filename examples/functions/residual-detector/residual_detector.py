"""Fault detection by a residual: the measured value against the model's prediction.

The residual ``r = measured - predicted`` is smoothed by an exponential moving average with
time constant ``filter_s`` (0: no smoothing), and an alarm is raised once ``|r_filtered|``
has exceeded ``threshold`` for ``persist`` samples in a row: the time of the first of them is
the detection time. Use it sample by sample (:class:`ResidualDetector`, which pickles) or
on whole series (:func:`detect`). numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Detection", "ResidualDetector", "detect"]


@dataclass
class ResidualDetector:
    """A threshold on the filtered residual, with persistence."""

    threshold: float
    filter_s: float = 0.0
    persist: int = 1
    filtered: float | None = None
    run: int = 0
    run_start: float | None = None
    detected_at: float | None = None
    _last_t: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.threshold > 0:
            raise ValueError("threshold must be positive")
        if self.filter_s < 0 or self.persist < 1:
            raise ValueError("filter_s must be >= 0 and persist >= 1")

    def update(self, t: float, measured: float, predicted: float) -> bool:
        """Feed one sample; True once the fault is detected (and from then on)."""
        r = float(measured) - float(predicted)
        if self.filtered is None or self.filter_s == 0:
            self.filtered = r
        else:
            alpha = 1.0 - np.exp(-(t - self._last_t) / self.filter_s)
            self.filtered += alpha * (r - self.filtered)
        self._last_t = t
        if self.detected_at is not None:
            return True
        if abs(self.filtered) > self.threshold:
            if self.run == 0:
                self.run_start = t
            self.run += 1
            if self.run >= self.persist:
                self.detected_at = self.run_start
                return True
        else:
            self.run, self.run_start = 0, None
        return False


@dataclass(frozen=True)
class Detection:
    """What :func:`detect` found: the residual, filtered, and the detection (or None)."""

    residual: np.ndarray
    filtered: np.ndarray
    detected_at: float | None
    index: int | None

    def delay(self, fault_time: float) -> float | None:
        """Detection time minus the fault's time (None when not detected)."""
        return None if self.detected_at is None else self.detected_at - fault_time


def detect(
    t, measured, predicted, threshold: float, filter_s: float = 0.0, persist: int = 1
) -> Detection:
    """Run a :class:`ResidualDetector` over whole series."""
    t, measured, predicted = (np.asarray(x, dtype=float) for x in (t, measured, predicted))
    detector = ResidualDetector(threshold, filter_s, persist)
    filtered = np.empty(t.size)
    for i in range(t.size):
        detector.update(t[i], measured[i], predicted[i])
        filtered[i] = detector.filtered
    index = None
    if detector.detected_at is not None:
        index = int(np.searchsorted(t, detector.detected_at))
    return Detection(measured - predicted, filtered, detector.detected_at, index)
