import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from grids.forms import StaleCheckMixin

from .models import GridReport


class ReportTextForm(StaleCheckMixin, forms.ModelForm):
    """The leader's text under each of the report's six headings."""

    class Meta:
        model = GridReport
        fields = GridReport.TEXT_FIELDS
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in GridReport.TEXT_FIELDS}

    @property
    def texts(self):
        return {name: self.cleaned_data[name] for name in GridReport.TEXT_FIELDS}

    @property
    def seen_updated_at(self):
        """The version of the report the form was opened on (None if the field was empty)."""
        seen = self.cleaned_data.get("seen_updated_at")
        return datetime.datetime.fromisoformat(seen) if seen else None


class ReturnForm(forms.Form):
    note = forms.CharField(
        label=_("Why it goes back"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
