"""The report's HTML written in Python is the HTML its templates wrote, byte for byte."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from reports import district
from reports import score as scoring
from reports.figures import CADRE_HOUSEHOLDS_BEFORE_GRIDS, Figures
from reports.models import ScoreWeights

pytestmark = pytest.mark.django_db

# The loop of templates/reports/_report_headline.html that Lines.html replaces.
LINES_TEMPLATE = (
    "{% for label, text, value in lines %}\n"
    '        <tr><th scope="row" class="fw-normal">{{ label }}</th>'
    '<td class="text-end">{{ text }}</td></tr>\n'
    "      {% endfor %}"
)


# Figures with every section filled, names to escape among the categories.
FIGURES = dict(
    windows=60,
    done=41,
    short=3,
    missed=16,
    opened=1234,
    closed=17,
    due=20,
    on_time=12,
    due_closed=15,
    overdue_open=4,
    median_hours_to_close=30.25,
    satisfied=3,
    rated=4,
    from_patrol=5,
    from_resident=2,
    by_category={"Fire <exit>": 3, "Noise & 'dust'": 2},
    households=1500,
    households_before=1490,
    residents=4000,
    residents_before=4100,
    floating=700,
    grid_workers=12,
    grids=8,
)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_sections_rows_are_written_as_the_template_wrote_them(language):
    figures = Figures(**FIGURES)
    template = Template(LINES_TEMPLATE)
    with translation.override(language):
        sections = district.summary(figures, scoring.score(figures, ScoreWeights.load()))
        sections.append(
            ("odd", "Odd", district.Lines([("<b>&'\"", '"x" < y & z', 1), ("", "—", None)]))
        )
        for _key, _title, lines in sections:
            assert lines.html == template.render(Context({"lines": lines}))


# templates/reports/_report_headline.html as it was before district.headline_html replaced it.
HEADLINE_TEMPLATE = """{% load i18n %}
<section class="mb-3" aria-labelledby="report-headline">
  <h2 class="visually-hidden" id="report-headline">{% translate "Headline figures" %}</h2>
  <div class="row g-2 report-cards">
    {% for key, label, text, light in cards %}
    <div class="col-6 col-md-4 col-xl-2"><div class="card h-100"><div class="card-body p-2">
      <div class="small text-body-secondary">{{ label }}</div>
      <div class="fs-4 fw-semibold{% if light %} rate-{{ light }}{% endif %}"{% if light %} data-light="{{ light }}"{% endif %} data-figure="{{ key }}">{{ text }}</div>
    </div></div></div>
    {% endfor %}
  </div>
</section>

<div class="row g-3 mb-3">
  {% for key, title, lines in sections %}
  <section class="col-12 col-md-6 col-xl-4 report-section" aria-labelledby="report-{{ key }}" data-section="{{ key }}">
    <h2 class="h6 border-bottom pb-1" id="report-{{ key }}">{{ title }}</h2>
    <table class="table table-sm mb-1">
      <tbody>
      {{ lines.html }}
      </tbody>
    </table>
    {% if key == "population" %}
    <p class="small text-body-secondary mb-0">{% translate "As of the end date; in brackets the change since the day before the start." %}</p>
    {% if population_as_of %}
    <p class="small text-body-secondary mb-0" data-population-as-of>{% blocktranslate with at=population_as_of|date:"SHORT_DATETIME_FORMAT" %}Population from the daily roll-up of {{ at }}{% endblocktranslate %}</p>
    {% endif %}
    {% elif key == "workload" %}
    <p class="small text-body-secondary mb-0" data-before-grids>{% blocktranslate with low=before_grids.0 high=before_grids.1 %}Before grids, one community cadre served {{ low }}–{{ high }} households.{% endblocktranslate %}</p>
    {% elif key == "score" %}
    <p class="small mb-0" data-score-formula>{{ formula }}</p>
    <p class="small text-body-secondary mb-0">{% translate "A rate with nothing to count (no incident due, none closed) earns full points. The administrator sets the weights." %}</p>
    {% endif %}
    {% if key == "incidents" and categories %}
    <h3 class="h6 mt-2">{% translate "Filed by category" %}</h3>
    <table class="table table-sm mb-1" data-table="categories">
      <thead><tr><th scope="col">{% translate "Category" %}</th><th scope="col" class="text-end">{% translate "Filed" %}</th><th scope="col" class="text-end">{% translate "Share" %}</th></tr></thead>
      <tbody>
      {% for name, count, share in categories %}
        <tr><th scope="row" class="fw-normal">{{ name }}</th><td class="text-end">{{ count }}</td><td class="text-end">{{ share }}</td></tr>
      {% endfor %}
      </tbody>
    </table>
    {% endif %}
  </section>
  {% endfor %}
