"""The booking dialog's repeat choices as RRULE text and in plain English, checked as the
service checks them (no Qt, no database)."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from medtrack_desktop.ui.calendar.repeat_rules import (
    Repeat,
    check_repeat,
    days_text,
    describe_rule,
    month_choices,
    ordinal,
)

ZONE = ZoneInfo("America/Chicago")
MONDAY = date(2027, 9, 13)


def test_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31, -1)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st",
        "last"]


def test_the_monthly_choices_follow_the_first_day() -> None:
    assert month_choices(MONDAY) == [("date", "the 13th"), ("position", "the 2nd Monday")]
    assert month_choices(date(2027, 9, 24)) == [  # the 4th and last Friday
        ("date", "the 24th"), ("position", "the 4th Friday"), ("last", "the last Friday")]
    assert month_choices(date(2027, 9, 29)) == [("date", "the 29th"),
                                                ("last", "the last Wednesday")]


@pytest.mark.parametrize(("repeat", "rule", "said"), [
    (Repeat("DAILY", count=5), "FREQ=DAILY;COUNT=5", "Every day, 5 times"),
    (Repeat("DAILY", interval=3, until=date(2027, 10, 1)),
     "FREQ=DAILY;INTERVAL=3;UNTIL=20271001T235959", "Every 3 days, until Fri 1 Oct 2027"),
    (Repeat("WEEKLY", weekdays=(2, 0), count=6), "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6",
     "Every week on Monday and Wednesday, 6 times"),
    (Repeat("WEEKLY", interval=2, weekdays=(0, 2, 4), count=1),
     "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;COUNT=1",
     "Every 2 weeks on Monday, Wednesday and Friday, once"),
    (Repeat("MONTHLY", count=3), "FREQ=MONTHLY;BYMONTHDAY=13;COUNT=3",
     "Every month on the 13th, 3 times"),
    (Repeat("MONTHLY", month_by="position", count=3), "FREQ=MONTHLY;BYDAY=2MO;COUNT=3",
     "Every month on the 2nd Monday, 3 times"),
    (Repeat("MONTHLY", interval=2, month_by="last", count=3),
     "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1MO;COUNT=3", "Every 2 months on the last Monday, 3 times"),
])
def test_a_repeat_as_a_rule_and_in_words(repeat: Repeat, rule: str, said: str) -> None:
    assert repeat.rule(MONDAY) == rule
    assert describe_rule(rule, first_day=MONDAY) == said


def test_rules_made_elsewhere_are_said_too() -> None:
    assert describe_rule("FREQ=WEEKLY;COUNT=4", first_day=MONDAY) == (
        "Every week on Monday, 4 times")
    assert describe_rule("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=5", first_day=MONDAY) == (
        "Every weekday (Monday to Friday), 5 times")
    assert describe_rule("FREQ=MONTHLY;COUNT=2", first_day=date(2027, 1, 31)) == (
        "Every month on the 31st (months without a 31st are left out), 2 times")
    assert describe_rule("FREQ=YEARLY;COUNT=2", first_day=MONDAY) == (
        "Repeats by the rule FREQ=YEARLY;COUNT=2")


def test_the_check_gives_the_days_or_the_problem_at_its_field() -> None:
    moments, problems = check_repeat(Repeat("WEEKLY", weekdays=(0, 2), count=6),
                                     first_day=MONDAY, start_time=time(9), zone=ZONE)
    assert problems == {}
    assert days_text(moments, ZONE) == (
        "Mon 13 Sep, Wed 15 Sep, Mon 20 Sep, Wed 22 Sep \u2026 Wed 29 Sep \u00b7 6 appointments")
    assert check_repeat(Repeat("WEEKLY", count=6), first_day=MONDAY, start_time=time(9),
                        zone=ZONE)[1] == {"weekdays": "On: choose at least one weekday."}
    assert check_repeat(Repeat("DAILY", until=MONDAY), first_day=MONDAY, start_time=time(9),
                        zone=ZONE)[1] == {
        "until": "Until: a day after the first appointment (Mon 13 Sep 2027)."}
    assert check_repeat(Repeat("DAILY", until=date(2028, 9, 1)), first_day=MONDAY,
                        start_time=time(9), zone=ZONE)[1] == {
        "until": "Repeat: at most 100 appointments."}
    assert check_repeat(Repeat("MONTHLY", interval=12, count=4), first_day=MONDAY,
                        start_time=time(9), zone=ZONE)[1] == {
        "count": "Repeat: at most 2 years ahead (until Thu 13 Sep 2029 at the latest)."}


def test_the_days_of_a_series_over_the_new_year_say_the_year() -> None:
    moments, _problems = check_repeat(Repeat("MONTHLY", count=6), first_day=MONDAY,
                                      start_time=time(9), zone=ZONE)
    assert days_text(moments, ZONE) == (
        "Mon 13 Sep, Wed 13 Oct, Sat 13 Nov, Mon 13 Dec \u2026 Sun 13 Feb 2028 \u00b7 "
        "6 appointments")
