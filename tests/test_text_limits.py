"""Every text a user can type has a limit: each model TextField has a max_length (model
forms enforce it) and each form's CharField has one too, so no form accepts a 100,000-
character text that a page, a PDF or a notification then has to carry."""

import importlib
import inspect
import pkgutil

from django import forms
from django.apps import apps
from django.db import models

APPS = ["grids", "incidents", "meetings", "notifications", "patrols", "reports"]


def test_every_model_text_field_has_a_max_length():
    unbounded = [
        f"{model.__name__}.{field.name}"
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.TextField) and not field.max_length
    ]
    assert unbounded == []


def _form_classes():
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.iter_modules(package.__path__):
            if info.name in {"migrations", "management", "tests"}:
                continue
            module = importlib.import_module(f"{app}.{info.name}")
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                    yield cls


def test_every_form_text_field_has_a_max_length():
    unbounded = sorted(
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _form_classes()
        for name, field in cls.base_fields.items()
        if isinstance(field, forms.CharField)
        and not isinstance(field, forms.UUIDField)
        and not field.max_length
    )
    assert unbounded == []
