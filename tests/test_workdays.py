"""Business days on the Japanese calendar: weekends, national holidays, the year-end closure."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jitsuin.workdays import (
    JAPAN,
    BusinessCalendar,
    add_business_days,
    business_days_between,
    is_business_day,
    is_overdue,
)


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JAPAN)


def test_golden_week_2026_is_skipped():
    # Tue 28 Apr; 29 Apr Showa Day; 3-5 May holidays; 6 May substitute holiday.
    assert add_business_days(date(2026, 4, 28), 1) == date(2026, 4, 30)
    assert add_business_days(date(2026, 4, 28), 2) == date(2026, 5, 1)
    assert add_business_days(date(2026, 4, 28), 3) == date(2026, 5, 7)
    assert [d for d in range(2, 7) if is_business_day(date(2026, 5, d))] == []


def test_a_request_stuck_over_golden_week_is_not_overdue_until_the_third_business_day():
    made = jst(2026, 4, 30, 15, 0)  # Thursday afternoon before the long weekend
    assert not is_overdue(made, jst(2026, 5, 6, 23, 59), 3)
    assert not is_overdue(made, jst(2026, 5, 8, 14, 59), 3)
    assert is_overdue(made, jst(2026, 5, 8, 15, 0), 3)
    assert business_days_between(made, jst(2026, 5, 8, 9, 0)) == 3


def test_new_year_closure_29_december_to_3_january():
    made = jst(2025, 12, 26, 10, 0)  # Friday, last business day of 2025
    assert add_business_days(made, 1) == jst(2026, 1, 5, 10, 0)
    assert add_business_days(made, 3) == jst(2026, 1, 7, 10, 0)
    assert business_days_between(date(2025, 12, 26), date(2026, 1, 7)) == 3


def test_national_holidays_only_when_the_year_end_closure_is_off():
    calendar = BusinessCalendar(year_end_closure=False)
    assert calendar.is_business_day(date(2025, 12, 29))
    assert not calendar.is_business_day(date(2026, 1, 1))  # 元日
    assert add_business_days(date(2025, 12, 31), 1, calendar=calendar) == date(2026, 1, 2)


def test_holidays_come_from_the_library_including_substitute_days():
    calendar = BusinessCalendar()
    assert calendar.holiday_name(date(2026, 5, 6))  # 振替休日
    assert calendar.holiday_name(date(2026, 9, 22))  # 国民の休日 between two holidays
    assert not is_business_day(
        date(2027, 3, 22)
    )  # Vernal Equinox Day observed on Monday 2027-03-22
    assert is_business_day(date(2026, 5, 7))


def test_aware_times_are_read_in_japan_time():
    # 2026-05-06 20:00 UTC is already Thursday 7 May 05:00 in Japan: a business day.
    assert is_business_day(datetime(2026, 5, 6, 20, 0, tzinfo=UTC))
    assert not is_business_day(datetime(2026, 5, 6, 10, 0, tzinfo=UTC))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        is_business_day(datetime(2026, 5, 7, 10, 0))
    with pytest.raises(ValueError, match="naive"):
        add_business_days(datetime(2026, 5, 7, 10, 0), 1)


@given(
    start=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(JAPAN)
    ),
    days=st.integers(min_value=0, max_value=40),
)
def test_adding_then_counting_gives_back_the_same_number(start, days):
    later = add_business_days(start, days)
    assert business_days_between(start, later) == days
    assert later.time() == start.time()
    assert days == 0 or is_business_day(later)
