def build_meetings(rng, levels, log):
    """Filled in by its part of the work."""
