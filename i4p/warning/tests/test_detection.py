"""Aberration detection: a burst alarms, a steady series does not, all places at once."""

from __future__ import annotations

import numpy as np
import pytest

from i4p.warning.detection import (
    METHODS,
    Parameters,
    alarm_cells,
    detect,
    detect_all,
    ears,
    moving_baseline,
)

rng = np.random.default_rng(7)


def steady_with_burst(days: int = 120, burst_day: int = 100, burst: int = 12) -> np.ndarray:
    series = rng.poisson(1.0, days).astype(float)
    series[burst_day] += burst
    return series


@pytest.mark.parametrize("method", METHODS)
def test_a_burst_in_a_steady_district_raises_an_alarm_on_that_day(method: str) -> None:
    series = steady_with_burst()
    found = detect(series, method)
    assert found.alarm[0, 100]
    assert found.observed[0, 100] > found.threshold[0, 100] or method == "ewma"
    # Nothing fires before the baseline is full.
    assert not found.alarm[0, :7].any()


# EARS is known to alarm often on noise (a 7-day baseline; Fricker et al. 2008): C3 most of
# all. CUSUM and EWMA, with four weeks of baseline, are quieter.
FALSE_ALARM_LIMITS = {
    "ears_c1": 0.05,
    "ears_c2": 0.05,
    "ears_c3": 0.10,
    "cusum": 0.02,
    "ewma": 0.02,
}


@pytest.mark.parametrize("method", METHODS)
def test_a_steady_series_alarms_no_more_than_the_method_is_known_to(method: str) -> None:
    series = np.vstack([rng.poisson(3.0, 365) for _ in range(50)])
    found = detect(series, method)
    assert found.alarm.mean() < FALSE_ALARM_LIMITS[method]


@pytest.mark.parametrize("method", METHODS)
def test_every_series_is_judged_on_its_own_history(method: str) -> None:
    quiet = steady_with_burst()
    busy = rng.poisson(20.0, 120).astype(float)
    together = detect(np.vstack([quiet, busy]), method)
    alone = detect(quiet, method)
    assert np.array_equal(together.alarm[0], alone.alarm[0])
    np.testing.assert_allclose(together.threshold[0], alone.threshold[0], equal_nan=True)


def test_methods_run_together_find_what_each_finds_alone() -> None:
    series = np.vstack([steady_with_burst(), rng.poisson(0.3, 120).astype(float)])
    counted = np.array([True, False])
    together = list(detect_all(series, METHODS, counts_rows=counted))
    for method, found in zip(METHODS, together, strict=True):
        alone = detect(series, method, counts_rows=counted)
        assert found.method == alone.method
        assert np.array_equal(found.alarm, alone.alarm)
        np.testing.assert_array_equal(found.threshold, alone.threshold)
        np.testing.assert_array_equal(found.statistic, alone.statistic)
    assert together[METHODS.index("cusum")].alarm[0, 100]


def test_the_moving_baseline_is_the_mean_and_sd_of_the_days_before() -> None:
    series = np.arange(20, dtype=float)[np.newaxis, :]
    mean, sd = moving_baseline(series, 7, 1)
    assert np.isnan(mean[0, 6]) and mean[0, 7] == pytest.approx(np.mean(np.arange(7)))
    assert sd[0, 7] == pytest.approx(np.std(np.arange(7), ddof=1))
    mean_guarded, _ = moving_baseline(series, 7, 3)  # C2: two days of guard band
    assert mean_guarded[0, 9] == pytest.approx(np.mean(np.arange(7)))


def test_one_event_in_a_quiet_place_is_not_an_alarm_by_itself() -> None:
    quiet = np.zeros(60)
    quiet[50] = 1
    assert not ears(quiet).alarm.any()
    quiet[55] = 4
    assert ears(quiet).alarm[0, 55]


def test_c3_adds_up_three_days_of_rising_counts() -> None:
    series = np.full(40, 2.0) + np.tile([0.0, 1.0], 20)
    series[30:33] = [4, 5, 6]
    found = ears(series, "C3", Parameters(poisson_alpha=0))  # C3 as CDC defines it
    assert found.alarm[0, 32]
    assert found.statistic[0, 32] > 2
    # 15 events in three days where 7.6 were expected: likely enough (p = 0.011) for a
    # Poisson law that the default check holds it back; 18 is not (p < 0.001).
    assert not ears(series, "C3").alarm[0, 32]
    series[32] = 9
    assert ears(series, "C3").alarm[0, 32]


