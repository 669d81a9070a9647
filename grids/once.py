"""Creation forms that make one row however often they are sent.

Every creation form (a household, a resident, an incident, an instruction, a meeting's
agenda or action item) carries a hidden one-time token, made when the page is drawn
(`OnceMixin`). The view makes the row inside `once(form, by=user)`: that claims the token in
the same transaction, so of two sendings of the same form (a double click, a resend after a
timeout), however close together, one makes the row and the other, which waits for the
first to commit, is sent to what it made (`AlreadySent.response`); so is a second sending
that fails validation only because the first committed (`OnceMixin.full_clean`: say, its ID
number is now registered). Observations use their own `client_id` the same way
(patrols.services.add_observation).

    try:
        if form.is_valid():
            with once(form, by=request.user) as made:
                incident = services.open_incident(...)
                made(incident)
                return redirect(incident)
    except AlreadySent as sent:
        return sent.response(request)
"""

import contextlib
import uuid

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .models import SentForm

FIELD = "once"


class OnceMixin:
    """Adds the hidden one-time token to a form (a new one each time an unbound form is
    drawn; a form drawn again with its errors keeps the token it was sent with). A model
    form editing a row that exists gets none."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if getattr(getattr(self, "instance", None), "pk", None):
            return
        self.fields[FIELD] = forms.UUIDField(
            widget=forms.HiddenInput, required=False, initial=uuid.uuid4
        )

    def full_clean(self):
        """Validate; a form with errors whose token was used raises AlreadySent: it is the
        second sending, checked after the first committed (so it may find the first's row,
        say as a duplicate ID number), and is shown what the first made instead."""
        super().full_clean()
        if self._errors:
            self.raise_if_sent()

    def raise_if_sent(self):
        """Raise AlreadySent if this form's token was used. Runs one query when the form has
        a token."""
        token = getattr(self, "cleaned_data", {}).get(FIELD)
        used = token and SentForm.objects.filter(token=token).first()
        if used:
            raise AlreadySent(used.made_url)


class AlreadySent(Exception):
    """The form's token was used: `url` shows what the first sending made."""

    def __init__(self, url):
        super().__init__(url)
        self.url = url

    def response(self, request, fallback="home"):
        messages.info(request, _("This form was already sent; here is what it made."))
        return redirect(self.url or fallback)


@contextlib.contextmanager
def once(form, *, by):
    """A transaction in which the form's token is claimed for `by`; yields `made(obj)`, to
    call with the row made (or an address), which a second sending is shown. Raises AlreadySent
    when the token was used (after waiting for a transaction that holds it to end). A form
    without a token (a page drawn before tokens existed) is not protected. Runs one query to
    claim, one to record, and one more when the token was used."""
    token = form.cleaned_data.get(FIELD) if hasattr(form, "cleaned_data") else None
    with transaction.atomic():
        if token:
            try:
                with transaction.atomic():
                    SentForm.objects.create(token=token, user=by)
            except IntegrityError:
                used = SentForm.objects.filter(token=token, user=by).first()
                raise AlreadySent(used.made_url if used else "") from None

        def made(obj):
            """Record what was made: a row with get_absolute_url, or an address."""
            if token:
                url = obj if isinstance(obj, str) else obj.get_absolute_url()
                SentForm.objects.filter(token=token).update(made_url=url)

        yield made