</div>
"""  # noqa: E501


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    "as_of", [None, datetime.datetime(2026, 11, 30, 17, 5, tzinfo=datetime.UTC)]
)
def test_the_headline_is_written_as_the_template_wrote_it(language, as_of):
    weights = ScoreWeights.load()
    template = Template(HEADLINE_TEMPLATE)
    for figures in (
        Figures(),
        Figures(
            **{
                **FIGURES,
                "by_category": {"Fire <exit>": 3, "Noise & 'dust'": 2, 'A "quoted" one': 1229},
            }
        ),
    ):
        with translation.override(language):
            score = scoring.score(figures, weights)
            context = {
                "cards": district.cards(figures, score)
                + [("x<&\"'", "<b>Label & 'co'</b>", '"1" < 2', "red<")],
                "sections": district.summary(figures, score),
                "categories": district.categories(figures),
                "formula": scoring.formula(weights) + " <&>'\"",
                "before_grids": CADRE_HOUSEHOLDS_BEFORE_GRIDS,
                "population_as_of": as_of,
            }
            expected = template.render(Context(context))
            written = district.headline_html(**context)
        assert written == expected


def test_json_script_writes_what_the_filter_wrote():
    from django.utils.html import json_script

    value = {
        "name": "<script>alert('x') & \"y\"</script> 中文",
        "values": [1, 2.5, None, True],
        "on": datetime.date(2026, 11, 30),
        "nested": {"<>": "&amp;"},
    }
    for element_id in ("report-map-data", "report-chart-data"):
        assert district.json_script(value, element_id) == json_script(value, element_id)


# templates/reports/_report_table.html as it was before district.headers_html and
# district.rows_html replaced its loops.
TABLE_TEMPLATE = """{% load i18n %}
<section class="mb-3 report-children" aria-labelledby="report-children">
  <h2 class="h6 border-bottom pb-1" id="report-children">{% if area.kind == "grid" %}{% translate "The grid" %}{% else %}{% blocktranslate with kind=child_kind|lower %}By {{ kind }}{% endblocktranslate %}{% endif %}</h2>
  {% if rows %}
  <p class="small text-body-secondary mb-1 d-sm-none" id="report-table-hint">{% translate "The table has a column per figure: swipe it sideways to see them all." %}</p>
  <div class="table-responsive report-table-wrap" tabindex="0" role="region" aria-labelledby="report-children" aria-describedby="report-table-hint">
  <table class="table table-sm table-hover align-middle report-table" data-table="children">
    <thead><tr>
      {% for header, query in headers %}
      <th scope="col" aria-sort="{{ header.aria_sort }}" data-column="{{ header.key }}" class="{% if not forloop.first %}text-end{% endif %}"><a class="link-body-emphasis text-decoration-none" href="{{ query }}">{{ header.label }}{% if header.aria_sort == "ascending" %} ▲{% elif header.aria_sort == "descending" %} ▼{% endif %}</a></th>
      {% endfor %}
    </tr></thead>
    <tbody>
    {% for row in rows %}
      <tr data-area="{{ row.area.code }}">
        <th scope="row" class="fw-normal"><a href="{{ row.url }}">{{ row.area.name }}</a></th>
        {{ row.cells_html }}
      </tr>
    {% endfor %}
    </tbody>
  </table>
  </div>
  {% else %}
  <p class="small text-body-secondary">{% translate "Nothing below this area yet." %}</p>
  {% endif %}
</section>
"""  # noqa: E501


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("sort", ["name", "-name", "score", "-coverage", "p90_hours"])
def test_the_children_table_is_written_as_the_template_wrote_it(language, sort):
    from django.template.loader import get_template

    from grids.models import Area

    weights = ScoreWeights.load()
    pairs = [
        (
            Area(kind=Area.Kind.COMMUNITY, code="C-<1>", name='Tom & Jerry\'s "yard" <b>'),
            Figures(windows=60, done=41, short=3, missed=16, opened=12, due=4, on_time=3),
        ),
        (Area(kind=Area.Kind.COMMUNITY, code="C-2", name="二号社区"), Figures()),
    ]
    area = Area(kind=Area.Kind.STREET, code="S&1", name="Street")
    with translation.override(language):
        rows = district.build_rows(pairs, weights)
        for n, row in enumerate(rows):
            row.url = f"/reports/?area={row.area.code}&start=2026-11-01&n={n}<"
        key, descending = district.parse_sort(sort)
        rows = district.sort_rows(rows, key, descending)
        headers = [
            (header, f"?area=S%261&sort={header.sort}&x=<'\">")
            for header in district.headers(key, descending)
        ]
        for shown in (rows, []):
            context = {"rows": shown, "child_kind": "Community", "area": area}
            expected = Template(TABLE_TEMPLATE).render(Context({**context, "headers": headers}))
            written = get_template("reports/_report_table.html").render(
                {
                    **context,
                    "headers_html": district.headers_html(headers),
                    "rows_html": district.rows_html(shown),
                }
            )
            assert written == expected
