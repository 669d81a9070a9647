"""django-filter, translated when shown.

django-filter's `OrderingFilter` formats its descending labels ("%s (descending)") once,
when a FilterSet class is declared at import, in whatever language is active then; every
later request, Chinese or English, sees that one string. The filter here formats them
lazily, so each request reads them in its own language (the project's catalogue carries
django-filter's msgids: see `gridmgmt.third_party_strings`)."""

import django_filters
from django.core.validators import EMPTY_VALUES
from django.forms.utils import pretty_name
from django.utils.functional import lazy
from django.utils.translation import gettext


def _descending(label):
    return gettext("%s (descending)") % label


descending = lazy(_descending, str)


class OrderingFilter(django_filters.OrderingFilter):
    """django-filter's ordering filter, its descending labels translated when rendered.
    Declare it with `field_labels` (lazy translations) for the ascending ones. Rows that tie
    on the fields asked for are ordered by primary key, so that each has one place: a list
    paged by a date many rows share would otherwise show a row on two pages and skip
    another."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.order_by(*(self.get_ordering_value(param) for param in value), "pk")

    def build_choices(self, fields, labels):
        choices = []
        for field, param in fields.items():
            label = labels.get(field, pretty_name(param))
            choices.append((param, label))
            choices.append((f"-{param}", labels.get(f"-{param}", descending(label))))
        return choices
