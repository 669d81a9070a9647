def build_grid_reports(rng, levels, log):
    """Filled in by its part of the work."""
