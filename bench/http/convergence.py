#!/usr/bin/env python3
"""The probe of convergence.sh: writes one product through one sample process while readers poll it
on every process, and measures how long after each write returned the other processes served it.

    convergence.py WRITER_URL OTHER_URL... --password PW [--product 7] [--writes 300] [--seconds 30]

Every URL must be on this machine (127.0.0.1, localhost or [::1]). Readers poll GET /api/products/{id}
and GET /api/products/featured back to back, one thread per (process, endpoint), each on one
keep-alive connection, pausing --poll-pause-ms (1) between polls, recording when every request went out and when its body was in and which
version it showed. The writer logs in as alice (admin) and PUTs versions 1, 2, ... into the
product's name and price (featured, so the featured list shows them too), pausing PAUSE_MS (20-80)
between writes. The run stops after --writes writes or --seconds seconds, whichever comes first.

Convergence of a write on another process: from the moment the PUT returned to the end of that
process's first read that showed the new version (or a newer one) and began after the last read
that showed an older one began, over both endpoints; so it includes that read's own time, which is
printed beside it. Reads of the writing process that began after a write returned must show it;
reads of the others that began more than --bound seconds after must too: both are counted.
"""
import argparse
import http.client
import json
import math
import random
import re
import statistics
import sys
import threading
import time
import urllib.parse

LOCAL = re.compile(r"^http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/?$")


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("urls", nargs="+")
    p.add_argument("--password", required=True)
    p.add_argument("--email", default="alice@example.com")
    p.add_argument("--product", type=int, default=7)
    p.add_argument("--writes", type=int, default=300)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--bound", type=float, default=1.0)
    p.add_argument("--pause-ms", default="20-80")
    p.add_argument("--poll-pause-ms", type=float, default=1.0, help="between two polls of one reader, so the probe itself is not the load")
    p.add_argument("--metrics-before", default=None, help="a JSON file of backplane lag buckets per process, taken before")
    a = p.parse_args()
    if len(a.urls) < 2:
        p.error("give the writing process's URL and at least one other")
    for url in a.urls:
        if not LOCAL.match(url):
            p.error(f"refusing {url}: load is only ever sent to this machine (http://127.0.0.1:PORT, localhost or [::1])")
    if not 1 <= a.writes <= 100_000 or not 0 < a.seconds <= 600:
        p.error("--writes must be 1..100000 and --seconds 0..600")
    return a


def connect(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port or 80, timeout=10)


def version_of(name, product):
    prefix = f"Convergence {product} v"
    return int(name[len(prefix):]) if name.startswith(prefix) else -1


class Poller(threading.Thread):
    def __init__(self, instance, url, path, product, stop, pause):
        super().__init__(daemon=True)
        self.instance, self.url, self.path, self.product, self.stop, self.pause = instance, url, path, product, stop, pause
        self.reads = []  # (start_ns, end_ns, version)
        self.errors = 0

    def run(self):
        conn = connect(self.url)
        while not self.stop.is_set():
            start = time.perf_counter_ns()
            try:
                conn.request("GET", self.path)
                resp = conn.getresponse()
                body = resp.read()
                end = time.perf_counter_ns()
            except (OSError, http.client.HTTPException):
                self.errors += 1
                conn.close()
                conn = connect(self.url)
                time.sleep(0.01)
                continue
            if resp.status != 200:
                self.errors += 1
                continue
            data = json.loads(body)
            if isinstance(data, list):
                row = next((r for r in data if r["id"] == self.product), None)
                version = -1 if row is None else version_of(row["name"], self.product)
            else:
                version = version_of(data["name"], self.product)
            self.reads.append((start, end, version))
            if self.pause > 0:
                time.sleep(self.pause)
        conn.close()


LAG = re.compile(r'^hotpath_backplane_lag_milliseconds_bucket\{(?:.*,)?le="([^"]+)"(?:,.*)?\} (\S+)$')


def lag_buckets(url):
    """The backplane lag histogram a process exports on /metrics: cumulative count per upper bound (ms)."""
    conn = connect(url)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    buckets = {}
    for line in text.splitlines():
        m = LAG.match(line)
        if m:
            le = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
            buckets[le] = buckets.get(le, 0) + float(m.group(2))
    return buckets


def bucket_quantile(before, after, q):
    """The upper bound of the bucket holding the q quantile of what arrived between two scrapes."""
    counts = sorted((le, after.get(le, 0) - before.get(le, 0)) for le in after)
    if not counts or counts[-1][1] <= 0:
        return None
    for le, cumulative in counts:
        if cumulative >= q * counts[-1][1]:
            return le
    return None


