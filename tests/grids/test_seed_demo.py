import io
import json

import pytest
from django.core.management import CommandError, call_command

from grids.models import Area, Post, Role, User


def snapshot():
    return (
        list(Area.objects.order_by("code").values_list("code", "name", "community_kind")),
        list(User.objects.order_by("username").values_list("username", "full_name", "phone")),
    )


@pytest.mark.django_db
def test_seed_demo_builds_two_communities_with_full_teams(tmp_path):
    out = tmp_path / "accounts.json"
    call_command("seed_demo", "--seed", "7", "--accounts-json", str(out))
    assert Area.objects.filter(kind="district").count() == 1
    assert Area.objects.filter(kind="street").count() == 1
    assert Area.objects.filter(kind="community").count() == 2
    assert Area.objects.filter(kind="grid").count() == 16
    assert Area.objects.filter(kind="building").count() >= 16 * 6
    # Every post has an A and a B holder.
    assert not Post.objects.filter(holder_b__isnull=True).exists()
    accounts = json.loads(out.read_text())
    assert all(set(a) == {"username", "password", "role", "area"} for a in accounts)
    communities = Area.objects.filter(kind="community").order_by("code")
    for community in communities:
        roles = {a["role"] for a in accounts if a["area"].startswith(community.code)}
        expected = {r.value for r in Role} - {Role.DISTRICT_STAFF, Role.STREET_STAFF}
        assert roles == expected, community.code
    # The printed logins work.
    for account in accounts:
        assert User.objects.get(username=account["username"]).check_password(account["password"])


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data():
    call_command("seed_demo", "--seed", "3", stdout=io.StringIO())
    first = snapshot()
    Post.objects.all().delete()
    User.objects.all().delete()
    for kind in reversed(Area.Kind.values):
        Area.objects.filter(kind=kind).delete()
    call_command("seed_demo", "--seed", "3", stdout=io.StringIO())
    assert snapshot() == first


@pytest.mark.django_db
def test_seed_demo_refuses_a_database_with_data_unless_told(world):
    with pytest.raises(CommandError):
        call_command("seed_demo")
    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    assert Area.objects.filter(kind="district").count() == 1
