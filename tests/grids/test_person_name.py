"""A person's name is 姓名 in Chinese; the name of a thing (an area, a tag) stays 名称."""

import pytest
from django.urls import reverse
from django.utils import translation

from grids.models import Area, Resident


def test_a_resident_name_is_labelled_as_a_person_name():
    with translation.override("zh-hans"):
        assert str(Resident._meta.get_field("name").verbose_name) == "姓名"
        assert str(Area._meta.get_field("name").verbose_name) == "名称"
    with translation.override("en"):
        assert str(Resident._meta.get_field("name").verbose_name) == "name"


@pytest.mark.django_db
def test_the_floating_list_sorts_by_a_person_name(client, world):
    world.a.stationmaster.language = "zh-hans"
    world.a.stationmaster.save(update_fields=["language"])
    client.force_login(world.a.stationmaster)
    html = client.get(reverse("grids:floating")).content.decode()
    assert ">姓名<" in html
    assert "名称" not in html
