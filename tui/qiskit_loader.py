"""Importing qiskit from worker threads without crashing the process.

qiskit 2.6's compiled core crashes the process (SIGSEGV) when the thread that first
imported qiskit has exited and another thread then builds a circuit. Both the app and the
service do qiskit work in short-lived threads, so the first import happens here, on a
thread that lives as long as the process.
"""

from __future__ import annotations

import importlib
import sys
from concurrent.futures import ThreadPoolExecutor

_loader_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qrt-qiskit-loader")


def ensure_qiskit_loaded() -> None:
    """Import qiskit on the long-lived loader thread unless it is loaded already."""
    if "qiskit" not in sys.modules:
        _loader_thread.submit(importlib.import_module, "qiskit").result()
