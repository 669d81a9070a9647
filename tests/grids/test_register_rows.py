"""The register's lists written in Python are the markup the templates wrote row by row:
the same bytes, text and escaping, in both languages."""

import datetime
import re

import pytest
from django.db import connection
from django.template import engines
from django.utils import timezone, translation
from django.utils.html import escape

from grids.models import Area, Household, Rental, Resident, Tag
from grids.templatetags.register_rows import household_rows, rental_rows, resident_rows
from tests.factories import make_area, make_household, make_resident

# These pin PostgreSQL's statements (arrays read with the rows, a write in one statement):
# on SQLite the same pages read them by queries of their own.
PG_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pins PostgreSQL's statements"
)

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


@pytest.mark.django_db
@PG_ONLY
@pytest.mark.parametrize("path", ["households", "rentals"])
def test_a_windowed_list_counts_its_rows_in_the_pages_statement(
    client, world, django_assert_num_queries, path
):
    today = timezone.localdate()
    for i in range(27):
        household = make_household(world.a.grid, address=f"窗口路{i:02d}号")
        Rental.objects.create(
            household=household,
            landlord_name=f"房东{i:02d}",
            starts_on=today,
            ends_on=today + datetime.timedelta(days=100 + i),
        )
    url = (
        f"/grids/{world.a.grid.code}/households/" if path == "households" else "/register/rentals/"
    )
    client.force_login(world.a.grid_member)
    client.get(url)
    # The session, the user, the unread notifications, the scope's posts, then for the
    # households the grid with its buildings (the building filter's choices) and the page
    # with its count; for the rentals the scope's grids (the grid filter's choices and the
    # scope's grid ids) and the page with its count.
    with django_assert_num_queries(6):
        response = client.get(url)
    page = response.context["page"]
    assert page.paginator.count == 27 and len(page.object_list) == 25
    second = client.get(url, {"page": "2"}).context["page"]
    assert second.number == 2 and len(second.object_list) == 2
    assert second.paginator.count == 27
    # A page past the last is counted first, and shows the last page.
    response = client.get(url, {"page": "9"})
    assert response.context["page"].number == 2
    assert "“9” is not a page of this list" in response.content.decode()
    response = client.get(url, {"page": "x"})
    assert response.context["page"].number == 1
    # A page number whose offset is no bigint is past the last page too.
    response = client.get(url, {"page": str(2**70)})
    assert response.status_code == 200 and response.context["page"].number == 2
    # Nothing in the list: the first page, counted 0, no other query.
    client.force_login(world.b.grid_member)
    other = f"/grids/{world.b.grid.code}/households/" if path == "households" else url
    page = client.get(other).context["page"]
    assert page.paginator.count == 0 and page.number == 1 and not page.object_list


@pytest.mark.django_db
@PG_ONLY
@pytest.mark.parametrize("path", ["/register/floating/", "/register/rentals/"])
def test_the_grid_filter_lists_the_scopes_grids_read_once(
    client, world, django_assert_num_queries, path
):
    household = make_household(world.a.other_grid, address="筛选路1号")
    make_resident(household, population="floating")
    Rental.objects.create(
        household=household,
        landlord_name="房东",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=100),
    )
    client.force_login(world.a.stationmaster)
    client.get(path)
    # The session, the user, the unread notifications, the scope's posts, the scope's grids
    # (the filter's choices and the grid ids of the scope, one query; for the floating
    # population with the transfers waiting for the station), then for the floating
    # population the count and the page; for the rentals the page with its count.
    with django_assert_num_queries(7 if "floating" in path else 6):
        body = client.get(path).content.decode()
    grids = sorted([world.a.grid, world.a.other_grid], key=lambda grid: grid.code)
    options = "".join(f'\n  <option value="{grid.pk}">{grid.name}</option>\n' for grid in grids)
    assert f'<option value="" selected>---------</option>\n{options}\n</select>' in body
    assert "筛选路1号" in body
    # A grid chosen is selected, and its rows only are listed; a grid outside the scope is
    # refused by the filter, as before.
    body = client.get(path, {"grid": world.a.grid.pk}).content.decode()
    assert f'<option value="{world.a.grid.pk}" selected>' in body and "筛选路1号" not in body
    body = client.get(path, {"grid": world.a.other_grid.pk}).content.decode()
    assert "筛选路1号" in body
    response = client.get(path, {"grid": world.b.grid.pk})
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.django_db
def test_the_building_filter_lists_the_grids_buildings_read_with_the_grid(client, world):
    second = make_area(Area.Kind.BUILDING, world.a.grid, code="B2", name="2号<楼>")
    first = make_area(Area.Kind.BUILDING, world.a.grid, code="B1", name="1号楼")
    elsewhere = make_area(Area.Kind.BUILDING, world.a.other_grid, code="B3", name="3号楼")
    make_household(world.a.grid, address="楼路1号", building=second)
    make_household(world.a.grid, address="楼路2号")
    url = f"/grids/{world.a.grid.code}/households/"
    client.force_login(world.a.grid_member)
    body = client.get(url).content.decode()
    buildings = Area.objects.filter(parent=world.a.grid).order_by("code")
    assert [first, second] == [b for b in buildings if b in (first, second)]
    options = "".join(f'  <option value="{b.pk}">{escape(b.name)}</option>\n\n' for b in buildings)
    assert f'<option value="" selected>---------</option>\n\n{options}</select>' in body
    assert "2号&lt;楼&gt;" in options and "3号楼" not in body
    body = client.get(url, {"building": second.pk}).content.decode()
    assert f'<option value="{second.pk}" selected>' in body
    assert "楼路1号" in body and "楼路2号" not in body
    body = client.get(url, {"building": elsewhere.pk}).content.decode()
    assert "Select a valid choice" in body
