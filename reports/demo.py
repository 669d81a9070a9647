def build_boundaries(rng, levels, log):
    """Filled in by its part of the work."""
