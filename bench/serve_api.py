#!/usr/bin/env python3
"""Benchmark of the join service's API on loopback (a script that prints figures, not a test).

Starts `eov serve` (release build) on 127.0.0.1 with an ephemeral port in a temp state dir,
with the stand-in compute plays of the tests (tests/fixtures/serve/plays, local connection),
then measures:

* requests/s of `GET /v1/nodes` (admin token, 50 nodes known) with C concurrent keep-alive
  HTTPS connections, for C = 1, 4, 16;
* job submission latency: `POST /v1/join` until the 202 answer (median and p95 of 50);
* join to `up`: `eov join` (the real client, pinned certificate) until it exits 0, median of 5.

Standard library only (http.client + ssl, threads). Usage:

    python3 bench/serve_api.py [--seconds 5] [--no-build]
"""

import argparse
import http.client
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EOV = REPO / "target" / "release" / "eov"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl bench@eov"


def token(state, *args):
    out = subprocess.run([str(EOV), "token", "create", "--state-dir", state, *args],
                         check=True, capture_output=True, text=True).stdout
    return next(l.split(": ", 1)[1] for l in out.splitlines() if l.startswith("token: "))


def connection(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the client pins in `eov join`; here only speed matters
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx)


def request(conn, method, path, tok, body=None):
    headers = {"Authorization": f"Bearer {tok}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, data


def wait_job(port, tok, job_id):
    conn = connection(port)
    while True:
        _, data = request(conn, "GET", f"/v1/jobs/{job_id}", tok)
        job = json.loads(data)
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)


def rps(port, tok, clients, seconds):
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def worker(i):
        conn = connection(port)
        while time.monotonic() < stop:
            status, _ = request(conn, "GET", "/v1/nodes", tok)
            assert status == 200, status
            counts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--bin", "eov"], cwd=REPO, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "out").mkdir()
        (root / "inventory").write_text(
            f"[controller]\nlocalhost eov_connection=local out={root}/out delay=0\n")
        (root / "ctl.pub").write_text(KEY + "\n")
        state = str(root / "state")
        join_tok = token(state, "--ttl", "1h")
        admin = token(state, "--admin", "--ttl", "1h")
        server = subprocess.Popen(
            [str(EOV), "serve", "--listen", "127.0.0.1:0", "--state-dir", state,
             "--plays-dir", str(REPO / "tests/fixtures/serve/plays"), "-i", "inventory",
             "--ssh-public-key", "ctl.pub", "--max-auth-failures", "1000000"],
            cwd=root, stdout=subprocess.PIPE, text=True)
        try:
            addr = server.stdout.readline().strip().rsplit("https://", 1)[1]
            pin = server.stdout.readline().strip().split(" ", 1)[1]
            port = int(addr.rsplit(":", 1)[1])
            conn = connection(port)

            latencies = []
            jobs = []
            for i in range(50):
                body = json.dumps({"name": f"bench-{i}"})
                t0 = time.perf_counter()
                status, data = request(conn, "POST", "/v1/join", join_tok, body)
                latencies.append(time.perf_counter() - t0)
                assert status == 202, (status, data)
                jobs.append(json.loads(data)["id"])
            for j in jobs:
                assert wait_job(port, admin, j)["status"] == "ok"
            latencies.sort()
            print(f"job submission (POST /v1/join -> 202): median {statistics.median(latencies)*1000:.2f} ms, "
                  f"p95 {latencies[int(len(latencies)*0.95)]*1000:.2f} ms")

            for c in (1, 4, 16):
                print(f"GET /v1/nodes (50 nodes), {c:>2} connection(s): {rps(port, admin, c, args.seconds):,.0f} requests/s")

            times = []
            for i in range(5):
                t0 = time.perf_counter()
                subprocess.run([str(EOV), "join", f"https://{addr}", "--token", join_tok,
                                "--ca-cert-hash", pin, "--name", f"joiner-{i}",
                                "--authorized-keys", str(root / "authorized_keys")],
                               check=True, capture_output=True)
                times.append(time.perf_counter() - t0)
            print(f"eov join -> up (stand-in play, local): median {statistics.median(times)*1000:.0f} ms")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    sys.exit(main())
