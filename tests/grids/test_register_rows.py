"""The register's lists written in Python are the markup the templates wrote row by row:
the same bytes, text and escaping, in both languages."""

import datetime
import re

import pytest
from django.template import engines
from django.utils import timezone, translation

from grids.models import Area, Household, Rental, Resident, Tag
from grids.templatetags.register_rows import household_rows, rental_rows, resident_rows
from tests.factories import make_household, make_resident

# The lists' loops before the rows were written in Python (grids/search.html,
# grids/floating_list.html; grids/rental_list.html; grids/household_list.html).
RESIDENTS = """{% for resident in residents %}{% include "grids/_resident_row.html" with resident=resident show_household=True only %}
{% endfor %}"""  # noqa: E501

RENTALS = """{% load i18n row_urls %}{% for rental in rentals %}
  <a class="list-group-item list-group-item-action{% if rental.is_expiring %} list-group-item-warning{% endif %}" href="{{ rental.household_id|url_of:"grids:household" }}" {% if rental.is_expiring %}data-expiring{% endif %}>
    <div class="d-flex justify-content-between flex-wrap gap-1">
      <strong>{{ rental.household }}</strong>
      <span class="small">{{ rental.starts_on|date:"SHORT_DATE_FORMAT" }} – {{ rental.ends_on|date:"SHORT_DATE_FORMAT" }}
      {% if rental.is_expiring %}<span class="badge text-bg-warning">{% translate "ends within 30 days" %}</span>{% elif rental.is_ended %}<span class="badge text-bg-secondary">{% translate "ended" %}</span>{% endif %}</span>
    </div>
    <div class="small text-body-secondary">{{ rental.household.grid.name }} · {% translate "Landlord" %}: {{ rental.landlord_name|default:"—" }} · {% translate "Tenants" %}: {% for t in rental.tenants.all %}{{ t.name }}{% if not forloop.last %}、{% endif %}{% empty %}—{% endfor %}{% if not rental.is_reported_to_police %} · <span class="text-danger">{% translate "not reported to the police" %}</span>{% endif %}</div>
  </a>
{% endfor %}"""  # noqa: E501

HOUSEHOLDS = """{% load i18n row_urls %}{% for h in households %}
  <a class="list-group-item list-group-item-action" href="{{ h.pk|url_of:"grids:household" }}">
    <div class="d-flex justify-content-between flex-wrap gap-1">
      <strong>{{ h }}</strong>
      <span class="badge text-bg-light border">{{ h.shown_housing }}</span>
    </div>
    <div class="small text-body-secondary">
      {% blocktranslate count counter=h.resident_count %}{{ counter }} resident{% plural %}{{ counter }} residents{% endblocktranslate %}
      · {% if h.last_verified_at %}{% blocktranslate with at=h.last_verified_at|date:"SHORT_DATE_FORMAT" %}verified {{ at }}{% endblocktranslate %}{% else %}{% translate "never verified" %}{% endif %}
    </div>
  </a>
{% endfor %}"""  # noqa: E501

GRID = Area(pk=7, kind=Area.Kind.GRID, name='North <&> "1"', code="G1")


def households():
    return [
        Household(pk=1, grid=GRID, address="幸福路<1>号", room="3&4", housing="owned"),
        Household(pk=123456, grid=GRID, address='"A" Road', room="", housing="rented"),
    ]


def residents():
    first, second = households()
    tags = [Tag(pk=1, name="<care>", kind=Tag.Kind.CARE), Tag(pk=2, name="A&B", kind="attention")]
    rows = [
        Resident(
            pk=5,
            household=first,
            name="张<三>",
            birth_date=datetime.date(1975, 3, 9),
            population="floating",
        ),
        Resident(pk=66, household=second, name="O'Neil", birth_date=None, population="resident"),
        Resident(
            pk=777,
            household=first,
            name="李四",
            birth_date=datetime.date(1980, 1, 2),
            moved_out_on=datetime.date(2024, 5, 6),
            population="floating",
        ),
        Resident(
            pk=8,
            household=second,
            name="王五",
            birth_date=datetime.date(1990, 7, 1),
            moved_out_on=datetime.date(1990, 7, 1),
        ),
    ]
    shown = [
        ("户主 & co", "男", "330106********0123", "139****5678", "流动<人口>", tags, True, True),
        ("spouse", "", "", "", "resident", [], False, False),
        ("child", "F", "1234", "", "floating", tags[:1], True, False),
        ("other", "M", "x", "1", "p", [], False, True),
    ]
    for resident, values in zip(rows, shown, strict=True):
        (
            resident.shown_relation,
            resident.shown_sex,
            resident.shown_id_number,
            resident.shown_phone,
            resident.shown_population,
            resident.shown_tags,
            resident.can_unmask,
            resident.is_moving,
        ) = values
        resident.shown_moved_out = ""
    rows[2].shown_moved_out = "2024-05"  # as present() gives it
    return rows


