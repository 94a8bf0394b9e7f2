"""The dates and instants the engine accepts, at their edges."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from chalicelib.domain.bounds import Birthday, Day, Instant


class Holder(BaseModel):
    at: Instant | None = None
    on: Day | None = None
    born: Birthday | None = None


def accepted(**value) -> bool:
    try:
        Holder(**value)
    except ValidationError:
        return False
    return True


def test_instants__from_2000_to_before_2100_utc():
    assert accepted(at=datetime(2000, 1, 1, tzinfo=UTC))
    assert not accepted(at=datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert accepted(at=datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert not accepted(at=datetime(2100, 1, 1, tzinfo=UTC))
    # the bound is on the instant: 2000-01-01 08:00 in Shanghai is still 1999 in UTC
    shanghai = timezone(timedelta(hours=8))
    assert not accepted(at=datetime(2000, 1, 1, 7, 59, tzinfo=shanghai))
    assert accepted(at=datetime(2000, 1, 1, 8, tzinfo=shanghai))
    # 14:00 on 31 December 2099 in Honolulu is already 2100 in UTC
    honolulu = timezone(timedelta(hours=-10))
    assert not accepted(at=datetime(2099, 12, 31, 14, tzinfo=honolulu))
    assert accepted(at=datetime(2099, 12, 31, 13, 59, tzinfo=honolulu))


def test_instants__with_no_utc_form_are_refused_not_crashed_on():
    with pytest.raises(ValidationError, match="2000-01-01"):
        Holder.model_validate_json('{"at": "0001-01-01T00:00:00+14:00"}')
    with pytest.raises(ValidationError, match="2100-01-01"):
        Holder.model_validate_json('{"at": "9999-12-31T23:59:59-14:00"}')


def test_days__from_2000_to_before_2100():
    assert accepted(on=date(2000, 1, 1)) and accepted(on=date(2099, 12, 31))
    assert not accepted(on=date(1999, 12, 31)) and not accepted(on=date(2100, 1, 1))


def test_birthdays__from_1900():
    assert accepted(born=date(1900, 1, 1)) and accepted(born=date(2099, 12, 31))
    assert not accepted(born=date(1899, 12, 31)) and not accepted(born=date(2100, 1, 1))
    with pytest.raises(ValidationError, match="1900-01-01"):
        Holder(born=date(1800, 1, 1))
