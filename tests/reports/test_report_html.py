"""The report's HTML written in Python is the HTML its templates wrote, byte for byte."""

import pytest
from django.template import Context, Template
from django.utils import translation

from reports import district
from reports import score as scoring
from reports.figures import Figures
from reports.models import ScoreWeights

pytestmark = pytest.mark.django_db

# The loop of templates/reports/_report_headline.html that Lines.html replaces.
LINES_TEMPLATE = (
    "{% for label, text, value in lines %}\n"
    '        <tr><th scope="row" class="fw-normal">{{ label }}</th>'
    '<td class="text-end">{{ text }}</td></tr>\n'
    "      {% endfor %}"
)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_sections_rows_are_written_as_the_template_wrote_them(language):
    figures = Figures(
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
    template = Template(LINES_TEMPLATE)
    with translation.override(language):
        sections = district.summary(figures, scoring.score(figures, ScoreWeights.load()))
        sections.append(
            ("odd", "Odd", district.Lines([("<b>&'\"", '"x" < y & z', 1), ("", "—", None)]))
        )
        for _key, _title, lines in sections:
            assert lines.html == template.render(Context({"lines": lines}))
