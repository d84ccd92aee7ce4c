"""Compiled loops of `detection.alarm_cells`: EARS C1/C2 and CUSUM over each series at once.

Each loop walks one series (a row of the count matrix) period by period, keeps its running
sums in a row-long buffer and makes each cell's baseline, threshold and statistic with the
arithmetic of `detection` in the same order (the same figures, to the last bit), recording
only the cells that cross. Compiled by numba without `fastmath` (which would reorder the
arithmetic) and with the interpreter's lock released, so a thread reading counts runs beside.

Each returns (rows, columns, figures): figures per cell are expected, observed, threshold,
statistic, then the count and expected count the Poisson check judges.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

FIGURES = 6


@njit(cache=True, nogil=True)
def _grow(rows: Any, columns: Any, figures: Any) -> tuple[Any, Any, Any]:
    size = 2 * len(rows)
    more_rows = np.empty(size, dtype=np.int64)
    more_columns = np.empty(size, dtype=np.int64)
    more_figures = np.empty((size, FIGURES))
    more_rows[: len(rows)] = rows
    more_columns[: len(rows)] = columns
    more_figures[: len(rows)] = figures
    return more_rows, more_columns, more_figures


@njit(cache=True, nogil=True)
def _running_sums(counts: Any, row: int, sums: Any, squares: Any) -> None:
    """`RunningSums.of` for one row: a zero first, then the sums in time order."""
    total = 0.0
    total_squares = 0.0
    sums[0] = 0.0
    squares[0] = 0.0
    for t in range(counts.shape[1]):
        x = counts[row, t]
        total += x
        total_squares += x * x
        sums[t + 1] = total
        squares[t + 1] = total_squares


@njit(cache=True, nogil=True)
def _baseline(sums: Any, squares: Any, t: int, window: int, lag: int) -> tuple[float, float]:
    """`moving_baseline` at column t: the mean and standard deviation, in its order."""
    end = t - lag + 1
    begin = end - window
    total = sums[end] - sums[begin]
    variance = squares[end] - squares[begin]
    mean = total / window
    total = total * total
    total = total / window
    variance = variance - total
    variance = variance / (window - 1)
    variance = max(variance, 0.0)
    return mean, np.sqrt(variance)


@njit(cache=True, nogil=True)
def ears_cells(
    counts: Any,
    window: int,
    lag: int,
    z: float,
    min_sigma: float,
    min_observed: float,
    start: int,
) -> tuple[Any, Any, Any]:
    """EARS C1 (lag 1) or C2 (lag 1 + guard): cells whose score passes z, with enough events."""
    n, columns = counts.shape
    rows = np.empty(1024, dtype=np.int64)
    at = np.empty(1024, dtype=np.int64)
    figures = np.empty((1024, FIGURES))
    found = 0
    sums = np.empty(columns + 1)
    squares = np.empty(columns + 1)
    first = max(window + lag - 1, start)
    for row in range(n):
        _running_sums(counts, row, sums, squares)
        for t in range(first, columns):
            x = counts[row, t]
            if not x >= min_observed:
                continue
            mean, sd = _baseline(sums, squares, t, window, lag)
            sigma = max(sd, min_sigma)
            score = (x - mean) / sigma
            if score > z:
                if found == len(rows):
                    rows, at, figures = _grow(rows, at, figures)
                rows[found] = row
                at[found] = t
                figures[found, 0] = mean
                figures[found, 1] = x
                figures[found, 2] = mean + z * sigma
                figures[found, 3] = score
                figures[found, 4] = x
                figures[found, 5] = mean
                found += 1
    return rows[:found], at[:found], figures[:found]


@njit(cache=True, nogil=True)
def cusum_cells(
    counts: Any,
    window: int,
    lag: int,
    k: float,
    h: float,
    min_sigma: float,
    min_observed: float,
    start: int,
) -> tuple[Any, Any, Any]:
    """One-sided upper CUSUM restarting after each alarm; for each alarm, the counts and the
    expected counts (no lower than the floor) summed over its run, in time order."""
    n, columns = counts.shape
    rows = np.empty(1024, dtype=np.int64)
    at = np.empty(1024, dtype=np.int64)
    figures = np.empty((1024, FIGURES))
    found = 0
    sums = np.empty(columns + 1)
    squares = np.empty(columns + 1)
    first = window + lag - 1
    floor = min_sigma**2
    reach = h + k
    for row in range(n):
        _running_sums(counts, row, sums, squares)
        running = 0.0
        carried = 0.0  # the statistic of the period before: nothing before the first
        run = first  # where the current run began: after the last restart
        for t in range(first, columns):
            x = counts[row, t]
            if running == 0.0 and x == 0.0 and k > 0.0:
                # No events and nothing carried: the step is below 0 whatever the baseline
                # (it is at least 0), so the sum stays at 0: a restart, nothing to work out.
                carried = 0.0
                run = t + 1
                continue
            mean, sd = _baseline(sums, squares, t, window, lag)
            sigma = max(sd, min_sigma)
            step = x - mean
            step = step / sigma
            step = step - k
            level = max(running + step, 0.0)
            fired = x >= min_observed and level > h
            if fired and t >= start:
                seen = 0.0
                usual = 0.0
                for u in range(run, t + 1):
                    before, _sd = _baseline(sums, squares, u, window, lag)
                    seen += counts[row, u]
                    usual += max(before, floor)
                if found == len(rows):
                    rows, at, figures = _grow(rows, at, figures)
                threshold = reach - carried
                threshold = threshold * sigma
                rows[found] = row
                at[found] = t
                figures[found, 0] = mean
                figures[found, 1] = x
                figures[found, 2] = threshold + mean
                figures[found, 3] = level
                figures[found, 4] = seen
                figures[found, 5] = usual
                found += 1
            running = 0.0 if fired else level
            if fired or level == 0.0:
                run = t + 1
            carried = level
    return rows[:found], at[:found], figures[:found]


@njit(cache=True, nogil=True)
def bin_series(
    entries: Any,
    source: Any,
    inverse: Any,
    first_series: int,
    allowed: Any,
    index: Any,
    first: int,
    measure: Any,
    values: Any,
    counted: Any,
    observed: Any,
) -> None:
    """Add the count rows of a block of series into its matrix (zeros, series x periods):
    each entry's row goes to its series and period, in the order of `entries` (the order in
    which `np.bincount` would add them: the same sums). A series of counts takes `measure`,
    one of an indicator `values` (the sum of its values)."""
    for j in range(len(entries)):
        entry = entries[j]
        row = source[entry]
        if allowed[row]:
            local = inverse[entry] - first_series
            weight = measure[row] if counted[local] else values[row]
            observed[local, index[row] - first] += weight


@njit(cache=True, nogil=True)
def sums_at(
    entries: Any,
    source: Any,
    inverse: Any,
    first_series: int,
    allowed: Any,
    index: Any,
    first: int,
    columns: int,
    hit: Any,
    wanted: Any,
    confirmed: Any,
    killed: Any,
) -> tuple[Any, Any]:
    """The confirmed reports and the killed of a block's count rows summed at the cells of
    `hit` (sorted flat cells; `wanted` marks them), in the order of `entries`."""
    confirmed_at = np.zeros(len(hit))
    killed_at = np.zeros(len(hit))
    for j in range(len(entries)):
        entry = entries[j]
        row = source[entry]
        if allowed[row]:
            cell = (inverse[entry] - first_series) * columns + index[row] - first
            if wanted[cell]:
                at = np.searchsorted(hit, cell)
                confirmed_at[at] += confirmed[row]
                killed_at[at] += killed[row]
    return confirmed_at, killed_at
