"""Business days on the Japanese calendar (営業日): the clock of the helpdesk's promises.

Django-free. National holidays (and their substitute days) come from the maintained
``holidays`` package; weekends are closed; so is the year-end closure of 29 December to
3 January that the Act on Holidays of Administrative Organs (行政機関の休日に関する法律)
gives public bodies and that universities follow. Aware datetimes are read in Japan time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from functools import cached_property, lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

import holidays

JAPAN = ZoneInfo("Asia/Tokyo")
T = TypeVar("T", date, datetime)


def _year_end_closure(day: date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days are business days. ``year_end_closure=False`` keeps only national holidays."""

    year_end_closure: bool = True
    timezone: tzinfo = JAPAN
    extra_closed: frozenset[date] = field(default_factory=frozenset)

    @cached_property
    def _national(self) -> holidays.HolidayBase:
        return holidays.country_holidays("JP")

    def holiday_name(self, day: date) -> str | None:
        """The national holiday on ``day`` (in the package's default language), if any."""
        name = self._national.get(day)
        return str(name) if name else None

    def is_business_day(self, day: date) -> bool:
        if day.weekday() >= 5 or day in self._national or day in self.extra_closed:
            return False
        return not (self.year_end_closure and _year_end_closure(day))

    def local_date(self, value: date | datetime) -> date:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime: business days need an aware time")
            return value.astimezone(self.timezone).date()
        return value


DEFAULT_CALENDAR = BusinessCalendar()


def is_business_day(day: date | datetime, *, calendar: BusinessCalendar = DEFAULT_CALENDAR) -> bool:
    return calendar.is_business_day(calendar.local_date(day))


def add_business_days(start: T, days: int, *, calendar: BusinessCalendar = DEFAULT_CALENDAR) -> T:
    """``start`` moved forward by ``days`` business days, keeping the time of day.

    Counting starts on the day after ``start``: a request made on Friday afternoon plus one
    business day is Monday afternoon (or Tuesday, when Monday is a holiday).
    ``business_days_between(start, add_business_days(start, n)) == n`` always holds.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = calendar.local_date(start)  # refuses a naive datetime
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if calendar.is_business_day(day):
            remaining -= 1
    if isinstance(start, datetime):
        local_time = start.astimezone(calendar.timezone).timetz()
        return datetime.combine(day, local_time).astimezone(start.tzinfo)  # type: ignore[return-value]
    return day  # type: ignore[return-value]


def business_days_between(
    start: date | datetime, end: date | datetime, *, calendar: BusinessCalendar = DEFAULT_CALENDAR
) -> int:
    """How many business days begin after ``start``'s day and on or before ``end``'s day.

    Zero when ``end`` is not after ``start``. Compare with ``add_business_days`` for
    "older than N business days" checks that respect the time of day.
    """
    return _count_between(calendar.local_date(start), calendar.local_date(end), calendar)


# Pages count the age of many rows against the same day (the stuck queue: each row's day to
# today): a pair of days gives the same count until the calendar changes, which it cannot.
@lru_cache(maxsize=4096)
def _count_between(first: date, last: date, calendar: BusinessCalendar) -> int:
    count = 0
    day = first + timedelta(days=1)
    while day <= last:
        if calendar.is_business_day(day):
            count += 1
        day += timedelta(days=1)
    return count


def is_overdue(
    since: datetime, now: datetime, days: int, *, calendar: BusinessCalendar = DEFAULT_CALENDAR
) -> bool:
    """True once ``days`` business days have passed since ``since`` (to the time of day)."""
    return now >= add_business_days(since, days, calendar=calendar)
