import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_rate_limits(settings, tmp_path):
    """Each test starts with no report counted against any address or grid (the counters
    are in the cache: Redis when REDIS_URL is set), and stores photos in its own folder."""
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()
