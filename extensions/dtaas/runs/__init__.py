"""Runs of lifecycle steps: records on disk, the papermill engine, the manager."""

from .model import TERMINAL, RunRecord, RunStatus

__all__ = ["TERMINAL", "RunRecord", "RunStatus"]
