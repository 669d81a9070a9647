"""The residents' report and rating forms. Every refusal names its reason in plain words."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from grids.identity import clean_phone
from incidents.models import Category, Incident
from patrols.photos import PhotoField

MAX_PHOTOS = 3


class PhotosInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(PhotoField):
    """Up to MAX_PHOTOS pictures, each checked as a patrol photo is (by its content, with
    Pillow; not too many pixels) and no larger than settings.RESIDENTS_PHOTO_MAX_BYTES."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", PhotosInput(attrs={"accept": "image/*", "multiple": True}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(
                _("Send at most %(count)d photos."), params={"count": MAX_PHOTOS}, code="count"
            )
        limit = settings.RESIDENTS_PHOTO_MAX_BYTES
        for upload in files:
            if upload.size > limit:
                raise forms.ValidationError(
                    _("A photo can be at most %(limit)s; this one is %(size)s."),
                    params={"limit": filesizeformat(limit), "size": filesizeformat(upload.size)},
                    code="too_large",
                )
        return [super(PhotosField, self).clean(upload, initial) for upload in files]


class ReportForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("What is it about?"),
        queryset=Category.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what the matter is about.")},
    )
    place = forms.CharField(
        label=_("Where?"),
        max_length=100,
        help_text=_("A building and unit, a street, a yard."),
        error_messages={"required": _("Say where it is.")},
    )
    text = forms.CharField(
        label=_("What happened?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Describe the matter in a few words.")},
    )
    photos = PhotosField(
        label=_("Photos (up to 3, optional)"),
        required=False,
        error_messages={
            "invalid_image": _("Only photos can be sent: this file is not a picture."),
        },
    )
    phone = forms.CharField(
        label=_("Your phone (optional)"),
        max_length=20,
        required=False,
        help_text=_("Only if you want the team to call you back. It is not shown on any page."),
    )
    # A field people never see: a form that fills it is a robot's.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        field.queryset = Category.objects.exclude(resident_name="").order_by("pk")
        field.label_from_instance = lambda category: category.resident_name

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            # Said above the form: the field itself is hidden.
            raise forms.ValidationError(
                _("This form was filled in automatically and was not sent."), code="honeypot"
            )
        return cleaned

    def matter_fields(self):
        data = self.cleaned_data
        return {
            "category": data["category"],
            "place": data["place"].strip(),
            "text": data["text"].strip(),
            "phone": data["phone"],
            "photos": data["photos"],
        }


class RatingForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("Are you satisfied with how it was handled?"),
        choices=Incident.Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
