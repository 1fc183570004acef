"""Usable elements: they propagate, to plausible places, and their age is told; one rule."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from satfeed_core.contract import DEFAULT_ELEMENTS_STALE_AFTER, format_seconds
from satfeed_core.elements import (
    EARTH_RADIUS_KM,
    Elements,
    ElementsError,
    select_elements,
    tle_elements,
)
from satfeed_core.propagation import PropagationError, Sgp4Propagator, propagator_for
from satfeed_core.usability import (
    OUTSIDE_ENVELOPE,
    State,
    assess,
    failure_code,
    plausible_position,
    radius_bounds_km,
    sgp4_model,
)

from tests.unit.core.tle_samples import ISS_LINE1, ISS_LINE2, ISS_NAME, edited


def iss_with_bstar(field: str) -> Elements:
    """The ISS with B* (columns 54-61) replaced, e.g. ' 99999+9': a drag term SGP4 overflows on."""
    return tle_elements(edited(ISS_LINE1, 54, field), ISS_LINE2, ISS_NAME)


@pytest.fixture(scope="module")
def iss() -> Elements:
    return tle_elements(ISS_LINE1, ISS_LINE2, ISS_NAME)


def test_fresh_elements_are_usable(iss: Elements) -> None:
    verdict = assess(iss, iss.epoch + timedelta(hours=6))
    assert verdict.state is State.USABLE
    assert verdict.usable
    assert verdict.reason == "Usable"


def test_old_but_flying_elements_are_stale_with_their_age(iss: Elements) -> None:
    verdict = assess(iss, iss.epoch + timedelta(days=20))
    assert verdict.state is State.STALE
    assert verdict.usable  # stale elements still fly: a warning, not a stop
    assert verdict.reason == "ElementsStale"
    assert "20.0 days old" in verdict.message
    assert "older than 14 days" in verdict.message
    assert "fresh element set" in verdict.message


def test_the_stale_threshold_is_a_setting(iss: Elements) -> None:
    assert assess(iss, iss.epoch + timedelta(days=3), timedelta(days=2)).state is State.STALE
    assert assess(iss, iss.epoch + timedelta(days=3)).state is State.USABLE
    assert timedelta(days=14) == DEFAULT_ELEMENTS_STALE_AFTER


@pytest.mark.parametrize("bstar", [" 99999+9", "-99999+3", " 99999+3"])
def test_divergent_drag_terms_are_unusable_with_a_message_about_the_elements(bstar: str) -> None:
    elements = iss_with_bstar(bstar)
    verdict = assess(elements, elements.epoch + timedelta(hours=1))
    assert verdict.state is State.UNUSABLE
    assert not verdict.usable
    assert verdict.reason in {"ElementsDecayed", "ElementsUnusable"}
    assert verdict.code != 0
    assert ISS_NAME in verdict.message
    assert "fresh element set" in verdict.message


@pytest.mark.parametrize("engine", ["auto", "sgp4"])
def test_divergent_elements_give_no_position_and_do_not_raise(engine: str) -> None:
    """pyorbital returned NaN with error code 0 for these; now every path reports a failure."""
    elements = iss_with_bstar(" 99999+9")
    times = [elements.epoch + timedelta(hours=hours) for hours in (1, 24, 240)]
    with np.errstate(all="raise"):  # no numpy overflow warnings reach the caller
        positions = propagator_for(elements, engine).positions_at(times)  # type: ignore[arg-type]
    assert (positions.error_code != 0).all()
    assert np.isnan(positions.alt_km).all()
    with pytest.raises(PropagationError, match="ISS"):
        positions.position(0, 2)


def test_a_problem_within_the_next_orbit_is_found_now(iss: Elements) -> None:
    """Elements that fly now but fail within the orbit are refused before a producer starts."""
    elements = iss_with_bstar(" 99999+1")  # re-enters within hours of its epoch
    satrec = sgp4_model(elements)
    now = elements.epoch
    assert failure_code(elements, satrec, now) == 0
    assert assess(elements, now).state is State.UNUSABLE


def test_the_envelope_holds_the_real_orbit(iss: Elements) -> None:
    low, high = radius_bounds_km(iss)
    assert EARTH_RADIUS_KM <= low < iss.perigee_altitude_km + EARTH_RADIUS_KM
    assert high > iss.apogee_altitude_km + EARTH_RADIUS_KM
    positions = Sgp4Propagator(iss).positions_at(
        [iss.epoch + timedelta(minutes=minutes) for minutes in range(0, 24 * 60, 7)]
    )
    assert (positions.error_code == 0).all()


def test_the_whole_catalogue_long_past_its_epoch_yields_nothing_implausible(
    catalogue: list[Elements],
) -> None:
    """100 days on, SGP4 still answers for some decayed objects, with absurd distances."""
    when = max(each.epoch for each in catalogue) + timedelta(days=100)
    positions = Sgp4Propagator(catalogue).positions_at([when])
    ok = positions.error_code[:, 0] == 0
    implausible = positions.error_code[:, 0] == OUTSIDE_ENVELOPE
    assert implausible.sum() > 0  # the bundled catalogue has such objects: the check bites
    assert ok.sum() > 0.9 * len(catalogue)
    for row in np.flatnonzero(ok):
        low, high = radius_bounds_km(catalogue[row])
        # Geodetic height and distance from the centre differ by the ellipsoid, 22 km at most.
        assert low - EARTH_RADIUS_KM - 22 <= positions.alt_km[row, 0] <= high - EARTH_RADIUS_KM
        assert math.isfinite(positions.speed_km_s[row, 0])
    # The operator's scalar check and the producer's array check are one rule.
    for index in range(0, len(catalogue), 97):
        elements = catalogue[index]
        code = failure_code(elements, sgp4_model(elements), when)
        assert code == positions.error_code[index, 0]


def test_unusable_catalogue_objects_are_named_with_the_cause(catalogue: list[Elements]) -> None:
    when = max(each.epoch for each in catalogue) + timedelta(days=100)
    verdicts = [assess(each, when) for each in catalogue[::40]]
    reasons = {verdict.reason for verdict in verdicts}
    assert "ElementsStale" in reasons
    assert reasons <= {"ElementsStale", "ElementsDecayed", "ElementsUnusable"}


# --- one element-selection rule ---------------------------------------------------------------


def test_selection_takes_the_newest_epoch_of_the_norad_id(iss: Elements) -> None:
    older = iss
    newer = iss_epoch_moved(iss, days=1)
    other = iss_norad_moved(iss, norad_id=99999)
    assert select_elements([older, other, newer], 25544, "file x") is newer
    assert select_elements([newer, older], None, "file x") is newer


def test_selection_names_the_source_when_the_id_is_missing(iss: Elements) -> None:
    with pytest.raises(ElementsError, match=r"ConfigMap ns/cm holds no element set for NORAD 1 "):
        select_elements([iss], 1, "ConfigMap ns/cm")


def test_selection_needs_an_id_when_several_objects_are_given(iss: Elements) -> None:
    other = iss_norad_moved(iss, norad_id=99999)
    with pytest.raises(ElementsError, match=r"holds element sets of 2 objects \(25544, 99999\)"):
        select_elements([iss, other], None, "file x")


def iss_epoch_moved(elements: Elements, days: float) -> Elements:
    return replace(elements, epoch=elements.epoch + timedelta(days=days))


def iss_norad_moved(elements: Elements, norad_id: int) -> Elements:
    return replace(elements, norad_id=norad_id)


# --- the interval travels exactly -------------------------------------------------------------


@pytest.mark.parametrize("seconds", [0.1, 1.0, 1 / 3, 3600.0, 2.0000001, 1234.5678901])
def test_seconds_survive_their_text_form(seconds: float) -> None:
    assert float(format_seconds(seconds)) == seconds


# --- records read back: the frontend's check ----------------------------------------------------


def test_a_propagated_position_is_plausible_read_back_from_latitude_and_height(
    iss: Elements,
) -> None:
    positions = Sgp4Propagator(iss).positions_at(
        [iss.epoch + timedelta(minutes=minutes) for minutes in range(0, 95, 5)]
    )
    for lat, alt in zip(positions.lat_deg[0], positions.alt_km[0], strict=True):
        assert plausible_position(iss, float(lat), float(alt))
        assert plausible_position(None, float(lat), float(alt))


@pytest.mark.parametrize(
    ("lat", "alt", "known"),
    [
        (10.0, 293_000.0, True),  # the decayed catalogue object's "position"
        (10.0, 4000.0, True),  # far above the ISS's orbit
        (10.0, -5.0, False),  # under the ground
        (10.0, 500_000.0, False),  # beyond the Moon
        (math.nan, 400.0, False),
        (10.0, math.inf, False),
    ],
)
def test_implausible_positions_are_told(iss: Elements, lat: float, alt: float, known: bool) -> None:
    assert not plausible_position(iss if known else None, lat, alt)
