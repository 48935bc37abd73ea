"""``tw.explore()`` in JupyterLab: a notebook in the user's workspace makes sliders from the
mass-spring-damper's schema; moving one re-runs the twin and draws a new plot in the
widget's output."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from asset_library.fsutil import own_like
from tests.browser.lab import log_in, run_command
from tests.hub import Hub

pytestmark = pytest.mark.browser

SOURCE = 'import dtaas\nex = dtaas.twin("mass-spring-damper", "common").explore()\nex'
NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "explore",
            "metadata": {},
            "outputs": [],
            "source": SOURCE,
        }
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
RUN_TIMEOUT = 120_000


def test_explore_sliders_rerun_the_twin(hub: Hub, page: Page, errors, artifacts):
    workspace = log_in(page, hub, "ezra")
    path = workspace / "explore-msd.ipynb"
    path.write_text(json.dumps(NOTEBOOK, indent=1))
    own_like(path, workspace)

    page.goto(f"{hub.url}/user/ezra/lab/tree/{path.name}")
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
    expect(notebook.locator(".jp-Cell .jp-InputArea")).to_contain_text("explore()")
    expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(
        1, timeout=RUN_TIMEOUT
    )
    # the notebook is the current one (as once clicked), its kernel's channels connected
    # (the status bar says Idle from the REST model before that), then Run All as from
    # the menu
    notebook.locator(".jp-Cell .jp-InputArea").first.click()
    page.wait_for_function(
        """path => {
            const w = window.jupyterapp.shell.currentWidget;
            const kernel = w?.sessionContext?.session?.kernel;
            return w?.context?.path === path && kernel?.connectionStatus === 'connected';
        }""",
        arg=path.name,
        timeout=RUN_TIMEOUT,
    )
    run_command(page, "notebook:run-all-cells")

    # the sliders from the schema, each labelled with its unit
    output = notebook.locator(".jp-Cell .jp-OutputArea-output")
    widgets = output.locator(".jupyter-widgets.widget-vbox")
    expect(widgets).to_be_visible(timeout=RUN_TIMEOUT)
    c1 = widgets.locator(".widget-slider", has=page.locator(".widget-label", has_text="c1 [N s/m]"))
    expect(c1).to_have_count(1)
    expect(c1.locator(".widget-readout")).to_have_text("0.50")
    expect(widgets.locator(".widget-slider")).not_to_have_count(0)

    # the baseline's plot in the widget's own output area
    image = widgets.locator(".widget-output .jp-OutputArea-output img")
    expect(image).to_have_count(1, timeout=RUN_TIMEOUT)
    before = image.get_attribute("src")
    assert before

    # a new c1 typed into the readout: the twin runs again and a new plot replaces the first
    readout = c1.locator(".widget-readout")
    readout.fill("1.5")
    readout.press("Enter")
    expect(readout).to_have_text("1.50")
    # the scenario's plot in place of the baseline's
    expect(image.last).not_to_have_attribute("src", before, timeout=RUN_TIMEOUT)
    expect(image).to_have_count(1)
    page.screenshot(path=str(artifacts / "explore.png"))
    assert errors == []
