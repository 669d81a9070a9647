"""Chinese resident ID numbers (GB 11643-1999) and the masking of personal data."""

import datetime

from django.core.exceptions import ValidationError
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
# birth date (a baby's move-in) is shown as "at birth". These functions are the only place that
# decides; templates reach them through `Resident.masked_id_number`, `Resident.birth_year` and
# the `grids_identity` template filters.


def mask_id_number(value):
    """ "330106199001011234" -> "330106********1234": the birth date's eight digits hidden."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_birth_date(value):
    """The birth year (an int), never the month and day; None without a birth date."""
    return value.year if value else None


def mask_life_date(value, born):
    """A date of a person's life (moved in, a stay) as it may be shown: None when it is the
    birth date (shown as "at birth"), so it cannot complete a masked ID number."""
    if value is None or (born is not None and value == born):
        return None
    return value


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
