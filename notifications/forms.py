from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Kind, NotificationSettings


class NotificationSettingsForm(forms.ModelForm):
    email_kinds = forms.MultipleChoiceField(
        label=_("Also send by email"),
        choices=Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Every notification is in your inbox; these also arrive by email."),
    )
    digest_at = forms.TimeField(
        label=_("Daily digest at"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_(
            "Stationmasters get missed patrols, new overdue incidents and logs waiting "
            "in one notice a day."
        ),
    )

    class Meta:
        model = NotificationSettings
        fields = ["email_kinds", "digest_at"]
