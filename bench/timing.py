"""Wall-clock sampling and percentiles: every figure the benchmark reports comes from here."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence


def percentile(samples: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) with linear interpolation between the closest ranks."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * p / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(samples_ms: Sequence[float]) -> dict:
    return {
        "n": len(samples_ms),
        "p50": round(percentile(samples_ms, 50), 3),
        "p95": round(percentile(samples_ms, 95), 3),
        "p99": round(percentile(samples_ms, 99), 3),
        "max": round(max(samples_ms), 3) if samples_ms else float("nan"),
    }


def sample(
    call: Callable[[object], object],
    inputs: Sequence[object],
    *,
    reps: int,
    budget_s: float,
    min_reps: int = 30,
    warmup: int = 5,
) -> list[float]:
    """Milliseconds per ``call(input)``, cycling through ``inputs``: ``reps`` calls, or fewer (at least
    ``min_reps``) once ``budget_s`` seconds are spent. The first ``warmup`` inputs run once unmeasured."""
    for item in list(inputs)[:warmup]:
        call(item)
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(reps):
            item = inputs[i % len(inputs)]
            t0 = time.perf_counter()
            call(item)
            samples.append((time.perf_counter() - t0) * 1000)
            if i + 1 >= min_reps and time.perf_counter() > deadline:
                break
            if i % 50 == 49:
                gc.collect()
    finally:
        if gc_was_enabled:
            gc.enable()
    return samples


def interleaved(
    calls: dict[str, Callable[[object], object]],
    inputs: Sequence[object],
    *,
    reps: int,
    budget_s: float,
    min_reps: int = 30,
    warmup: int = 5,
    on_error: Callable[[str, Exception], None] | None = None,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """(wall ms, CPU ms of this process) per contender: like ``sample`` for several contenders at once, taking turns on the same input, so that a change of
    load on the machine hits all of them alike; who goes first rotates from input to input, since the first call on an
    input meets colder CPU caches (measured: ~0.2 ms on a 0.5 ms search). A contender leaves the rotation after ``reps`` calls, or once it
    has spent ``budget_s`` seconds (and made at least ``min_reps`` calls), or on its first error. CPU time
    counts only this process: for in-process work it shows the cost without the machine's other load."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    spent = dict.fromkeys(calls, 0.0)
    active = list(calls)
    for item in list(inputs)[:warmup]:
        for name in list(active):
            try:
                calls[name](item)
            except Exception as exc:  # noqa: BLE001 - reported through on_error, the others go on
                active.remove(name)
                if on_error:
                    on_error(name, exc)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(reps):
            if not active:
                break
            item = inputs[i % len(inputs)]
            first = i % len(active)  # who goes first changes: the first call on an input meets colder caches
            for name in active[first:] + active[:first]:
                c0, t0 = time.process_time(), time.perf_counter()
                try:
                    calls[name](item)
                except Exception as exc:  # noqa: BLE001
                    active.remove(name)
                    if on_error:
                        on_error(name, exc)
                    continue
                elapsed = time.perf_counter() - t0
                cpu[name].append((time.process_time() - c0) * 1000)
                samples[name].append(elapsed * 1000)
                spent[name] += elapsed
                if len(samples[name]) >= min_reps and spent[name] > budget_s:
                    active.remove(name)
            if i % 50 == 49:
                gc.collect()
    finally:
        if gc_was_enabled:
            gc.enable()
    return samples, cpu


def timed(call: Callable[[], object]) -> tuple[float, object]:
    """(milliseconds, result) of one call."""
    t0 = time.perf_counter()
    result = call()
    return (time.perf_counter() - t0) * 1000, result
