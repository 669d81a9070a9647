"""The demo seed's bulk writing (grids.demo_bulk): ids handed out before the rows are written,
the sequence moved past them, and (on PostgreSQL) indexes and keys put back after a load."""

import pytest
from django.db import connection

from grids import demo, demo_bulk
from grids.models import Tag
from patrols.models import Observation


@pytest.mark.django_db
def test_the_writer_gives_ids_in_order_and_later_rows_follow_them():
    existing = Tag.objects.create(name="已有", kind=Tag.Kind.CARE)
    writer = demo_bulk.BulkWriter(Tag, chunk=3)
    early = writer.assign(Tag(name="先编号", kind=Tag.Kind.CARE))
    added = [writer.add(Tag(name=f"标签{n}", kind=Tag.Kind.ATTENTION)) for n in range(7)]
    writer.add(early)
    assert writer.close() == 8
    assert early.pk == existing.pk + 1
    assert [tag.pk for tag in added] == list(range(existing.pk + 2, existing.pk + 9))
    assert dict(Tag.objects.values_list("name", "pk"))["标签6"] == added[-1].pk
    # The table's sequence is past the written ids: an ordinary insert does not collide.
    assert Tag.objects.create(name="之后", kind=Tag.Kind.CARE).pk > added[-1].pk


def indexes_and_keys(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexdef", [table]
        )
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass ORDER BY conname",
            [table],
        )
        return indexes, cursor.fetchall()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="indexes are dropped on PostgreSQL")
def test_a_load_drops_the_secondary_indexes_and_keys_and_puts_them_back():
    table = Observation._meta.db_table
    before = indexes_and_keys(table)
    with demo_bulk.loading(Observation):
        during = indexes_and_keys(table)
    assert len(during[0]) < len(before[0])
    assert not any("FOREIGN KEY" in definition for _name, definition in during[1])
    assert indexes_and_keys(table) == before


def test_every_scale_lists_the_same_first_district_so_the_demo_logins_stay():
    codes = [code for _name, code in demo.DISTRICTS]
    assert sorted(codes)[0] == codes[0] == "GL"
    assert demo.SCALES["city"]["districts"] == len(codes) == 10
    assert {scale: sizes["districts"] for scale, sizes in demo.SCALES.items()} == {
        "community": 1,
        "district": 1,
        "city": 10,
    }
