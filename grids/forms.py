import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Area


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class GridFilter(django_filters.FilterSet):
    """Filters and sorts the grids of one user's scope."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    community = django_filters.ModelChoiceFilter(
        label=_("Community"), field_name="parent", queryset=Area.objects.none()
    )
    sort = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("code", "code"), ("name", "name"), ("parent__name", "community")),
        field_labels={"code": _("Code"), "name": _("Name"), "parent__name": _("Community")},
    )

    class Meta:
        model = Area
        fields = ["q", "community"]

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["community"].queryset = communities

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))
