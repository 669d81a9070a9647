"""What a step adds to an incident's timeline reads in every reader's language: the step's
label is translated when the page is shown, and the note holds only data (an arrow, a name,
the person's own words), never a sentence in the language of whoever took the step."""

from django.utils import translation

from grids.models import User
from incidents import services
from tests.incidents.factories import make_incident


def test_a_handover_offered_in_chinese_reads_in_english(client, world):
    leader, backup = world.a.grid_leader, world.a.grid_member_b
    incident = make_incident(world.a.grid, leader, title="楼道堆物")
    with translation.override("zh-hans"):
        services.request_handover(incident, by=leader, to=backup, note="请协助")
    entry = incident.timeline.get(action="handover")
    assert entry.note == "→ Backup A: 请协助"

    reader = world.a.stationmaster  # reads English
    client.force_login(reader)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Offered a handover" in page and "→ Backup A: 请协助" in page

    User.objects.filter(pk=reader.pk).update(language="zh-hans")
    client.post("/accounts/language/", {"language": "zh-hans", "next": "/"})
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Offered a handover" not in page and "→ Backup A: 请协助" in page
