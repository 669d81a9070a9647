"""The dates a person may type or put in an address: one range for the whole site.

Every date, day or month that comes from a form or a query parameter is read here, so a year
like 0001 or 9999 is refused with a message that gives the range instead of overflowing a
calculation further on (the day before 0001-01-01 does not exist). The range is wide enough
for the oldest resident's birth date and for any plan a station makes.
"""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

EARLIEST_DAY = datetime.date(1900, 1, 1)
LATEST_DAY = datetime.date(2099, 12, 31)


def range_params():
    return {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()}


def month_range_params():
    return {"earliest": f"{EARLIEST_DAY:%Y-%m}", "latest": f"{LATEST_DAY:%Y-%m}"}


def out_of_range_message():
    """What a person is told when a date lies outside the range (translated when shown)."""
    return _("Give a date from %(earliest)s to %(latest)s.") % range_params()


def is_in_range(day):
    """Whether `day` (a date, or a datetime's date) lies in the range."""
    if isinstance(day, datetime.datetime):
        day = day.date()
    return EARLIEST_DAY <= day <= LATEST_DAY


def parse_day(text):
    """`YYYY-MM-DD` as a date in the range, or None when it is no such date."""
    try:
        day = datetime.date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return day if is_in_range(day) else None


def parse_month(text):
    """`YYYY-MM` as the first day of a month in the range, or None when it is no such month."""
    try:
        month = datetime.datetime.strptime((text or "").strip(), "%Y-%m").date()  # noqa: DTZ007
    except ValueError:
        return None
    return month if is_in_range(month) else None


class _InRange:
    def validate(self, value):
        super().validate(value)
        if value is not None and not is_in_range(value):
            raise forms.ValidationError(out_of_range_message(), code="out_of_range")


class DayField(_InRange, forms.DateField):
    """A form's date, refused outside EARLIEST_DAY ... LATEST_DAY with the range in the
    message. Use it (or `field_classes` in a ModelForm's Meta) for every date a person
    types. A browser's date picker (`<input type="date">`) shows its value only in ISO form,
    whatever the reader's language (Chinese would write 2026/12/04 and leave it blank)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if getattr(self.widget, "input_type", "") == "date":
            self.widget.format = "%Y-%m-%d"


class MomentField(_InRange, forms.DateTimeField):
    """A form's date and time whose date lies in the range."""
