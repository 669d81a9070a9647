"""Model instances made from plain rows as Django's own rows make them (from_db), with the
related objects a select_related would cache: a monthly meeting's page reads its few hundred
participants, posts and people as rows of a statement compiled once."""


def loaded(model, db, values, related=None):
    """What `model.from_db(db, names, values)` gives for `values` ({attname: value}, in the
    order of the model's fields), with `related` ({field name: instance}) cached as
    select_related caches them."""
    instance = model.from_db(db, list(values), list(values.values()))
    instance._state.fields_cache.update(related or {})
    return instance


def person_of(db):
    """A function (pk, username, full_name) -> the User with those names read (None for no
    pk), one instance for each person however often they are named."""
    from grids.models import User

    made = {}

    def person(pk, username, full_name):
        if pk is None:
            return None
        if pk not in made:
            made[pk] = loaded(User, db, {"id": pk, "username": username, "full_name": full_name})
        return made[pk]

    return person
