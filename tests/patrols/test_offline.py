"""The service worker and the web app manifest that let the patrol open offline."""

import json
from pathlib import Path

from django.contrib.staticfiles import finders

from gridmgmt import offline


def test_the_service_worker_is_served_from_the_root_with_its_assets_and_version(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    assert f'const VERSION = "{offline._version()}";' in body
    assets = json.loads(body.split("const ASSETS = ", 1)[1].split(";\n", 1)[0])
    assert "/static/js/patrol-outbox.js" in assets
    assert all(finders.find(name) for name in offline.ASSETS)


def test_the_version_follows_the_contents_of_the_kept_files(monkeypatch, tmp_path):
    offline._version.cache_clear()
    before = offline._version()
    changed = tmp_path / "app.css"
    changed.write_text("/* a new stylesheet */")
    real_find = finders.find
    monkeypatch.setattr(
        finders, "find", lambda name: str(changed) if name == "css/app.css" else real_find(name)
    )
    offline._version.cache_clear()
    try:
        assert offline._version() != before
    finally:
        monkeypatch.undo()
        offline._version.cache_clear()
    assert offline._version() == before


def test_the_manifest_adds_the_patrol_to_the_home_screen_in_chinese():
    manifest = json.loads(Path(finders.find("manifest.json")).read_text(encoding="utf-8"))
    assert manifest["short_name"] == "网格巡查" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/patrols/" and manifest["scope"] == "/"
    for icon in manifest["icons"]:
        assert finders.find(icon["src"])
