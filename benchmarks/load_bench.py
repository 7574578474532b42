"""Load benchmark: QR resolution and the scene manifest under gunicorn, beside nginx serving the same bytes.

Run: ``.venv/bin/python benchmarks/load_bench.py`` (needs Debian's ``wrk`` and ``nginx-light``;
``apt-get install -y wrk nginx-light``). Everything listens on 127.0.0.1 and stops by itself.
Prints requests/s, p50/p99 latency and errors for each target, and our ratio to nginx.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


@dataclass
class WrkResult:
    target: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_up(url: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# wrk's Lua hook prints latency percentiles and error counts in a form easy to parse.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
               + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT %f %f %f %d\\n", summary.requests / (summary.duration / 1e6),
           latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
"""


def run_wrk(name: str, url: str, seconds: int, connections: int, script: Path) -> WrkResult:
    output = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    match = re.search(r"RESULT (\S+) (\S+) (\S+) (\d+)", output)
    if match is None:
        raise RuntimeError(f"wrk printed no result for {url}:\n{output}")
    rps, p50, p99, errors = match.groups()
    # wrk counts non-2xx/3xx answers as status errors; a 302 from /q/ is a success.
    return WrkResult(name, float(rps), float(p50), float(p99), int(errors))


def start_gunicorn(app: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """gunicorn as the service is deployed: gthread, ``workers`` processes of 4 threads."""
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            app,
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn workers (default 2: one per core on a 2-core machine)",
    )
    parser.add_argument(
        "--database-url", help="e.g. postgresql+psycopg://postgres@127.0.0.1/hue_load (an empty database)"
    )
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path("/usr/sbin/nginx").exists():
            sys.exit(f"{tool} is not installed: apt-get install -y wrk nginx-light")

    with tempfile.TemporaryDirectory(prefix="hue-ar-load-") as scratch:
        root = Path(scratch)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUE_AR_")}
        env |= {"HUE_AR_INSTANCE_PATH": str(root / "instance"), "HUE_AR_WORKER_MODE": "external"}
        if args.database_url:
            env |= {"HUE_AR_DATABASE_URL": args.database_url, "HUE_AR_SECRET_KEY": "load-benchmark-only"}
        hue_ar = [sys.executable, "-m", "ar_service.cli"]
        subprocess.run([*hue_ar, "init"], env=env, cwd=REPO, check=True, capture_output=True)
        imported = subprocess.run(
            [*hue_ar, "import-site", str(REPO / "assets" / "sample-mask"), "--publish"],
            env=env,
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        code = re.search(r"/q/(\S+)", imported)
        assert code is not None, imported
        port, ceiling_port = free_port(), free_port()
        gunicorn = start_gunicorn("ar_service.app:create_app()", port, args.workers, env)
        base = f"http://127.0.0.1:{port}"
        manifest_url = f"{base}/api/v1/sites/sample-mask/scene?lang=en"
        try:
            wait_up(manifest_url)
            with urllib.request.urlopen(manifest_url) as reply:
                body = reply.read()
            static = root / "www"
            static.mkdir()
            root.chmod(0o755)  # nginx's workers run as an unprivileged user: let them read the file
            (static / "scene.json").write_bytes(body)
            ceiling = start_gunicorn(
                "benchmarks.wsgi_ceiling:app",
                ceiling_port,
                args.workers,
                env | {"HUE_AR_CEILING_BODY": str(static / "scene.json")},
            )
            nginx_port, cache_port = free_port(), free_port()
            conf = root / "nginx.conf"
            # One nginx: the static file, and a caching reverse proxy in front of gunicorn (as a CDN or
            # a front server would be), which keeps what our Cache-Control headers allow.
            conf.write_text(
                f"daemon off; worker_processes {args.workers}; pid {root}/nginx.pid; error_log stderr;\n"
                "events { worker_connections 1024; }\n"
                f"http {{ access_log off; proxy_cache_path {root}/cache keys_zone=hue:10m;\n"
                f"  upstream hue {{ server 127.0.0.1:{port}; keepalive 16; }}\n"
                f"  server {{ listen 127.0.0.1:{nginx_port}; root {static};\n"
                "    location / { add_header Cache-Control 'public, max-age=60'; } }\n"
                f"  server {{ listen 127.0.0.1:{cache_port};\n"
                "    location / { proxy_pass http://hue; proxy_cache hue; proxy_http_version 1.1;\n"
                "      proxy_set_header Connection ''; proxy_set_header Host $host; } } }\n"
            )
            nginx = subprocess.Popen(
                ["nginx", "-c", str(conf)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                wait_up(f"http://127.0.0.1:{nginx_port}/scene.json")
                wait_up(f"http://127.0.0.1:{ceiling_port}/")
                script = root / "report.lua"
                script.write_text(WRK_SCRIPT)
                results = [
                    run_wrk(
                        "nginx static manifest",
                        f"http://127.0.0.1:{nginx_port}/scene.json",
                        args.seconds,
                        args.connections,
                        script,
                    ),
                    run_wrk(
                        "gunicorn ceiling (bytes only)",
                        f"http://127.0.0.1:{ceiling_port}/",
                        args.seconds,
                        args.connections,
                        script,
                    ),
                    run_wrk("hue-ar manifest", manifest_url, args.seconds, args.connections, script),
                    run_wrk(
                        "hue-ar /q/<code>",
                        f"{base}/q/{code.group(1)}",
                        args.seconds,
                        args.connections,
                        script,
                    ),
                    run_wrk(
                        "manifest via nginx cache",
                        f"http://127.0.0.1:{cache_port}/api/v1/sites/sample-mask/scene?lang=en",
                        args.seconds,
                        args.connections,
                        script,
                    ),
                ]
            finally:
                os.killpg(nginx.pid, signal.SIGTERM)
                nginx.wait(10)
                stop(ceiling)
        finally:
            stop(gunicorn)

    reference = results[0].requests_per_s
    print(f"{'target':28} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs nginx':>9}")
    for result in results:
        print(
            f"{result.target:28} {result.requests_per_s:10.0f} {result.p50_ms:8.2f} {result.p99_ms:8.2f} "
            f"{result.errors:7d} {result.requests_per_s / reference:9.2f}"
        )
    out = REPO / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    (out / "load_bench.json").write_text(json.dumps([r.__dict__ for r in results], indent=2))


if __name__ == "__main__":
    main()
