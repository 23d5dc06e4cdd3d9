"""A near-zero-cost payment gateway for the CPU phases: nginx answering from its config.

The mock gateway is Python: on a 2-core machine it spends about as much CPU per charge as
the API spends around the call, and that CPU comes out of the cores the API is measured
on. nginx answers `POST /payments` with `{"payment_id": <Idempotency-Key>, "status":
"approved"}` (what the API's reply parsing takes for an approval; the API sends the
payment id as the key) for a few microseconds of CPU, so the bench charges something whose
cost it can report next to the API's and that barely moves the result. It also answers a
lookup (`GET /payments/<id>`: approved), `/healthz`, and `POST /v1/traces` (an OTLP/HTTP
collector that keeps nothing: an empty protobuf message is a valid export response), so a
`--tracing on` run exports its spans somewhere real for the price of a local request.

nginx is Debian's `nginx-light`, installed here when it is missing (apt-get, with sudo
when not root); it runs as the current user from a private prefix, in its own process
group, with one worker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from procs import process

_CONFIG = """
worker_processes 1;
daemon off;
master_process on;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    server {{
        listen {host}:{port} reuseport;
        default_type application/json;
        location = /payments {{
            return 200 '{{"payment_id":"$http_idempotency_key","status":"approved"}}';
        }}
        location ~ ^/payments/(?<payment>[0-9a-f-]+)$ {{
            return 200 '{{"payment_id":"$payment","status":"approved"}}';
        }}
        location = /healthz {{ return 200 '{{"status":"ok"}}'; }}
        location = /v1/traces {{
            default_type application/x-protobuf;
            return 200 '';
        }}
    }}
}}
"""


def nginx_binary() -> str:
    """nginx's path, installing Debian's nginx-light first if it is not there."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "-q", "nginx-light"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run([*sudo, "apt-get", "update", "-q"], env=env, check=True)
        subprocess.run(install, env=env, check=True)
    # The package may start a system nginx on port 80; ours runs on its own port and prefix.
    return shutil.which("nginx") or "/usr/sbin/nginx"


@contextmanager
def stub_gateway(host: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """nginx serving the stub on `host:port` (its files in a temp dir), in its own process
    group, stopped on exit."""
    binary = nginx_binary()
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as prefix:
        conf = Path(prefix) / "nginx.conf"
        conf.write_text(_CONFIG.format(prefix=prefix, host=host, port=port))
        cmd = [binary, "-p", prefix, "-c", str(conf), "-e", "stderr"]
        with process(cmd, {}, "stub-gateway") as proc:
            yield proc
