"""Bounded work in meetings: a grid report's headings take a limited text, and its PDF is
made in bounded time and size even from texts written before the limit existed."""

import time

import pytest
import time_machine

from meetings import gridreports
from meetings.models import SECTION_LENGTH, GridReport
from tests.meetings.test_gridreports import DRAFT_DAY, pdf_text, report_of, texts, url


@pytest.fixture
def draft(world):
    with time_machine.travel(DRAFT_DAY, tick=False):
        gridreports.draft_monthly_reports()
        yield report_of(world.a.grid)


def test_a_heading_longer_than_the_limit_is_refused_with_a_message(client, world, draft):
    client.force_login(world.a.grid_leader)
    seen = client.get(url(draft)).context["form"]["seen_updated_at"].value()
    response = client.post(
        url(draft),
        {**texts(public_security="治" * 100_000), "seen_updated_at": seen, "save": ""},
    )
    assert response.status_code == 200
    assert "public_security" in response.context["form"].errors
    assert f'maxlength="{SECTION_LENGTH}"' in response.content.decode()
    assert report_of(world.a.grid).public_security == ""


def test_the_pdf_of_six_very_long_headings_is_quick_and_small(client, world, draft):
    """Texts saved before the limit (or by a script) are cut short in the PDF, with a note."""
    GridReport.objects.filter(pk=draft.pk).update(
        **{name: "网格巡查发现问题。" * 11_112 for name in GridReport.TEXT_FIELDS}
    )
    client.force_login(world.a.stationmaster)
    started = time.monotonic()
    response = client.get(url(draft, "pdf/"))
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 3, elapsed
    assert len(response.content) < 600_000
    assert "The text is cut short here" in pdf_text(response.content)


def test_the_pdf_of_six_full_headings_shows_all_of_them(client, world, draft):
    full = "巡" * (SECTION_LENGTH - 1) + "终"
    gridreports.save_text(
        draft, by=world.a.grid_leader, updated_at=None, texts=texts(hot_issues=full)
    )
    client.force_login(world.a.stationmaster)
    text = pdf_text(client.get(url(draft, "pdf/")).content)
    assert "终" in text
    assert "The text is cut short here" not in text
