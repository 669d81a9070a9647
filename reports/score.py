"""The grid and community score, modelled on the digital urban-management evaluation rules.

    score = w_on_time × on-time closure rate
          + w_closure × closure rate
          + w_rework  × (1 − rework ÷ closures)
          + w_coverage × patrol coverage
          + max(0, w_instructions − penalty × overdue instructions ÷ grids)

The weights come from `ScoreWeights` (the administrator edits them) and add up to 100. A rate
with nothing to count (no incident due, none closed, no window yet) counts as full marks, as
the evaluation rules do for a grid with no cases. Pure functions: no queries.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass
class Part:
    key: str
    label: str
    weight: float
    rate: float | None  # the rate that earns the points, None when there was nothing to count
    points: float


@dataclass
class Score:
    value: float
    parts: list[Part]


def _rate(value):
    return 1.0 if value is None else max(0.0, min(1.0, float(value)))


def rework_rate(figures):
    """Reworks per closure, capped at 1; None without closures."""
    rate = figures.rework_rate
    return None if rate is None else min(1.0, rate)


def score(figures, weights):
    """The score of `figures` (a reports.figures.Figures) under `weights` (a ScoreWeights)."""
    rework = rework_rate(figures)
    parts = [
        Part("on_time", _("On-time closure rate"), weights.on_time, figures.on_time_rate, 0),
        Part("closure", _("Closure rate"), weights.closure, figures.closure_rate, 0),
        Part("rework", _("No rework"), weights.rework, None if rework is None else 1 - rework, 0),
        Part("coverage", _("Patrol coverage"), weights.coverage, figures.coverage, 0),
    ]
    for part in parts:
        part.points = part.weight * _rate(part.rate)
    per_grid = figures.overdue_instructions / figures.grids if figures.grids else 0.0
    lost = float(weights.instruction_penalty) * per_grid
    parts.append(
        Part(
            "instructions",
            _("Overdue instructions"),
            weights.instructions,
            per_grid,
            max(0.0, weights.instructions - lost),
        )
    )
    return Score(round(sum(p.points for p in parts), 1), parts)


def formula(weights):
    """The formula with the weights filled in, for the page and the export."""
    return _(
        "Score = %(on_time)s × on-time closure rate + %(closure)s × closure rate"
        " + %(rework)s × (1 − rework ÷ closures) + %(coverage)s × patrol coverage"
        " + max(0, %(instructions)s − %(penalty)s × overdue instructions per grid)"
    ) % {
        "on_time": weights.on_time,
        "closure": weights.closure,
        "rework": weights.rework,
        "coverage": weights.coverage,
        "instructions": weights.instructions,
        "penalty": _number(weights.instruction_penalty),
    }


def _number(value):
    value = float(value)
    return f"{value:g}"
