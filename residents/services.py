"""Writes of the residents' channel."""

from .models import GridChannel


def channel_for(grid):
    """The grid's public page, made on first use (two queries at most)."""
    channel, _created = GridChannel.objects.get_or_create(grid=grid)
    return channel
