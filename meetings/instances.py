"""Model instances made from plain rows as Django's from_db makes them, without
Model.__init__: it walks every field of the model for the few a page reads, and a monthly
meeting's page makes a few hundred instances (its participants, their posts and people)."""

from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init


def unwatched(*models):
    """Whether nothing listens to the making of the models' instances (pre_init, post_init):
    then `loaded` may make them without Model.__init__."""
    return not any(
        signal.has_listeners(model) for model in models for signal in (pre_init, post_init)
    )


def loaded(model, db, values, related=None, *, bare=False):
    """What `model.from_db(db, names, values)` gives for `values` ({attname: value}, in the
    order of the model's fields), with `related` ({field name: instance}) cached as
    select_related caches them; made without Model.__init__ when `bare` (`unwatched` said
    so for the model): __init__ walks every field of the model for the few read, and a
    monthly meeting's page made about 400 instances (1.5 ms of CPU)."""
    if not bare:
        instance = model.from_db(db, list(values), list(values.values()))
        instance._state.fields_cache.update(related or {})
        return instance
    instance = model.__new__(model)
    state = ModelState()
    state.adding = False
    state.db = db
    state.fields_cache = related or {}
    instance._state = state
    instance.__dict__.update(values)
    return instance
