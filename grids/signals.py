"""Signals the register sends, so apps that keep figures derived from it can refresh them."""

from django.dispatch import Signal

# Sent after a register write that changes who lived where (or which rentals ran) on past
# days: `grid_ids` (a set of grid ids) and `since` (the first local date affected).
register_changed = Signal()