@pytest.mark.parametrize("method", METHODS)
def test_sparse_counts_alarm_about_as_rarely_as_the_poisson_check_allows(method: str) -> None:
    # A district and one event type: 0.2 events on a usual day, as at full national scale.
    noise = np.vstack([rng.poisson(0.2, 365) for _ in range(400)])
    unchecked = detect(noise, method, Parameters(poisson_alpha=0)).alarm.mean()
    checked = detect(noise, method).alarm.mean()
    assert checked < 0.001  # alarms need P(count) < 0.001, and at least two events
    assert checked < unchecked / 2
    # Sums of indicator values are not counts of events: the check leaves those rows alone.
    values = detect(noise, method, counts_rows=np.zeros(len(noise), dtype=bool)).alarm.mean()
    assert values == unchecked


@pytest.mark.parametrize("method", METHODS)
def test_a_burst_in_a_sparse_series_still_alarms(method: str) -> None:
    sparse = rng.poisson(0.2, 120).astype(float)
    sparse[100] += 6
    assert detect(sparse, method).alarm[0, 100]


def test_parameters_come_from_a_framework_and_unknown_ones_are_refused() -> None:
    assert Parameters.from_mapping({"baseline": 14}).baseline == 14
    with pytest.raises(ValueError, match="Unknown"):
        Parameters.from_mapping({"baselin": 14})


def test_negative_or_missing_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        detect([1, -1, 2], "ears_c1")
    with pytest.raises(ValueError):
        detect([1, float("nan"), 2], "cusum")
    with pytest.raises(ValueError):
        detect([1, 2], "farrington")


def _cells_of_detect(
    counts: np.ndarray, method: str, params: Parameters, rows: np.ndarray | None, start: int
) -> list[tuple[float, ...]]:
    found = detect(counts, method, params, rows)
    r, c = np.nonzero(found.alarm[:, start:])
    c += start
    figures = (found.expected, found.observed, found.threshold, found.statistic)
    return list(zip(r.tolist(), c.tolist(), *(f[r, c].tolist() for f in figures), strict=True))


PARAMETER_SETS = [
    Parameters(),
    Parameters(baseline=8, cusum_baseline=12, ewma_baseline=12),
    Parameters(baseline=6, cusum_baseline=12, ewma_baseline=12, guard=1),
    Parameters(min_sigma=0.2, min_observed=1.0, cusum_k=0.2, cusum_h=2.0, z=2.0),
    Parameters(poisson_alpha=0.0),
]


@pytest.mark.parametrize("params", PARAMETER_SETS)
@pytest.mark.parametrize("start", [0, 40, 500])
def test_the_alarm_cells_of_a_scan_are_those_of_detect_to_the_last_bit(
    params: Parameters, start: int
) -> None:
    # Sparse and busy series, bursts, runs of zeros, a few series of sums (not counts):
    # every cell the compiled loops keep or drop must be the one `detect` keeps or drops,
    # with figures equal bit for bit (no tolerance), so stored signals never change.
    generator = np.random.default_rng(11)
    counts = generator.poisson(generator.choice([0.05, 0.4, 2.0, 9.0], size=(300, 1)), (300, 400))
    counts = counts.astype(float)
    counts[generator.integers(0, 300, 60), generator.integers(0, 400, 60)] += 12
    counts[:20] = generator.gamma(2.0, 3.0, (20, 400)).round(2)
    rows = np.ones(300, dtype=bool)
    rows[:20] = False
    for method, cells in zip(
        METHODS, alarm_cells(counts, METHODS, params, rows, start=start), strict=True
    ):
        assert cells.method == method
        got = list(
            zip(
                cells.rows.tolist(),
                cells.columns.tolist(),
                cells.expected.tolist(),
                cells.observed.tolist(),
                cells.threshold.tolist(),
                cells.statistic.tolist(),
                strict=True,
            )
        )
        expected = _cells_of_detect(counts, method, params, rows, min(start, 400))
        assert got == expected
        assert expected or start > 400  # past the end: nothing, and no error
