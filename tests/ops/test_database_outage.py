"""PostgreSQL unreachable under a running gunicorn: a cluster of the test's own is stopped and
started again; the server keeps running throughout."""

import json

import pytest

from tests.ops.cluster import Cluster, Server, manage, production_env

SESSION = """
from django.test import Client
from grids.models import User
user = User.objects.create_user("ops", password="ops-outage-2026", language="en")
client = Client()
client.force_login(user)
print(client.cookies["sessionid"].value)
"""


@pytest.fixture
def cluster():
    cluster = Cluster()
    try:
        cluster.create()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


def test_with_postgresql_down_pages_are_a_chinese_503_probes_answer_and_it_recovers(
    cluster, tmp_path
):
    env = production_env(cluster.url, MEDIA_ROOT=str(tmp_path / "media"))
    manage(env, "migrate", "--no-input", "-v0")
    session = manage(env, "shell", "-c", SESSION).strip().splitlines()[-1]
    browser = {
        "Host": "127.0.0.1",
        "X-Forwarded-Proto": "https",  # as the proxy says
        "Cookie": f"sessionid={session}",
        "Accept-Language": "zh-CN,zh;q=0.9",
    }
    probe = {"Host": "10.0.0.7", "Cookie": f"sessionid={session}"}  # plain HTTP, the IP
    server = Server(env, tmp_path / "gunicorn.log")
    log = []

    def get(phase, path, headers):
        status, body, ms = server.get(path, headers)
        log.append(f"{phase:6} {path:8} {status} {ms:5} ms")
        return status, body

    try:
        assert get("up", "/", browser)[0] == 200
        assert get("up", "/healthz", probe)[0] == 200
        assert get("up", "/readyz", probe)[0] == 200

        cluster.stop()
        for _ in range(3):
            status, body = get("down", "/", browser)
            assert status == 503
            assert "服务暂时不可用，您已保存的内容不会丢失" in body
        status, body = get("down", "/healthz", probe)
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, body = get("down", "/readyz", probe)
        assert status == 503
        checks = json.loads(body)["checks"]
        assert checks["database"]["status"] == "error"
        assert checks["cache"]["status"] == "ok"

        cluster.start()
        assert get("back", "/", browser)[0] == 200  # the first request, same process
        assert get("back", "/readyz", probe)[0] == 200
        assert server.process.poll() is None
    finally:
        server.stop()
        print("\n" + "\n".join(log))
        if any(" 500 " in line for line in log):
            print((tmp_path / "gunicorn.log").read_text()[-4000:])
