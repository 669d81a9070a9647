"""The resident form never shows the birth date of someone with an ID number on record (it is
the number's hidden digits), and saving it keeps the date."""

import datetime

from grids.models import Resident
from tests.factories import make_household, make_id_number, make_resident

BORN = datetime.date(1975, 3, 9)


def test_the_edit_form_shows_the_birth_year_and_saving_keeps_the_date(client, world):
    household = make_household(world.a.grid)
    number = make_id_number(BORN, serial=123)
    resident = make_resident(household, name="张三", id_number=number, birth_date=BORN)
    client.force_login(world.a.grid_member)
    page = client.get(f"/residents/{resident.pk}/edit/")
    body = page.content.decode()
    assert "1975" in body
    for written in ("1975-03-09", "19750309", "1975/3/9", "1975年3月9日"):
        assert written not in body
    form = page.context["form"]
    assert "birth_date" not in form.fields and form.fields["birth_year"].disabled
    data = {
        "name": "张三丰",
        "sex": "m",
        "id_number": "",
        "phone": resident.phone,
        "relation": "head",
        "population": "registered",
        "seen_updated_at": form.initial["seen_updated_at"],
        # A date posted for the read-only year is ignored.
        "birth_year": "2001",
    }
    response = client.post(f"/residents/{resident.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    resident = Resident.objects.get(pk=resident.pk)
    assert (resident.name, resident.birth_date) == ("张三丰", BORN)


def test_a_new_number_brings_its_birth_date_and_a_typed_date_must_match_it(client, world):
    household = make_household(world.a.grid)
    client.force_login(world.a.grid_member)
    data = {
        "name": "李四",
        "sex": "f",
        "id_number": make_id_number(BORN, serial=7),
        "relation": "head",
        "population": "registered",
        "birth_date": "1975-03-10",
    }
    response = client.post(f"/households/{household.pk}/residents/new/", data)
    assert response.status_code == 200
    assert "birth_date" in response.context["form"].errors
    data["birth_date"] = ""
    response = client.post(f"/households/{household.pk}/residents/new/", data)
    assert response.status_code == 302
    assert household.residents.get().birth_date == BORN
