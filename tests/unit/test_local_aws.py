"""The embedded AWS's health check proves the server answers, whatever state it holds."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scripts import local_aws

STS_ANSWER = (
    b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
    b"<Arn>arn:aws:sts::123456789012:user/moto</Arn><UserId>AKIA</UserId><Account>123456789012</Account>"
    b"</GetCallerIdentityResult></GetCallerIdentityResponse>"
)


def _serve(answers_aws: bool):
    """A stand-in for moto after a Ctrl-C mid-apply: its state dump fails; AWS calls may work."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # /moto-api/data.json and anything else
            self.send_response(500)
            self.end_headers()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ok = answers_aws and b"GetCallerIdentity" in body and "/sts/" in self.headers.get("Authorization", "")
            self.send_response(200 if ok else 500)
            self.end_headers()
            self.wfile.write(STS_ANSWER if ok else b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def half_created_state():
    server, endpoint = _serve(answers_aws=True)
    yield endpoint
    server.shutdown()


def test_a_server_whose_state_dump_fails_but_that_answers_aws_is_healthy(half_created_state):
    assert local_aws._healthy(half_created_state)


def test_a_server_that_does_not_answer_aws_is_not_healthy():
    server, endpoint = _serve(answers_aws=False)
    try:
        assert not local_aws._healthy(endpoint)
    finally:
        server.shutdown()
    assert not local_aws._healthy(endpoint)  # nothing listening at all


def test_start_reuses_a_live_server_after_an_interrupted_apply(half_created_state, tmp_path, monkeypatch):
    """The next `make deploy` after a Ctrl-C carries on with the same server and what it holds."""
    state_file = tmp_path / "server.json"
    state_file.write_text(json.dumps({"pid": os.getpid(), "port": 0, "endpoint": half_created_state}))
    monkeypatch.setattr(local_aws, "STATE_FILE", state_file)
    monkeypatch.setattr(local_aws, "READY_TIMEOUT_S", 5)
    assert local_aws.start() == half_created_state


def test_start_never_adopts_another_programs_server_on_its_port(half_created_state, tmp_path, monkeypatch):
    """Parallel starts raced for one port: ours lost the bind and exited, and the other program's
    server answered in its place, so a deploy went into a server that was not ours."""
    port = int(half_created_state.rsplit(":", 1)[1])
    monkeypatch.setattr(local_aws, "STATE_DIR", tmp_path)
    monkeypatch.setattr(local_aws, "STATE_FILE", tmp_path / "server.json")
    monkeypatch.setattr(local_aws, "LOG_FILE", tmp_path / "moto.log")
    monkeypatch.setattr(local_aws, "READY_TIMEOUT_S", 20)
    monkeypatch.setattr(local_aws, "_free_port", lambda: port)  # the port looked free a moment ago
    with pytest.raises(SystemExit, match="did not become ready"):
        local_aws.start()
    assert not (tmp_path / "server.json").exists()


def test_tests_start_servers_on_any_free_port():
    assert os.environ["LOCAL_AWS_PORT"] == "0" and local_aws.PREFERRED_PORT == 0
