"""A linear Kalman filter: ``x+ = F x + G u + w``, ``z = H x + v`` with ``w ~ N(0, Q)``,
``v ~ N(0, R)``. Pure numpy; the filter pickles, so a saved kernel resumes it as it was."""

from __future__ import annotations

import numpy as np

__all__ = ["KalmanFilter"]


class KalmanFilter:
    """Predict with the model and a known input, correct with a measurement.

    ``F`` (n x n), ``G`` (n x m), ``H`` (p x n), ``Q`` (n x n), ``R`` (p x p), ``x0`` (n),
    ``P0`` (n x n). :meth:`step` does both halves and returns the new estimate.
    """

    def __init__(self, F, G, H, Q, R, x0, P0):
        self.F = np.atleast_2d(np.asarray(F, dtype=float))
        self.G = np.atleast_2d(np.asarray(G, dtype=float))
        self.H = np.atleast_2d(np.asarray(H, dtype=float))
        self.Q = np.atleast_2d(np.asarray(Q, dtype=float))
        self.R = np.atleast_2d(np.asarray(R, dtype=float))
        self.x = np.asarray(x0, dtype=float).copy()
        self.P = np.atleast_2d(np.asarray(P0, dtype=float)).copy()
        n = self.F.shape[0]
        if self.F.shape != (n, n) or self.x.shape != (n,) or self.P.shape != (n, n):
            raise ValueError("F, x0 and P0 must agree on the state size")
        if self.G.shape[0] != n or self.H.shape[1] != n or self.Q.shape != (n, n):
            raise ValueError("G, H and Q must agree with the state size")
        p = self.H.shape[0]
        if self.R.shape != (p, p):
            raise ValueError("R must be square, one row per measurement")
        self.innovation = np.zeros(p)

    def predict(self, u) -> np.ndarray:
        self.x = self.F @ self.x + self.G @ np.asarray(u, dtype=float)
        self.P = self.F @ self.P @ self.F.T + self.Q
        return self.x

    def update(self, z) -> np.ndarray:
        z = np.atleast_1d(np.asarray(z, dtype=float))
        y = z - self.H @ self.x
        S = self.H @ self.P @ self.H.T + self.R
        K = np.linalg.solve(S, self.H @ self.P).T  # P H^T S^-1, S symmetric
        self.x = self.x + K @ y
        # Joseph form: stays symmetric and positive
        Ik = np.eye(len(self.x)) - K @ self.H
        self.P = Ik @ self.P @ Ik.T + K @ self.R @ K.T
        self.innovation = y
        return self.x

    def step(self, u, z) -> np.ndarray:
        """Predict over one step with input ``u``, then correct with measurement ``z``."""
        self.predict(u)
        return self.update(z)

    def std(self) -> np.ndarray:
        """Standard deviation of each state estimate."""
        return np.sqrt(np.clip(np.diag(self.P), 0.0, None))

    def state(self) -> dict:
        return {"x": self.x.tolist(), "P": self.P.tolist()}

    def restore(self, state: dict) -> KalmanFilter:
        self.x = np.asarray(state["x"], dtype=float)
        self.P = np.asarray(state["P"], dtype=float)
        return self
