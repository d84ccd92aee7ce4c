"""Aberration detection from outbreak surveillance, applied to counts of violent events.

Every method takes a matrix of counts, one row per series (a place and event type) and one
column per period (a day or a week), and answers for every cell at once: what was expected,
what was observed, the threshold and whether it was crossed. Rows are independent, so 5,000
places cost one pass of numpy over the matrix, not 5,000 Python loops.

- EARS C1, C2, C3 (CDC's Early Aberration Reporting System; Hutwagner et al. 2003): a
  Shewhart chart over a short moving baseline; C2 leaves a two-period guard band between the
  baseline and today, C3 sums the last three C2 excesses.
- CUSUM (Page 1954), one-sided upper, on counts standardised by the moving baseline; it
  restarts after an alarm.
- EWMA (Roberts 1959), an exponentially weighted mean against the moving baseline.

Sparse series (a quiet district has mostly zeros) have a standard deviation of 0; `min_sigma`
keeps one event in a quiet place from being an alarm by itself, and `min_observed` asks for a
minimum count in the period that alarms.

The methods above assume counts spread like a normal law; sparse counts of events do not (two
events where 0.2 are usual cross EARS C2's three standard deviations about once in fifty days:
in 5,000 districts, hundreds of false alarms a day). So for series of counts an alarm also
needs its count to be improbable for a Poisson law with the expected mean: P(X >= observed) <
`poisson_alpha`, the mean of each period no lower than `min_sigma` squared (the same floor, as
a variance).
CUSUM is judged on its whole run (the counts and the expected since its sum last stood at 0),
since a sustained shift is made of periods that are each only somewhat high.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter
from scipy.stats import poisson

Counts = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Detection:
    """Per cell (series, period): expected, observed, threshold, statistic and alarm.

    Cells without enough history have NaN expectations and never alarm.
    """

    method: str
    window: int
    expected: Counts
    observed: Counts
    threshold: Counts
    statistic: Counts
    alarm: Flags


@dataclass(frozen=True)
class Parameters:
    """Documented defaults; a framework's `parameters` may override any of them."""

    baseline: int = 7  # EARS: periods in the moving baseline
    z: float = 3.0  # EARS C1/C2: standard deviations above the mean
    c3_limit: float = 2.0  # EARS C3: sum of the last three C2 excesses over 1
    cusum_baseline: int = 28
    cusum_k: float = 0.5  # reference value, in standard deviations
    cusum_h: float = 4.0  # decision limit, in standard deviations
    ewma_baseline: int = 28
    ewma_lambda: float = 0.3
    ewma_l: float = 3.0
    guard: int = 2  # periods between the baseline and the period judged (C2, C3, CUSUM, EWMA)
    min_sigma: float = 0.5
    min_observed: float = 2.0
    poisson_alpha: float = 0.001  # series of counts: 0 turns the Poisson check off

    @classmethod
    def from_mapping(cls, values: dict[str, object]) -> Parameters:
        known = {name for name in cls.__dataclass_fields__}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"Unknown detection parameters: {', '.join(sorted(unknown))}.")
        return cls(**values)  # type: ignore[arg-type]


