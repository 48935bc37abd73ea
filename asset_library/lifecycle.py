"""How the library service lives and dies with the hub.

It stops within seconds of SIGINT or SIGTERM whatever it is doing (a rebuild rolls
back; the files stay the truth), and it never outlives the hub that started it: a
hub killed with SIGKILL cannot stop its services, so the kernel tells us instead.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable

log = logging.getLogger("dtaas.library")
PR_SET_PDEATHSIG = 1
GRACE_S = 3.0


def exit_with_parent() -> None:
    """Ask Linux for SIGTERM when the process that started us dies."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        log.warning("cannot ask to be stopped with the hub (prctl unavailable)")
    if os.getppid() != parent:  # the parent died before the request took hold
        os.kill(os.getpid(), signal.SIGTERM)


def stop_on_signals(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
    """On SIGINT or SIGTERM call ``stop`` and, if the process is still alive
    ``GRACE_S`` later (a worker stuck in a long call), end it there."""

    def on_signal(sig: signal.Signals) -> None:
        log.info("library service stopping (%s)", sig.name)
        stop()
        deadline = threading.Timer(GRACE_S, _hard_exit)
        deadline.daemon = True
        deadline.start()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)


def _hard_exit() -> None:
    log.warning("library service did not stop within %.0f s; exiting now", GRACE_S)
    logging.shutdown()
    os._exit(0)
