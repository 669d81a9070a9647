"""Model instances made from plain rows as Django's own rows make them (from_db), with the
related objects a select_related would cache: a monthly meeting's page reads its few hundred
participants, posts and people as rows of a statement compiled once."""

from django.db.models.base import DEFERRED


def maker(model, db, names):
    """A function (values, related=None) -> what `model.from_db(db, names, values)` gives
    for `values` (a sequence in the order of `names`, attnames of the model's fields), with
    `related` ({field name: instance}) cached as select_related caches them. The values are
    laid out in the model's fields (DEFERRED for the others) as from_db lays them out, the
    layout worked out once here rather than field by field for each row."""
    fields = model._meta.concrete_fields
    position = {name: n for n, name in enumerate(names)}
    if len(position) != len(names) or not position.keys() <= {f.attname for f in fields}:
        raise ValueError(f"not the names of {model.__name__}'s fields, each once: {names}")
    layout = [position.get(field.attname) for field in fields]
    names = list(names)
    as_they_are = layout == list(range(len(fields)))

    def make(values, related=None):
        if not as_they_are:
            values = [DEFERRED if n is None else values[n] for n in layout]
        instance = model.from_db(db, names, values)
        if related:
            instance._state.fields_cache.update(related)
        return instance

    return make


def person_of(db):
    """A function (pk, username, full_name) -> the User with those names read (None for no
    pk), one instance for each person however often they are named."""
    from grids.models import User

    made = {}
    make = maker(User, db, ("id", "username", "full_name"))

    def person(pk, username, full_name):
        if pk is None:
            return None
        found = made.get(pk)
        if found is None:
            found = made[pk] = make((pk, username, full_name))
        return found

    return person
