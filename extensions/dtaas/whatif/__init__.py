"""What-if: scenario designs, ranking, sensitivity and results tables for sweeps of a twin."""
