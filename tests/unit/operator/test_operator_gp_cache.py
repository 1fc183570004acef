"""The shared GP cache's rules: one download per NORAD id per interval, back off on errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from satfeed_operator.celestrak import after_failure, after_success, gp_url, normalise_tle

NOW = datetime(2026, 8, 22, 12, 0, tzinfo=UTC)
TWO_HOURS = timedelta(hours=2)


def test_a_success_waits_a_whole_interval() -> None:
    record = after_success("tle", NOW, TWO_HOURS)
    assert (record.text, record.fetched_at, record.next_fetch_at) == ("tle", NOW, NOW + TWO_HOURS)
    assert record.failures == 0


def test_failures_back_off_doubling_up_to_a_day_and_keep_the_old_elements() -> None:
    record = after_success("old", NOW, TWO_HOURS)
    delays = []
    for attempt in range(6):
        now = NOW + timedelta(days=attempt)
        record = after_failure(record, "403 Forbidden", now, TWO_HOURS)
        delays.append(record.next_fetch_at - now)
    assert delays == [timedelta(hours=h) for h in (2, 4, 8, 16, 24, 24)]
    assert (record.text, record.fetched_at, record.error) == ("old", NOW, "403 Forbidden")
    assert after_success("new", NOW, TWO_HOURS).failures == 0


def test_the_first_attempt_can_fail_too() -> None:
    record = after_failure(None, "timeout", NOW, TWO_HOURS)
    assert (record.text, record.next_fetch_at, record.failures) == (None, NOW + TWO_HOURS, 1)


def test_answers_compare_equal_whatever_the_line_endings_and_padding() -> None:
    crlf = "TERRA                   \r\n1 25994U ...\r\n2 25994 ...\r\n"
    assert normalise_tle(crlf) == "TERRA\n1 25994U ...\n2 25994 ...\n"
    assert normalise_tle(normalise_tle(crlf)) == normalise_tle(crlf)


def test_the_query_is_celestraks() -> None:
    assert gp_url("https://celestrak.org", 25994) == (
        "https://celestrak.org/NORAD/elements/gp.php?CATNR=25994&FORMAT=TLE"
    )
