"""``tw.explore()``: ipywidgets made from a twin's parameter schema, re-running it as they move.

A slider per bounded number (with its unit and range), an integer slider, a dropdown per
enum, a checkbox per boolean. Each change, once the sliders rest for a moment, runs the
scenario on the fast executor (a sweep of one scenario: warm kernels, no papermill start)
and plots its recorded values against the baseline, the twin's defaults.
"""

from __future__ import annotations

import math
import threading
from typing import Any

DEBOUNCE_S = 0.4


def slider_range(prop: dict[str, Any]) -> tuple[Any, Any]:
    """The schema's bounds; a missing one is set from the default (four times it, or as far
    on the other side), so an open-ended parameter can still be explored."""
    low = prop.get("minimum", prop.get("exclusiveMinimum"))
    high = prop.get("maximum", prop.get("exclusiveMaximum"))
    default = prop.get("default")
    if (low is None or high is None) and not isinstance(default, (int, float)):
        return None, None
    span = abs(default) * 3 if default else 1.0
    if low is None:
        low = (high if high is not None else default) - span - (abs(default) if default else 0)
    if high is None:
        high = max(default + span, low + 1)
    if not all(map(math.isfinite, (low, high))) or low >= high:
        return None, None
    return low, high


def controls(schema: dict[str, Any]) -> dict[str, Any]:
    """A widget per parameter that can be explored, by name (others keep their defaults)."""
    import ipywidgets as w

    made: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        unit = prop.get("x-unit")
        label = f"{name} [{unit}]" if unit else name
        default = prop.get("default")
        style = {"description_width": "initial"}
        if "enum" in prop:
            made[name] = w.Dropdown(options=prop["enum"], value=default, description=label)
        elif prop.get("type") == "boolean":
            made[name] = w.Checkbox(value=bool(default), description=label)
        elif prop.get("type") in ("number", "integer"):
            low, high = slider_range(prop)
            if low is None:
                continue  # unbounded and no default: nothing to slide over
            if prop["type"] == "integer":
                made[name] = w.IntSlider(
                    value=int(default if default is not None else low),
                    min=int(low), max=int(high), description=label, style=style,
                )  # fmt: skip
            else:
                value = float(default if default is not None else (low + high) / 2)
                made[name] = w.FloatSlider(
                    value=value, min=float(low), max=float(high), step=(high - low) / 100,
                    description=label, style=style, continuous_update=False,
                )  # fmt: skip
    return made


def plot(out: Any, baseline: dict[str, Any], scenario: dict[str, Any], title: str) -> None:
    """The numeric recorded values of the scenario beside the baseline's.

    Drawn to a PNG and appended to the output widget (never ``with out:``, which would
    take the displays of whatever else runs meanwhile, a cell's recorded values too)."""
    import io

    from IPython.display import Image
    from matplotlib.figure import Figure

    names = [
        n
        for n, v in scenario.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and n in baseline
    ]
    out.outputs = ()  # the last plot goes (clear_output(wait=True) waits for a message)
    if not names:
        out.append_stdout(f"{title}: {scenario}\n")
        return
    fig = Figure(figsize=(1.2 + 0.9 * len(names), 3))
    ax = fig.subplots()
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], [baseline[n] for n in names], width=0.4, label="baseline")
    ax.bar([i + 0.2 for i in x], [scenario[n] for n in names], width=0.4, label="scenario")
    ax.set_xticks(list(x), names)
    ax.set_title(title, fontsize=9)
    ax.legend()
    png = io.BytesIO()
    fig.savefig(png, format="png", bbox_inches="tight")
    out.append_display_data(Image(png.getvalue()))


class Explorer:
    """The sliders, the output, and the debounced re-runs of one twin."""

    def __init__(self, twin: Any, step: str = "execute"):
        import ipywidgets as w

        self.twin = twin
        self.step = step
        info = twin.client.call("GET", f"dts/{twin.scope or 'private'}/{twin.name}")
        self.controls = controls(info.get("parameters") or {})
        self.out = w.Output()
        self.status = w.HTML()
        self.defaults = self.values()
        self.baseline = self.run({})
        self._timer: threading.Timer | None = None
        for widget in self.controls.values():
            widget.observe(self._changed, names="value")
        self.widget = w.VBox([*self.controls.values(), self.status, self.out])
        plot(self.out, self.baseline, self.baseline, "baseline (the defaults)")

    def values(self) -> dict[str, Any]:
        return {name: widget.value for name, widget in self.controls.items()}

    def run(self, values: dict[str, Any]) -> dict[str, Any]:
        """One scenario on the fast executor; its recorded values."""
        sweep = self.twin.sweep(
            ranges={}, scenarios=[values], keep="none", step=self.step, watch=False
        ).wait()
        rows = sweep.client.call("GET", f"sweeps/{sweep.id}/results")["rows"]
        row = rows[0] if rows else {"status": "failed", "error": sweep.record.get("error")}
        if row["status"] != "succeeded":
            self.status.value = f"<b>failed</b>: {row.get('error')}"
            return {}
        return row["recorded"]

    def _changed(self, _change: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(DEBOUNCE_S, self.update)
        self._timer.daemon = True
        self._timer.start()

    def update(self) -> dict[str, Any]:
        values = self.values()
        self.status.value = "running…"
        recorded = self.run(values)
        if recorded:
            self.status.value = ""
            changed = {k: v for k, v in values.items() if self.defaults.get(k) != v}
            plot(self.out, self.baseline, recorded, f"scenario {changed or '(the defaults)'}")
        return recorded

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
