"""Drive a dashboard from Python and time what a control change costs.

`find_control` is how both bench/ and the widget tests reach a dashboard's controls (by the CSS
class each control carries, `cu-<name>-<control>`); the tests import it from here, so that the
course package carries no code that only tests and benchmarks use.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def find_control(view, css_class: str):
    """The widget inside `view` (a dashboard or any container) that carries `css_class`."""
    stack = [view]
    while stack:
        widget = stack.pop()
        if css_class in getattr(widget, "_dom_classes", ()):
            return widget
        stack.extend(reversed(getattr(widget, "children", ())))
    raise LookupError(f"find_control: no widget with class {css_class!r} in this view")


def time_calls(fn: Callable[[int], object], repeats: int = 30, warmup: int = 2) -> dict:
    """Latency of fn(i) over `repeats` calls, in ms: the median and 90th percentile of wall
    time, and the median CPU time of this process (which other programs on a shared machine
    inflate less than wall time)."""
    for i in range(warmup):
        fn(i)
    wall, cpu = [], []
    for i in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(i)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return {"median_ms": float(np.median(wall)), "p90_ms": float(np.percentile(wall, 90)),
            "cpu_median_ms": float(np.median(cpu))}


def latency_figures(name: str, fn: Callable[[int], object], repeats: int = 30) -> list[tuple]:
    """time_calls(fn) as bench figures: widget_<name>_median_ms, _p90_ms and _cpu_ms."""
    timing = time_calls(fn, repeats=repeats)
    return [(f"widget_{name}_median_ms", timing["median_ms"], "ms"),
            (f"widget_{name}_p90_ms", timing["p90_ms"], "ms"),
            (f"widget_{name}_cpu_ms", timing["cpu_median_ms"], "ms")]
