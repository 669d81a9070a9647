"""Chinese resident ID numbers (GB 11643-1999) and the masking of personal data."""

import datetime
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def check_char(first17):
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalize_id_number(value):
    return (value or "").strip().upper()


def validate_id_number(value):
    """An 18-character resident ID number: 17 digits, a valid birth date, and the check
    character of GB 11643. Raises ValidationError with a message for the field."""
    value = normalize_id_number(value)
    if len(value) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(count)d."),
            code="length",
            params={"count": len(value)},
        )
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."), code="characters"
        )
    try:
        born = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date inside this ID number (%(date)s) is not a real date."),
            code="birth_date",
            params={"date": value[6:14]},
        ) from None
    if born.year < 1880:
        raise ValidationError(
            _("The birth date inside this ID number is too early."), code="birth_date"
        )
    if check_char(value[:17]) != value[17]:
        raise ValidationError(
            _(
                "The last character of this ID number does not match the others: "
                "check it for a mistyped digit."
            ),
            code="checksum",
        )


def birth_date_from_id(value):
    value = normalize_id_number(value)
    return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


# --- What pages, fragments, exports, PDFs and notifications show of a person ---
#
# Every role sees ID numbers masked (the station and above may unmask one, and that is
# logged). The eight hidden digits are the birth date, so wherever a masked number can be
# shown, the birth date is not: its year at most, and a date of the person's life that is their
# birth date (a baby's move-in) is shown as "at birth", and one that is the birth date of
# another person on the same page or sheet by its month only. These functions are the only
# place that decides; templates reach them through `Resident.masked_id_number`,
# `Resident.birth_year` and the `grids_identity` template filters.


def mask_id_number(value):
    """ "330106199001011234" -> "330106********1234": the birth date's eight digits hidden."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_birth_date(value):
    """The birth year (an int), never the month and day; None without a birth date."""
    return value.year if value else None


AT_BIRTH = "at birth"  # what `mask_life_date` gives for a date that is the birth date


class Month(NamedTuple):
    year: int
    month: int


def mask_life_date(value, born, births=frozenset()):
    """A date of a person's life (moved in, moved out, a stay) as it may be shown beside
    masked ID numbers: the date itself; AT_BIRTH when it is their own birth date (a baby's
    move-in); its Month only when it is the birth date of someone else the same output shows
    (`births`). None for no date."""
    if value is None:
        return None
    if born is not None and value == born:
        return AT_BIRTH
    if value in births:
        return Month(value.year, value.month)
    return value


def life_date_text(value, born, births=frozenset()):
    """`mask_life_date` as text for a page or a spreadsheet, in the active language."""
    shown = mask_life_date(value, born, births)
    if shown is None:
        return ""
    if shown is AT_BIRTH:
        return gettext("at birth")
    if isinstance(shown, Month):
        return formats.date_format(datetime.date(shown.year, shown.month, 1), "YEAR_MONTH_FORMAT")
    return formats.date_format(shown, "SHORT_DATE_FORMAT")


def life_date_cell(value, born, births=frozenset()):
    """`mask_life_date` for a spreadsheet cell: a date cell when the date is shown in full,
    text otherwise."""
    shown = mask_life_date(value, born, births)
    return shown if isinstance(shown, datetime.date) else life_date_text(value, born, births)


def mask_phone(value):
    """ "13812345678" -> "138****5678"."""
    if not value:
        return ""
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)


def clean_phone(value):
    """A phone number without spaces or dashes: 7 to 12 digits, or empty. Raises
    ValidationError with a message for the field."""
    value = (value or "").replace(" ", "").replace("-", "")
    if value and not (value.isdigit() and 7 <= len(value) <= 12):
        raise ValidationError(_("A phone number is 7 to 12 digits."), code="phone")
    return value