def request(conn, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


def pct(values, q):
    """The q quantile, nearest rank."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def main():
    a = parse_args()
    lo, hi = (int(x) for x in a.pause_ms.split("-"))
    writer = connect(a.urls[0])
    status, body = request(writer, "POST", "/api/auth/login", {"email": a.email, "password": a.password})
    if status != 200:
        sys.exit(f"login on {a.urls[0]} answered {status}")
    token = json.loads(body)["token"]

    failures = []

    def write(version):
        start = time.perf_counter_ns()
        status, _ = request(writer, "PUT", f"/api/products/{a.product}",
                            {"name": f"Convergence {a.product} v{version}", "description": "convergence probe",
                             "price": version, "isFeatured": True}, token)
        if status != 200:
            failures.append(status)
        return start, time.perf_counter_ns(), status == 200

    first = write(0)
    if not first[2]:
        sys.exit("the first write failed")
    stop = threading.Event()
    paths = {"item": f"/api/products/{a.product}", "featured": "/api/products/featured"}
    pollers = [Poller(i, url, path, a.product, stop, a.poll_pause_ms / 1000) for i, url in enumerate(a.urls) for path in paths.values()]
    for p in pollers:
        p.start()
    time.sleep(0.5)
    lag_before = {i: lag_buckets(url) for i, url in enumerate(a.urls) if i != 0}

    # Version 0 counts for the stale checks (nothing may show the seeded row after it), not for the delays:
    # no reader was running yet when it returned.
    writes, failed = [(0, first[0], first[1])], 0
    rng = random.Random(a.product)
    began = time.perf_counter()
    for version in range(1, a.writes + 1):
        if time.perf_counter() - began >= a.seconds:
            break
        start, end, ok = write(version)
        if ok:
            writes.append((version, start, end))
        else:
            failed += 1
        time.sleep(rng.uniform(lo, hi) / 1000)
    time.sleep(0.5)
    stop.set()
    lag_after = {i: lag_buckets(url) for i, url in enumerate(a.urls) if i != 0}
    for p in pollers:
        p.join(timeout=15)

    by_instance = {}
    for p in pollers:
        by_instance.setdefault(p.instance, []).extend(p.reads)
    for reads in by_instance.values():
        reads.sort()

    bound_ns = int(a.bound * 1e9)
    writer_stale = late_stale = unmeasured = 0
    delays = {i: [] for i in by_instance if i != 0}
    ends = [w[2] for w in writes]
    for i, reads in by_instance.items():
        for start, end, version in reads:
            # The newest write that had returned before this read began.
            newest = None
            lo_i, hi_i = 0, len(ends)
            while lo_i < hi_i:
                mid = (lo_i + hi_i) // 2
                if ends[mid] < start:
                    lo_i = mid + 1
                else:
                    hi_i = mid
            if lo_i > 0:
                newest = writes[lo_i - 1]
            if newest is None or version >= newest[0]:
                continue
            superseding = next(w for w in writes if w[0] > version)
            if i == 0:
                writer_stale += 1
            elif start - superseding[2] > bound_ns:
                late_stale += 1
    for version, _, end in writes[1:]:
        for i in delays:
            reads = by_instance[i]
            if not reads or reads[0][0] > end:
                unmeasured += 1
                continue
            after = [r for r in reads if r[1] > end]
            last_old = max((k for k, r in enumerate(after) if r[2] < version), default=-1)
            fresh = [r[1] for r in after[last_old + 1:] if r[2] >= version]
            if not fresh:
                unmeasured += 1
                continue
            delays[i].append(max(0, min(fresh) - end) / 1e6)

    took = {i: [(r[1] - r[0]) / 1e6 for r in reads] for i, reads in by_instance.items()}
    all_delays = [d for ds in delays.values() for d in ds]
    result = {
        "writes": len(writes) - 1, "failed_writes": failed, "failed_write_statuses": failures,
        "reads": {i: len(r) for i, r in by_instance.items()},
        "read_errors": sum(p.errors for p in pollers),
        "writer_stale": writer_stale, "late_stale": late_stale, "bound_s": a.bound, "unmeasured": unmeasured,
        "convergence_ms": {"p50": pct(all_delays, 0.5), "p90": pct(all_delays, 0.9), "p99": pct(all_delays, 0.99), "max": max(all_delays, default=float("nan")), "n": len(all_delays)},
        "per_process_ms": {i: {"p50": pct(d, 0.5), "p99": pct(d, 0.99), "max": max(d, default=float("nan")), "n": len(d)} for i, d in delays.items()},
        "poll_read_ms": {i: {"p50": pct(t, 0.5), "p99": pct(t, 0.99)} for i, t in took.items()},
        "backplane_lag_bucket_ms": {i: {"p50": bucket_quantile(lag_before[i], lag_after[i], 0.5), "p99": bucket_quantile(lag_before[i], lag_after[i], 0.99),
                                        "messages": lag_after[i].get(float("inf"), 0) - lag_before[i].get(float("inf"), 0)} for i in lag_after},
        "write_ms": {"p50": pct([(w[2] - w[1]) / 1e6 for w in writes], 0.5), "p99": pct([(w[2] - w[1]) / 1e6 for w in writes], 0.99)},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
