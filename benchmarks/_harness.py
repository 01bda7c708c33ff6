"""Shared plumbing: memory probes, fresh-subprocess workers, machine info, data files."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / ".data"
RESULTS_DIR = BENCH_DIR / "results"
RESULT_MARK = "BENCH-RESULT "  # prefix of the one stdout line a worker reports on


# ---------------------------------------------------------------------- memory (Linux)
def _status_mib(field: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:  # not Linux
        pass
    return None


def rss_mib() -> float:
    """Current resident set size of this process, MiB (``VmRSS``)."""
    current = _status_mib("VmRSS")
    return peak_mib() if current is None else current


def maxrss_mib() -> float:
    """``getrusage(RUSAGE_SELF).ru_maxrss`` in MiB (KiB on Linux).

    Caveat: after fork + exec, Linux starts a child's ``ru_maxrss`` at the parent's RSS at
    the time of the fork, so this overstates a small child of a big parent. :func:`peak_mib`
    does not have that problem.
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_mib() -> float:
    """Peak resident set size of this process's own memory so far, MiB (``VmHWM``; else ``ru_maxrss``)."""
    peak = _status_mib("VmHWM")
    return maxrss_mib() if peak is None else peak


def reset_peak() -> bool:
    """Reset the peak RSS (``VmHWM``) to the current RSS (Linux ``/proc/self/clear_refs``); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux ``/proc/<pid>/task/*/children``)."""
    found: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as children:
                    kids = [int(k) for k in children.read().split()]
            except OSError:
                continue
            found += kids
            stack += kids
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler:
    """Samples the resident memory of this process and all its descendants (a JVM, dask
    workers) every ``interval`` seconds in a thread; ``peak_mib`` is the largest total seen.

    Sampling can miss a peak shorter than the interval; each process's own ``VmHWM`` cannot
    be summed instead, since the processes' peaks need not coincide.
    """

    def __init__(self, interval: float = 0.05) -> None:
        import threading

        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            total = sum(_rss_kib(p) for p in [me, *_descendants(me)])
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


def report(result: dict[str, Any]) -> None:
    """Print a worker's result as the one line the parent parses."""
    print(RESULT_MARK + json.dumps(result), flush=True)


# ---------------------------------------------------------------------- subprocesses
def run_module(
    module: str,
    args: Sequence[str],
    *,
    timeout: float = 1800,
    python: str | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``python -m module args`` in a fresh interpreter (any virtualenv) and return what it reported."""
    command = [python or sys.executable, "-m", module, *args]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            result: dict[str, Any] = json.loads(line[len(RESULT_MARK) :])
            return result
    raise RuntimeError(f"{' '.join(command)} reported nothing:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def ensure_data(path: Path, generator_args: Sequence[str], *, regenerate: bool = False) -> Path:
    """Write a synthetic Parquet file with ``python -m benchmarks.synthetic`` unless it exists."""
    if regenerate or not path.exists():
        tmp = path.with_suffix(".tmp.parquet")
        command = [sys.executable, "-m", "benchmarks.synthetic", *generator_args, "--out", str(tmp)]
        subprocess.run(command, cwd=REPO, check=True)
        tmp.replace(path)
    return path


# ---------------------------------------------------------------------- summaries
def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def summarise_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the numeric fields shared by all runs, plus the raw runs."""
    skip = {"round", "events", "journeys", "rows", "touches", "channels"}
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in skip]
    summary: dict[str, Any] = {f"median_{k}": round(median([r[k] for r in runs]), 4) for k in keys}
    summary["runs"] = runs
    return summary


def machine_info() -> dict[str, Any]:
    """Where and with what the benchmark ran (versions read from metadata: nothing heavy is imported)."""
    info: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    for distribution, key in [("numpy", "numpy"), ("pandas", "pandas"), ("pyarrow", "pyarrow"), ("scipy", "scipy")]:
        info[key] = _version(distribution)
    info["attribution"] = _version("multitouch-attribution")
    info["git"] = _git_state()
    return info


def _version(distribution: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _git_state() -> dict[str, Any] | None:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": commit, "src_modified": bool(dirty)}


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
