"""A date a form shows in the browser's date picker is written in ISO form in every language:
Chinese formats dates as 2026/12/04, which `<input type="date">` does not accept, so the
picker would show nothing and the form could not be sent, or would send the date empty."""

import datetime

import pytest
from django import forms
from django.utils import translation

from care.forms import VisitForm
from gridmgmt.dates import DayField
from grids.forms import ResidentForm
from grids.scope import Scope

DAY = datetime.date(2026, 12, 4)


class _Form(forms.Form):
    on = DayField(widget=forms.DateInput(attrs={"type": "date"}))
    plain = DayField()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_date_picker_shows_its_day_in_iso_form_in_every_language(language):
    with translation.override(language):
        form = _Form(initial={"on": DAY, "plain": DAY})
        assert 'value="2026-12-04"' in str(form["on"])
        assert _Form({"on": "2026-12-04", "plain": "2026-12-04"}).is_valid()


@pytest.mark.django_db
def test_the_forms_people_use_show_their_dates_to_the_picker_in_chinese(world):
    with translation.override("zh-hans"):
        visit = VisitForm(today=DAY)
        assert 'value="2026-12-04"' in str(visit["visited_on"])
        resident = ResidentForm(
            initial={"moved_in_on": DAY}, scope=Scope(world.a.grid_member), area=world.a.grid
        )
        assert 'value="2026-12-04"' in str(resident["moved_in_on"])
