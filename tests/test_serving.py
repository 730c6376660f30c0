"""How gunicorn is served (gunicorn.conf.py, deploy/nginx-strategy.conf): an idle keep-alive
connection outlives nginx's upstream ones, so nginx never posts on a socket gunicorn is closing
(a reset POST is not retried: the participant would see a 502)."""
import http.client
import re
import runpy
import time
from urllib.parse import urlsplit

from tests.servers import ROOT, served_app


def nginx_upstream_keepalive_timeout() -> int:
    conf = (ROOT / "deploy" / "nginx-strategy.conf").read_text()
    upstream = re.search(r"upstream strategy \{(.*?)\}", conf, re.S).group(1)
    return int(re.search(r"keepalive_timeout (\d+)s;", upstream).group(1))


def test_gunicorn_keeps_idle_connections_longer_than_nginx_keeps_its_upstream_ones():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["keepalive"] > nginx_upstream_keepalive_timeout()


def test_a_connection_idle_between_two_requests_is_still_served(tmp_path):
    with served_app(tmp_path, workers=1) as base:
        address = urlsplit(base)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        connection.request("GET", "/")
        first = connection.getresponse()
        first.read()
        socket_used = connection.sock
        time.sleep(3)  # longer than gunicorn's default keepalive (2 s)
        connection.request("GET", "/")
        again = connection.getresponse()
        again.read()
        assert (first.status, again.status) == (200, 200)
        assert connection.sock is socket_used  # the same connection, not a new one
        connection.close()
