"""Every statement the pages here bind (gridmgmt.statements: the patrol, the incident, the
board's grids, logs and areas) is checked against Django's own compilation of it with the
request's values, in every test: the statements stay kept from one test to the next, so a
statement compiled for one test's scope, area and day is bound to the next test's."""

import pytest

from gridmgmt import statements


@pytest.fixture(autouse=True)
def bound_statements_equal_djangos(monkeypatch):
    # Kept from the first request, so that every statement a test asks for is bound.
    monkeypatch.setattr(statements, "ASK_TWICE", False)
    compiled = statements.compiled
    checked = []

    def checking(key, build, values):
        sql, params = compiled(key, build, values)
        own_sql, own_params = build(values)
        assert sql == own_sql, key
        assert list(params) == list(own_params), key
        checked.append(key)
        return sql, params

    monkeypatch.setattr(statements, "compiled", checking)
    return checked
