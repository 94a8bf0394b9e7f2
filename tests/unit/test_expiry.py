"""When lots expire, in the brand's time zone."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.expiry import expires_at, last_valid_day
from chalicelib.domain.program import CalendarExpiry, NeverExpire, RollingExpiry

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_rolling__counts_from_the_local_earning_day():
    # 2026-01-31T17:00Z is already 1 February in Shanghai
    earned = datetime(2026, 1, 31, 17, tzinfo=UTC)
    assert last_valid_day(earned, RollingExpiry(months=12), SHANGHAI) == date(2027, 2, 1)
    assert last_valid_day(earned, RollingExpiry(months=12), ZoneInfo("UTC")) == date(2027, 1, 31)


def test_rolling__month_end_is_clamped():
    earned = datetime(2026, 8, 31, 4, tzinfo=UTC)
    assert last_valid_day(earned, RollingExpiry(months=6), SHANGHAI) == date(2027, 2, 28)


def test_calendar__yearly_clearing_with_grace():
    earned = datetime(2026, 3, 1, tzinfo=UTC)
    assert last_valid_day(earned, CalendarExpiry(period="year", grace_periods=1), SHANGHAI) == date(
        2027, 12, 31
    )
    assert last_valid_day(earned, CalendarExpiry(period="year", grace_periods=0), SHANGHAI) == date(
        2026, 12, 31
    )


def test_calendar__quarterly_clearing_crosses_the_year():
    earned = datetime(2026, 11, 5, tzinfo=UTC)
    assert last_valid_day(
        earned, CalendarExpiry(period="quarter", grace_periods=1), SHANGHAI
    ) == date(2027, 3, 31)
    assert last_valid_day(
        earned, CalendarExpiry(period="quarter", grace_periods=0), SHANGHAI
    ) == date(2026, 12, 31)


def test_expires_at__is_local_midnight_after_the_last_day():
    instant = expires_at(date(2027, 2, 1), SHANGHAI)
    assert instant == datetime(2027, 2, 1, 16, tzinfo=UTC)
    assert expires_at(last_valid_day(datetime.now(UTC), NeverExpire(), SHANGHAI), SHANGHAI) is None


def test_lot_terms__spendable_after_the_window_until_the_local_day_ends():
    from chalicelib.domain.expiry import lot_terms
    from chalicelib.domain.program import Program

    program = Program(
        name="B",
        currency="CNY",
        time_zone="Asia/Shanghai",
        return_window_days=7,
        expiry=RollingExpiry(months=12),
    )
    earned = datetime(2026, 3, 1, 4, tzinfo=UTC)  # noon in Shanghai
    terms = lot_terms(earned, program, now=earned)
    assert terms.last_day == date(2027, 3, 1)
    assert terms.expires_at == datetime(2027, 3, 1, 16, tzinfo=UTC)  # local midnight after
    assert terms.vests_at == earned + timedelta(days=7)
    at_once = lot_terms(earned, program.model_copy(update={"return_window_days": 0}), earned)
    assert at_once.vests_at is None


def test_lot_terms__refuse_points_dead_on_arrival():
    import pytest

    from chalicelib.domain.errors import ValidationFailed
    from chalicelib.domain.expiry import lot_terms
    from chalicelib.domain.program import Program

    program = Program(name="B", currency="CNY", expiry=RollingExpiry(months=1))
    earned = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as refused:
        lot_terms(earned, program, now=datetime(2026, 2, 2, tzinfo=UTC))
    assert refused.value.param == "occurred_at"
    assert lot_terms(earned, program, now=datetime(2026, 2, 1, 23, tzinfo=UTC)).last_day == date(
        2026, 2, 1
    )
