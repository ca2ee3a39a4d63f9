"""Measuring tools of the benchmarks: request timings, a process's memory, the machine."""

from __future__ import annotations

import os
import platform
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Timings:
    """Wall-clock times of one kind of request, in milliseconds."""

    name: str
    samples: list[float] = field(default_factory=list)
    #: rows the last response held (to show what the request did)
    rows: int = 0
    note: str = ""

    def time(self, call: Callable[[], int]) -> None:
        """Time one call; the call returns how many rows it got."""
        started = time.perf_counter()
        self.rows = call()
        self.samples.append((time.perf_counter() - started) * 1000)

    def summary(self) -> dict[str, Any]:
        """p50, p95 and max (ms) over the samples."""
        ordered = sorted(self.samples)
        p95 = statistics.quantiles(ordered, n=20, method="inclusive")[-1] if len(ordered) > 1 else 0
        return {
            "name": self.name,
            "n": len(ordered),
            "p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(p95, 2),
            "max_ms": round(ordered[-1], 2),
            "rows": self.rows,
            "note": self.note,
        }


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


class MemoryWatch:
    """Resident memory of another process while something runs (Linux ``/proc``).

    The kernel's own peak (``VmHWM``) is reset first when allowed (``clear_refs``), and
    ``VmRSS`` is also sampled, so a short spike between samples is not missed either way.
    """

    def __init__(self, pid: int, every: float = 0.02) -> None:
        self.pid = pid
        self.every = every
        self.before_kib = 0
        self.sampled_peak_kib = 0
        self.hwm_reset = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _rss(self) -> int:
        return _status_kib(self.pid, "VmRSS")

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.sampled_peak_kib = max(self.sampled_peak_kib, self._rss())
            self._stop.wait(self.every)

    def __enter__(self) -> MemoryWatch:
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            self.hwm_reset = True
        except OSError:
            self.hwm_reset = False
        self.before_kib = self._rss()
        self.sampled_peak_kib = self.before_kib
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def result(self) -> dict[str, Any]:
        """RSS before, the peak during, and the growth (MiB)."""
        peak = self.sampled_peak_kib
        if self.hwm_reset:
            peak = max(peak, _status_kib(self.pid, "VmHWM"))
        return {
            "rss_before_mib": round(self.before_kib / 1024, 1),
            "rss_peak_mib": round(peak / 1024, 1),
            "rss_growth_mib": round((peak - self.before_kib) / 1024, 1),
            "peak_from": "VmHWM (reset before) and VmRSS samples"
            if self.hwm_reset
            else "VmRSS samples every 20 ms",
        }


def machine() -> dict[str, Any]:
    """The machine the numbers were taken on, and how busy it was."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }
