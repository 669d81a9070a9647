"""`make run` prints the address and the demo logins once the web server answers;
`make logins` prints them again."""

import http.server
import io
import socket
import threading

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from grids.demo import _terminal_width
from grids.management.commands import demo_logins


def logins(*args):
    out = io.StringIO()
    with translation.override("zh-hans"):
        call_command("demo_logins", *args, stdout=out)
    return out.getvalue()


def test_the_address_and_every_demo_login_in_chinese_in_aligned_columns(world):
    lines = logins().strip().splitlines()
    assert lines[:2] == ["网格管理：http://127.0.0.1:8000/", "演示账号（密码均为 grid-demo-2026）"]
    rows = [line.split() for line in lines[2:]]
    assert rows[0] == ["用户名", "角色", "区域"]
    assert rows[1] == ["admin", "系统管理员", "—"]
    assert ["district_officer", "区级工作人员", "T"] in rows
    assert ["sm_a", "综合服务站站长", "T-01-01"] in rows
    assert ["gl_b", "网格长", world.b.grid.code] in rows
    # In a terminal, where a Chinese character takes two columns, the areas line up.
    starts = {_terminal_width(line[: line.rindex(" ") + 1]) for line in lines[2:]}
    assert len(starts) == 1


@pytest.mark.django_db
def test_without_demo_data_it_says_how_to_make_it():
    with pytest.raises(CommandError, match="make run"):
        logins()


def test_seed_demo_prints_the_logins_unless_told_not_to(world):
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "grid-demo-2026" in out.getvalue()
    assert "sm_a" in out.getvalue()
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", "--no-logins", stdout=out)
    assert "grid-demo-2026" not in out.getvalue()
    assert "sm_a" not in out.getvalue()


@pytest.fixture
def web_server():
    """A server on a free port answering /healthz, as runserver does once it has started."""

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_with_wait_it_prints_once_the_web_server_answers(world, web_server, monkeypatch):
    monkeypatch.setattr(demo_logins, "SETTLE_SECONDS", 0)
    text = logins("--wait", "--url", web_server, "--timeout", "10")
    assert text.strip().splitlines()[0] == (
        f"网格管理已启动：{web_server}（按 Ctrl-C 全部停止；`make logins` 可再次列出以下账号）。"
    )
    assert "sm_a" in text


def test_with_wait_it_prints_nothing_when_no_server_answers(world):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{free_port}/"
    assert logins("--wait", "--url", url, "--timeout", "1") == ""