def _as_matrix(counts: npt.ArrayLike) -> Counts:
    matrix = np.asarray(counts, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix[np.newaxis, :]
    if matrix.ndim != 2:
        raise ValueError("Counts are a matrix: one row per series, one column per period.")
    if np.any(matrix < 0) or not np.all(np.isfinite(matrix)):
        raise ValueError("Counts are finite and never negative.")
    return matrix


@dataclass(frozen=True)
class RunningSums:
    """Running sums of a count matrix and of its squares along time (a zero column first):
    every moving baseline of the matrix is read from them, so the methods share them."""

    values: Counts
    squares: Counts

    @classmethod
    def of(cls, counts: Counts) -> RunningSums:
        rows, columns = counts.shape
        values = np.zeros((rows, columns + 1))
        np.cumsum(counts, axis=1, out=values[:, 1:])
        squares = np.zeros((rows, columns + 1))
        np.cumsum(counts * counts, axis=1, out=squares[:, 1:])
        return cls(values=values, squares=squares)


def moving_baseline(
    counts: Counts, window: int, lag: int, sums: RunningSums | None = None
) -> tuple[Counts, Counts]:
    """Mean and sample standard deviation of the `window` periods ending `lag` periods before
    each column (lag 1 = up to yesterday). NaN where the history is too short."""
    if window < 2:
        raise ValueError("A baseline needs at least two periods.")
    rows, columns = counts.shape
    mean = np.empty((rows, columns))
    sd = np.empty((rows, columns))
    first = window + lag - 1  # the first column with a full baseline
    mean[:, :first] = np.nan
    sd[:, :first] = np.nan
    if first < columns:
        sums = sums or RunningSums.of(counts)
        # Column t's baseline ends (exclusive) at t - lag + 1 and starts `window` earlier:
        # contiguous ranges, so slices (views), not gathered copies. Results go straight to
        # their place (`out=`): these are the scan's largest matrices.
        end = slice(first - lag + 1, columns - lag + 1)
        start = slice(first - lag + 1 - window, columns - lag + 1 - window)
        total = sums.values[:, end] - sums.values[:, start]
        variance = sums.squares[:, end] - sums.squares[:, start]
        np.divide(total, window, out=mean[:, first:])
        total *= total
        total /= window
        variance -= total
        variance /= window - 1
        np.maximum(variance, 0.0, out=variance)
        np.sqrt(variance, out=sd[:, first:])
    return mean, sd


def _ready_from(mean: Counts) -> int:
    """The first column with a baseline: the same for every series of one matrix."""
    ready = ~np.isnan(mean[0]) if len(mean) else np.zeros(mean.shape[1], dtype=bool)
    return int(np.argmax(ready)) if ready.any() else mean.shape[1]


def ears(
    counts: npt.ArrayLike,
    method: str = "C1",
    params: Parameters = Parameters(),
    counts_rows: Flags | None = None,
    *,
    sums: RunningSums | None = None,
) -> Detection:
    observed = _as_matrix(counts)
    if method not in ("C1", "C2", "C3"):
        raise ValueError("EARS methods are C1, C2 and C3.")
    lag = 1 if method == "C1" else 1 + params.guard
    mean, sd = moving_baseline(observed, params.baseline, lag, sums)
    sigma = np.maximum(sd, params.min_sigma)
    with np.errstate(invalid="ignore"):
        score = (observed - mean) / sigma
    if method in ("C1", "C2"):
        threshold = mean + params.z * sigma
        statistic = score
        crossed = score > params.z
    else:
        excess = np.where(np.isnan(score), np.nan, np.maximum(score - 1.0, 0.0))
        earlier = np.full_like(excess, np.nan)
        earlier[:, 2:] = excess[:, 1:-1] + excess[:, :-2]
        statistic = excess + earlier
        # The count today that would bring the sum over the limit, given the two days before.
        threshold = mean + sigma * (1.0 + np.maximum(params.c3_limit - earlier, 0.0))
        crossed = statistic > params.c3_limit
    alarm = np.nan_to_num(crossed, nan=0.0).astype(bool) & (observed >= params.min_observed)
    alarm &= ~np.isnan(mean)
    if method == "C3":  # judged, like its statistic, on the last three periods together
        seen, usual = _last_three(observed), _last_three(np.maximum(mean, params.min_sigma**2))
    else:
        seen, usual = observed, mean
    alarm &= ~_usual_counts(alarm, seen, usual, params, counts_rows)
    return Detection(
        method=f"ears_{method.lower()}",
        window=params.baseline,
        expected=mean,
        observed=observed,
        threshold=threshold,
        statistic=statistic,
        alarm=alarm,
    )


def _last_three(values: Counts) -> Counts:
    total = values.copy()
    total[:, 1:] += values[:, :-1]
    total[:, 2:] += values[:, :-2]
    return total


def _usual_counts(
    alarm: Flags, observed: Counts, expected: Counts, params: Parameters, rows: Flags | None
) -> Flags:
    """The alarm cells whose count is not improbable for a Poisson law with the expected mean
    (only in `rows`, the series of counts; every row when None)."""
    usual = np.zeros_like(alarm)
    cells = np.nonzero(alarm)
    if len(cells[0]):
        usual[cells] = _usual_at(
            observed[cells], expected[cells], params, None if rows is None else rows[cells[0]]
        )
    return usual


def _usual_at(
    observed: Counts, expected: Counts, params: Parameters, counted: Flags | None
) -> Flags:
    """`_usual_counts` for a list of alarm cells: their counts, expected counts, and whether
    each is in a series of counts (all when None)."""
    usual = np.zeros(len(observed), dtype=bool)
    if params.poisson_alpha <= 0:
        return usual
    chosen = np.arange(len(observed)) if counted is None else np.nonzero(counted)[0]
    if len(chosen):
        mean = np.maximum(np.nan_to_num(expected[chosen]), params.min_sigma**2)
        usual[chosen] = poisson.sf(observed[chosen] - 1, mean) >= params.poisson_alpha
    return usual


def cusum(
    counts: npt.ArrayLike,
    params: Parameters = Parameters(),
    counts_rows: Flags | None = None,
    *,
    sums: RunningSums | None = None,
) -> Detection:
    observed = _as_matrix(counts)
    mean, sd = moving_baseline(observed, params.cusum_baseline, 1 + params.guard, sums)
    sigma = np.maximum(sd, params.min_sigma)
    rows, columns = observed.shape
    statistic = np.empty((rows, columns))
    alarm = np.zeros((rows, columns), dtype=bool)
    first = _ready_from(mean)
    statistic[:, :first] = np.nan
    if first < columns:
        # The recursion runs over time, vectorised over every series; time-major copies keep
        # each step's reads and writes contiguous, and each step is a few calls into numpy.
        z = observed[:, first:] - mean[:, first:]
        z /= sigma[:, first:]
        z = np.ascontiguousarray(z.T)
        z -= params.cusum_k
        # An alarm needs the sum over h and enough events in the period: where they are too
        # few, the limit is out of reach.
        limit = np.where(observed[:, first:] >= params.min_observed, params.cusum_h, np.inf).T
        limit = np.ascontiguousarray(limit)
        level = np.empty_like(z)
        fired = np.empty(z.shape, dtype=bool)
        running = np.zeros(rows)
        for t in range(columns - first):
            np.add(running, z[t], out=level[t])
            np.maximum(level[t], 0.0, out=level[t])
            np.greater(level[t], limit[t], out=fired[t])
            np.copyto(running, level[t])
            np.copyto(running, 0.0, where=fired[t])  # start afresh after an alarm
        statistic[:, first:] = level.T
        alarm[:, first:] = fired.T
        # The run of each alarm: the periods since its sum last stood at 0 (or fired).
        seen, usual = _runs(fired, level, observed[:, first:], mean[:, first:], params)
        cells = np.nonzero(fired.T)
        alarm[cells[0], cells[1] + first] &= ~_usual_at(
            seen, usual, params, None if counts_rows is None else counts_rows[cells[0]]
        )
    # The count today that would have crossed h, given the sum carried in from yesterday.
    threshold = np.zeros_like(statistic)  # what is carried in, first
    if first + 1 < columns:  # before `first` the statistic is NaN: nothing carried
        threshold[:, first + 1 :] = statistic[:, first:-1]
    np.subtract(params.cusum_h + params.cusum_k, threshold, out=threshold)
    threshold *= sigma
    threshold += mean
    return Detection(
        method="cusum",
        window=params.cusum_baseline,
        expected=mean,
        observed=observed,
        threshold=threshold,
        statistic=statistic,
        alarm=alarm,
    )


def _runs(
    fired: Flags, level: Counts, observed: Counts, mean: Counts, params: Parameters
) -> tuple[Counts, Counts]:
    """For each alarm of CUSUM (`fired` and the sums `level` are time-major; alarms in the
    order of `np.nonzero(fired.T)`): the counts and the expected counts (each period's, no
    lower than the floor) summed over its run, in time order, as the recursion added them."""
    row, column = np.nonzero(fired.T)
    # Walk back from each alarm to the period after the last restart (a sum at 0 or an
    # alarm); runs are short, so this touches few cells.
    begin = column.copy()
    active = np.nonzero(begin > 0)[0]
    while len(active):
        before = begin[active] - 1
        restart = fired[before, row[active]] | (level[before, row[active]] == 0.0)
        begin[active[~restart]] -= 1
        active = active[~restart & (before > 0)]
    seen = np.zeros(len(row))
    usual = np.zeros(len(row))
    floor = params.min_sigma**2
    step = begin.copy()
    active = np.arange(len(row))
    while len(active):
        r, c = row[active], step[active]
        seen[active] += observed[r, c]
        usual[active] += np.maximum(mean[r, c], floor)
        step[active] += 1
        active = active[step[active] <= column[active]]
    return seen, usual


def ewma(
    counts: npt.ArrayLike,
    params: Parameters = Parameters(),
    counts_rows: Flags | None = None,
    *,
    sums: RunningSums | None = None,
) -> Detection:
    observed = _as_matrix(counts)
    lam = params.ewma_lambda
    if not 0 < lam <= 1:
        raise ValueError("The EWMA weight lies in (0, 1].")
    mean, sd = moving_baseline(observed, params.ewma_baseline, 1 + params.guard, sums)
    sigma = np.maximum(sd, params.min_sigma)
    rows, columns = observed.shape
    smoothed = np.full((rows, columns), np.nan)
    first = _ready_from(mean)
    if first < columns:
        # level_t = lam * x_t + (1 - lam) * level_t-1, starting from the baseline mean: a
        # first-order linear filter, run over every series at once.
        initial = ((1 - lam) * mean[:, first])[:, np.newaxis]
        smoothed[:, first:], _state = lfilter(
            [lam], [1.0, -(1.0 - lam)], observed[:, first:], axis=1, zi=initial
        )
    limit = mean + params.ewma_l * sigma * np.sqrt(lam / (2 - lam))
    with np.errstate(invalid="ignore"):
        crossed = smoothed > limit
    alarm = crossed & (observed >= params.min_observed) & ~np.isnan(mean)
    alarm &= ~_usual_counts(alarm, observed, mean, params, counts_rows)
    return Detection(
        method="ewma",
        window=params.ewma_baseline,
        expected=mean,
        observed=observed,
        threshold=limit,
        statistic=smoothed,
        alarm=alarm,
    )


METHODS = ("ears_c1", "ears_c2", "ears_c3", "cusum", "ewma")


def detect(
    counts: npt.ArrayLike,
    method: str,
    params: Parameters = Parameters(),
    counts_rows: Flags | None = None,
    *,
    sums: RunningSums | None = None,
) -> Detection:
    """Run one named method (`METHODS`) over every series at once. `counts_rows`: the rows
    that are counts of events, checked against a Poisson law (all rows when None); the others
    (sums of indicator values) are judged by the method alone. `sums`: the matrix's running
    sums, when several methods look at the same matrix (`detect_all`)."""
    if method.startswith("ears_"):
        return ears(counts, method.removeprefix("ears_").upper(), params, counts_rows, sums=sums)
    if method == "cusum":
        return cusum(counts, params, counts_rows, sums=sums)
    if method == "ewma":
        return ewma(counts, params, counts_rows, sums=sums)
    raise ValueError(f"Unknown method {method!r}; choose one of {', '.join(METHODS)}.")


def detect_all(
    counts: npt.ArrayLike,
    methods: Sequence[str],
    params: Parameters = Parameters(),
    counts_rows: Flags | None = None,
) -> Iterator[Detection]:
    """`detect` for each of `methods` in turn over the same matrix, which is checked and
    summed once."""
    observed = _as_matrix(counts)
    sums = RunningSums.of(observed)
    for method in methods:
        yield detect(observed, method, params, counts_rows, sums=sums)


# -- alarm cells, compiled ---------------------------------------------------------------------

Indices = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Cells:
    """The alarm cells of one method over a matrix, row by row and then period by period (the
    order of `np.nonzero`), with their figures: what a scan stores, without the full matrices
    of `Detection` around them."""

    method: str
    window: int
    rows: Indices
    columns: Indices
    expected: Counts
    observed: Counts
    threshold: Counts
    statistic: Counts


# Methods `alarm_cells` runs as compiled loops; the others it takes from `detect`.
COMPILED = ("ears_c1", "ears_c2", "cusum")


def alarm_cells(
    counts: npt.ArrayLike,
    methods: Sequence[str],
    params: Parameters = Parameters(),
    counts_rows: Flags | None = None,
    *,
    start: int = 0,
) -> Iterator[Cells]:
    """The alarm cells of each of `methods` from column `start` on, with their figures: the
    same cells and the same figures, bit for bit, as `detect` gives.

    EARS C1, C2 and CUSUM run as one compiled loop over each series (numba): one pass over the
    counts, the baseline and the statistic of a cell made and dropped at once, where `detect`
    makes a dozen matrices the size of the counts. The loops do the arithmetic of `detect`
    in the same order, so the figures are the same to the last bit; the Poisson check runs
    afterwards on the cells that crossed, as in `detect`.
    """
    observed = _as_matrix(counts)
    sums: RunningSums | None = None
    for method in methods:
        if method in COMPILED:
            yield _compiled_cells(observed, method, params, counts_rows, start)
            continue
        sums = sums or RunningSums.of(observed)
        result = detect(observed, method, params, counts_rows, sums=sums)
        rows, columns = np.nonzero(result.alarm[:, start:])
        columns += start
        yield Cells(
            method=result.method,
            window=result.window,
            rows=rows,
            columns=columns,
            expected=result.expected[rows, columns],
            observed=result.observed[rows, columns],
            threshold=result.threshold[rows, columns],
            statistic=result.statistic[rows, columns],
        )


def _compiled_cells(
    observed: Counts, method: str, params: Parameters, counts_rows: Flags | None, start: int
) -> Cells:
    # Imported here: numba loads in a process that scans, not in every web worker.
    from i4p.warning import kernels

    matrix = np.ascontiguousarray(observed)
    if method == "cusum":
        window, lag = params.cusum_baseline, 1 + params.guard
    else:
        window, lag = params.baseline, 1 if method == "ears_c1" else 1 + params.guard
    if window < 2:
        raise ValueError("A baseline needs at least two periods.")
    if method == "cusum":
        rows, columns, figures = kernels.cusum_cells(
            matrix,
            window,
            lag,
            float(params.cusum_k),
            float(params.cusum_h),
            float(params.min_sigma),
            float(params.min_observed),
            start,
        )
    else:
        rows, columns, figures = kernels.ears_cells(
            matrix,
            window,
            lag,
            float(params.z),
            float(params.min_sigma),
            float(params.min_observed),
            start,
        )
    # The Poisson check on the cells that crossed: columns 4 and 5 hold the count and the
    # expected count it is judged on (CUSUM: summed over the alarm's run).
    usual = _usual_at(
        figures[:, 4], figures[:, 5], params, None if counts_rows is None else counts_rows[rows]
    )
    kept = ~usual
    return Cells(
        method=method,
        window=window,
        rows=rows[kept],
        columns=columns[kept],
        expected=figures[kept, 0],
        observed=figures[kept, 1],
        threshold=figures[kept, 2],
        statistic=figures[kept, 3],
    )