def rentals():
    first, second = households()
    today = datetime.date(2026, 12, 5)
    rows = [
        Rental(
            pk=1,
            household=first,
            landlord_name="<Li> & Co",
            starts_on=datetime.date(2026, 1, 1),
            ends_on=datetime.date(2026, 12, 20),
            is_reported_to_police=False,
        ),
        Rental(
            pk=2,
            household=second,
            landlord_name="",
            starts_on=datetime.date(2025, 1, 1),
            ends_on=datetime.date(2026, 1, 1),
            is_reported_to_police=True,
        ),
        Rental(
            pk=3,
            household=first,
            landlord_name="王",
            starts_on=datetime.date(2026, 1, 1),
            ends_on=datetime.date(2027, 12, 20),
            is_reported_to_police=True,
        ),
    ]
    tenants = [
        [Resident(pk=1, name="甲<"), Resident(pk=2, name="乙&")],
        [],
        [Resident(pk=3, name="丙")],
    ]
    for rental, people in zip(rows, tenants, strict=True):
        rental._prefetched_objects_cache = {"tenants": Resident.objects.none()}
        rental._prefetched_objects_cache["tenants"]._result_cache = people
        rental.tenant_names = [person.name for person in people]  # as rental_list reads them
        rental.is_ended = rental.ends_on < today
        rental.is_expiring = today <= rental.ends_on <= today + datetime.timedelta(days=30)
    return rows


def listed_households():
    rows = households()
    rows[0].resident_count, rows[0].shown_housing = 1, "自有<住房>"
    rows[0].last_verified_at = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
    rows[1].resident_count, rows[1].shown_housing = 12, "rented"
    rows[1].last_verified_at = None
    extra = Household(pk=3, grid=GRID, address="C", room="", housing="other")
    extra.resident_count, extra.shown_housing, extra.last_verified_at = 0, "x", None
    return [*rows, extra]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_rows_are_the_templates(language):
    render = engines["django"].from_string
    with translation.override(language), timezone.override("Asia/Shanghai"):
        cases = [
            (render(RESIDENTS).render({"residents": residents()}), resident_rows(residents())),
            (render(RENTALS).render({"rentals": rentals()}), rental_rows(rentals())),
            (
                render(HOUSEHOLDS).render({"households": listed_households()}),
                household_rows(listed_households()),
            ),
        ]
    for expected, drawn in cases:
        assert drawn == expected
    assert "张&lt;三&gt;" in cases[0][1] and "&lt;Li&gt; &amp; Co" in cases[1][1]
    assert "data-moving" in cases[0][1] and "data-expiring" in cases[1][1]


def test_no_rows():
    assert resident_rows([]) == rental_rows([]) == household_rows([]) == ""


def shown_tags(body):
    return re.findall(r'<span class="badge text-bg-(?:danger|info)">([^<]*)</span>', body)


@pytest.mark.django_db
def test_the_lists_show_each_persons_tags_and_each_rentals_tenants_in_order(client, world):
    household = make_household(world.a.grid, address="标签路1号")
    tagged = make_resident(household, name="甲", population="floating")
    make_resident(household, name="乙", population="floating")
    tagged.tags.add(
        Tag.objects.create(name="社区矫正", kind=Tag.Kind.ATTENTION),
        Tag.objects.create(name="b独居", kind=Tag.Kind.CARE),
        Tag.objects.create(name="a残疾", kind=Tag.Kind.CARE),
    )
    later = make_resident(household, name="丙", relation="child")
    rental = Rental.objects.create(
        household=household,
        landlord_name="房东",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=100),
    )
    rental.tenants.add(later, tagged)
    # The tags' order (kind, name): attention before care.
    client.force_login(world.a.stationmaster)
    for path in ["/register/search/?q=标签路", "/register/floating/"]:
        assert shown_tags(client.get(path).content.decode()) == ["社区矫正", "a残疾", "b独居"]
    client.force_login(world.a.grid_member)
    for path in ["/register/search/?q=标签路", "/register/floating/"]:
        assert shown_tags(client.get(path).content.decode()) == ["a残疾", "b独居"]
    # A prefetch's order: the residents' (household, pk).
    body = client.get("/register/rentals/").content.decode()
    assert f"{tagged.name}、{later.name}" in body
