#!/usr/bin/env python3
"""Rewrites the generated tables of docs/benchmarks.md from one BenchmarkDotNet run.

Reads <artifacts>/results/*-report.csv (the CSV exporter configured in
bench/Hotpath.Benchmarks/Infrastructure/BenchConfig.cs: plain nanoseconds and bytes, with
the "Factory runs" and "Check" columns), host.json written by the benchmark host, and the machine facts
(nproc, CPU model, OS). Every generated part of the document sits between
<!-- bench:NAME --> and <!-- /bench:NAME --> markers; a part is replaced only when its
suite ran, so a filtered run leaves the other tables (and their dates) as they were.
A part missing from the document is appended at its end. Text outside the markers is
never touched.

Usage: update_docs.py ARTIFACTS_DIR DOCS_FILE
"""

from __future__ import annotations

import csv
import json
import os
import platform
import re
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

# Known suites: marker name, heading used when the part is first appended, and how to render.
SUITES = OrderedDict([
    ("CacheCoreBenchmarks", ("core", "Hotpath against the floor (hit target)", "core")),
    ("PeerHitBenchmarks", ("peer-hit", "Hit", "peer")),
    ("PeerMissSetBenchmarks", ("peer-missset", "Miss, then set", "peer")),
    ("PeerHotKeyBenchmarks", ("peer-hotkey", "GetOrSet on a hot key, 64 callers in flight (per call)", "peer")),
    ("PeerStampedeBenchmarks", ("peer-stampede", "Stampede: 1000 callers on a cold key, 50 ms factory (per stampede)", "peer")),
    ("L1HitBenchmarks", ("l1-hit", "Hit from process memory (L1)", "peer")),
    ("ResponseCacheHitBenchmarks", ("response-cache-hit", "Response cache hit through an in-process ASP.NET Core host (per request)", "generic")),
])

SIZES = [("small", "~300 B object"), ("large", "~20 KB list")]

FILE_RE = re.compile(r"^(?P<ns>[\w.]+)\.(?P<cls>\w+?)(?:_(?P<args>.*?)_)?-report\.csv$")


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    artifacts = Path(sys.argv[1])
    docs = Path(sys.argv[2])
    results = artifacts / "results"
    csvs = sorted(results.glob("*-report.csv"))
    if not csvs:
        print(f"update_docs: no *-report.csv under {results}; nothing to do", file=sys.stderr)
        return 1

    host = load_json(results / "host.json")
    machine = machine_facts(host, results)

    groups: "OrderedDict[str, list]" = OrderedDict()
    for path in csvs:
        match = FILE_RE.match(path.name)
        if not match:
            continue
        cls = match.group("cls")
        args = match.group("args") or ""
        size = "large" if args.startswith("List") else "small" if args else ""
        rows = read_rows(path)
        groups.setdefault(cls, []).append((size, args, rows, path))

    parts: "OrderedDict[str, tuple]" = OrderedDict()
    parts["machine"] = ("Machine and run", render_machine(machine, host))
    stamp = f"_Measured {machine['date']} on {machine['short']}; times are medians._"
    for cls, sets in groups.items():
        marker, heading, kind = SUITES.get(cls, (slug(cls), cls, "generic"))
        if kind == "core":
            body = render_core(sets) + render_paired_core(results / "paired.tsv")
        elif kind == "peer":
            body = render_peer(sets)
            if cls == "PeerHitBenchmarks":
                body += render_paired_peers(results / "paired.tsv")
        else:
            body = render_generic(sets)
            if cls == "RateLimiterBenchmarks":
                body += render_paired_ratelimit(results / "paired-ratelimit.tsv")
        parts[marker] = (heading, stamp + "\n\n" + body)

    text = docs.read_text() if docs.exists() else "# Benchmarks\n"
    for marker, (heading, body) in parts.items():
        text = replace_part(text, marker, heading, body)
    docs.parent.mkdir(parents=True, exist_ok=True)
    docs.write_text(text)
    print(f"update_docs: rewrote {', '.join(parts)} in {docs}")
    return 0


# ---------------------------------------------------------------- inputs

def load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def read_rows(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["_method"] = row["Method"].strip("'")
        row["_median"] = number(row.get("Median [ns]"))
        row["_mean"] = number(row.get("Mean [ns]"))
        row["_alloc"] = number(row.get("Allocated [B]"))
    return rows


def number(text: str | None) -> float | None:
    if text is None:
        return None
    text = text.replace(",", "").strip()
    if text in ("", "NA", "-", "?"):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def machine_facts(host: dict, results: Path) -> dict:
    facts = {}
    try:
        facts["nproc"] = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        facts["nproc"] = str(os.cpu_count())
    facts["cpu"] = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    facts["os"] = platform.platform()
    try:
        release = dict(
            line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
        )
        facts["os"] = f"{release.get('PRETTY_NAME', '').strip(chr(34))}, kernel {platform.release()}"
    except OSError:
        pass
    facts["sdk"] = ""
    facts["bdn"] = ""
    for md in sorted(results.glob("*-report-github.md")):
        for line in md.read_text().splitlines():
            line = line.strip()
            if line.startswith(".NET SDK"):
                facts["sdk"] = line
            elif line.startswith("BenchmarkDotNet v"):
                facts["bdn"] = line.split(",")[0]
        break
    started = host.get("started_utc", "")
    facts["date"] = started[:10] if started else "unknown date"
    facts["short"] = f"{facts['nproc']} cores ({facts['cpu']})"
    return facts


# ---------------------------------------------------------------- rendering

def render_machine(m: dict, host: dict) -> str:
    lines = [
        f"- Date: {host.get('started_utc', 'unknown')[:16].replace('T', ' ')} UTC",
        f"- Machine: `nproc` = {m['nproc']}, {m['cpu']}",
        f"- OS: {m['os']}",
        f"- .NET: {host.get('runtime', '?')} ({m['sdk'] or 'SDK unknown'}), {host.get('gc', '?')} GC; {m['bdn'] or 'BenchmarkDotNet'}, in-process toolchain",
        f"- Redis: {host.get('redis') or 'unknown'} on 127.0.0.1, one server for every peer, one process for every suite",
        f"- Load average (1/5/15 min) before: {load(host.get('load_before'))}; after: {load(host.get('load_after'))}",
    ]
    if host.get("quick"):
        lines.append("- **Quick run (HOTPATH_BENCH_QUICK=1): a smoke test, these numbers are not measurements.**")
    return "\n".join(lines)


def load(text: str | None) -> str:
    return " / ".join((text or "?").split()[:3])


def fmt_time(ns: float | None) -> str:
    if ns is None:
        return "n/a"
    if ns < 1_000:
        return f"{ns:.1f} ns" if ns < 100 else f"{ns:.0f} ns"
    if ns < 1_000_000:
        us = ns / 1_000
        return f"{us:.1f} µs" if us < 100 else f"{us:.0f} µs"
    ms = ns / 1_000_000
    return f"{ms:.1f} ms" if ms < 100 else f"{ms:,.0f} ms"


def fmt_bytes(b: float | None) -> str:
    if b is None:
        return "n/a"
    if b < 1024:
        return f"{b:.0f} B"
    if b < 1024 * 1024:
        return f"{b / 1024:.1f} KB"
    return f"{b / 1024 / 1024:.1f} MB"


def fmt_ratio(value: float | None, base: float | None) -> str:
    if value is None or base is None or base == 0:
        return "—"
    r = value / base
    if r >= 10:
        return f"{r:.0f}×"
    if r >= 0.1:
        return f"{r:.2f}×"
    return f"{r:.2g}×"


def hotpath_row(rows: list[dict]) -> dict | None:
    for row in rows:
        if row["_method"] == "Hotpath":
            return row
    # Suites with one Hotpath configuration name it, e.g. "Hotpath (L1)".
    return next((row for row in rows if row["_method"].startswith("Hotpath (")), None)


def render_core(sets: list) -> str:
    by_size = {size: rows for size, _, rows, _ in sets}
    header = "| Case | Peer | " + " | ".join(f"{label}: time | {label}: allocated" for _, label in SIZES) + " |"
    lines = [header, "|" + " --- |" * (2 + 2 * len(SIZES))]
    verdicts = []
    for category, case in (("Hit", "hit"), ("MissSet", "miss + set")):
        for method in ("SE.Redis + STJ (floor)", "Hotpath"):
            cells = [case, method]
            for size, label in SIZES:
                rows = [r for r in by_size.get(size, []) if r.get("Categories") == category]
                floor = next((r for r in rows if r["_method"].startswith("SE.Redis")), None)
                row = next((r for r in rows if r["_method"] == method), None)
                if row is None:
                    cells += ["n/a", "n/a"]
                    continue
                time = fmt_time(row["_median"])
                alloc = fmt_bytes(row["_alloc"])
                if method == "Hotpath" and floor is not None:
                    time += f" ({fmt_ratio(row['_median'], floor['_median'])})"
                    if row["_alloc"] is not None and floor["_alloc"] is not None:
                        alloc += f" ({row['_alloc'] - floor['_alloc']:+.0f} B)"
                    if category == "Hit":
                        verdicts.append(verdict(label, row, floor))
                cells += [time, alloc]
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("In brackets: Hotpath's time as a multiple of the floor's, and its allocation minus the floor's.")
    lines.append("Target for a hit: at most 1.10× the floor's time and at most +256 B. BenchmarkDotNet measures one")
    lines.append("benchmark after the other, so on a busy machine load that changes in between lands on one side of")
    lines.append("these ratios; the interleaved check below, when present, is the one the verdict should rest on.")
    lines.append("")
    lines += [f"- {v}" for v in verdicts]
    return "\n".join(lines)


PEER_NAMES = {
    "Raw": "SE.Redis + STJ (floor)",
    "Hotpath": "Hotpath",
    "Distributed": "IDistributedCache",
    "HybridL2": "HybridCache (L2 only)",
    "FusionL2": "FusionCache (L2 only)",
}

INTERLEAVED_NOTE = (
    "Interleaved check (`--paired`): every round runs a block of 32 hits per peer, in an order that "
    "rotates and reverses from round to round; each round gives one time ratio per peer, and the "
    "table shows their median and middle half. Load that comes and goes hits every peer alike, so on "
    "a busy machine these ratios are the steadier ones."
)


def load_paired(path: Path) -> list[dict]:
    try:
        with path.open() as handle:
            return list(csv.DictReader(handle, delimiter="\t"))
    except OSError:
        return []


def render_paired_core(path: Path) -> str:
    rows = load_paired(path)
    labels = dict(SIZES)
    lines = []
    for size, label in SIZES:
        raw = next((r for r in rows if r["payload"] == size and r["peer"] == "Raw"), None)
        hot = next((r for r in rows if r["payload"] == size and r["peer"] == "Hotpath"), None)
        if raw is None or hot is None:
            continue
        # The file holds peer/Hotpath ratios; the target is Hotpath/floor, the inverse (the middle half swaps ends).
        median = 1 / float(raw["ratio_median"])
        low, high = 1 / float(raw["ratio_p75"]), 1 / float(raw["ratio_p25"])
        extra = number(hot["bytes"]) - number(raw["bytes"])
        lines.append(
            f"| {label} | {raw['rounds']} | {fmt_time(number(raw['time_ns']))} | {fmt_time(number(hot['time_ns']))} | "
            f"{median:.2f}× ({low:.2f}–{high:.2f}) | {fmt_bytes(number(raw['bytes']))} | "
            f"{fmt_bytes(number(hot['bytes']))} ({extra:+.0f} B) | **{'meets' if median <= 1.10 and extra <= 256 else 'misses'}** |")
    if not lines:
        return ""
    return "\n".join([
        "", "", INTERLEAVED_NOTE, "",
        "| Payload | rounds | floor time | Hotpath time | Hotpath / floor (median, middle half) | floor allocated | Hotpath allocated | target |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ] + lines)


def render_paired_peers(path: Path) -> str:
    rows = load_paired(path)
    if not rows:
        return ""
    header = ["Peer (Redis round trip)"]
    for _, label in SIZES:
        header += [f"{label}: time", "allocated", "vs Hotpath (median, middle half)"]
    lines = ["", "", INTERLEAVED_NOTE, "", "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for peer, name in PEER_NAMES.items():
        cells = [name]
        for size, _ in SIZES:
            row = next((r for r in rows if r["payload"] == size and r["peer"] == peer), None)
            if row is None:
                cells += ["n/a", "n/a", "—"]
                continue
            ratio = "1 (baseline)" if peer == "Hotpath" else f"{float(row['ratio_median']):.2f}× ({float(row['ratio_p25']):.2f}–{float(row['ratio_p75']):.2f})"
            cells += [fmt_time(number(row["time_ns"])), fmt_bytes(number(row["bytes"])), ratio]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_paired_ratelimit(path: Path) -> str:
    rows = load_paired(path)
    lines = []
    for algorithm in ("FixedWindow", "TokenBucket", "SlidingWindow"):
        hot = next((r for r in rows if r["algorithm"] == algorithm and r["limiter"] == "Hotpath"), None)
        peer = next((r for r in rows if r["algorithm"] == algorithm and r["limiter"] == "RedisRateLimiting"), None)
        if hot is None or peer is None:
            continue
        # The file holds RedisRateLimiting/Hotpath ratios; the target is Hotpath/RedisRateLimiting, the inverse.
        median = 1 / float(peer["ratio_median"])
        low, high = 1 / float(peer["ratio_p75"]), 1 / float(peer["ratio_p25"])
        like_for_like = algorithm != "SlidingWindow"
        target = ("**meets**" if median <= 1.0 else "**misses**") if like_for_like else "not like for like"
        lines.append(
            f"| {algorithm} | {peer['rounds']} | {fmt_time(number(hot['time_ns']))} | {fmt_time(number(peer['time_ns']))} | "
            f"{median:.2f}× ({low:.2f}–{high:.2f}) | {fmt_bytes(number(hot['bytes']))} | {fmt_bytes(number(peer['bytes']))} | {target} |")
    if not lines:
        return ""
    return "\n".join([
        "", "",
        "Interleaved check (`--paired-ratelimit`): every round runs a block of 16 decisions on each side, "
        "alternating which goes first; each round gives one time ratio, and the table shows their median "
        "and middle half. Target: Hotpath at most 1.0× RedisRateLimiting's time.", "",
        "| Algorithm | rounds | Hotpath time | RedisRateLimiting time | Hotpath / RedisRateLimiting (median, middle half) | Hotpath allocated | RedisRateLimiting allocated | target |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ] + lines)


def verdict(label: str, row: dict, floor: dict) -> str:
    if row["_median"] is None or floor["_median"] is None or row["_alloc"] is None or floor["_alloc"] is None:
        return f"{label}: not measured"
    ratio = row["_median"] / floor["_median"]
    extra = row["_alloc"] - floor["_alloc"]
    ok_time = ratio <= 1.10
    ok_alloc = extra <= 256
    state = "meets the target" if ok_time and ok_alloc else "misses the target"
    why = []
    if not ok_time:
        why.append(f"time {ratio:.2f}× > 1.10×")
    if not ok_alloc:
        why.append(f"+{extra:.0f} B > +256 B")
    return f"{label} hit, one after the other: {ratio:.2f}× the floor's time, {extra:+.0f} B: {state}" + (f" ({', '.join(why)})" if why else "")


def render_peer(sets: list) -> str:
    by_size = {size: rows for size, _, rows, _ in sets}
    methods: list[str] = []
    for size, _ in SIZES:
        for row in by_size.get(size, []):
            if row["_method"] not in methods:
                methods.append(row["_method"])
    has_runs = any(r.get("Factory runs", "-") not in ("-", "", None) for rows in by_size.values() for r in rows)
    has_check = any(r.get("Check", "ok") not in ("ok", "-", "", None) for rows in by_size.values() for r in rows)
    has_hotpath = any(hotpath_row(rows) for rows in by_size.values())

    header = ["Peer"]
    for _, label in SIZES:
        header += [f"{label}: time", "allocated"]
        if has_hotpath:
            header += ["vs Hotpath (time / bytes)"]
        if has_runs:
            header += ["factory runs"]
    if has_check:
        header += ["check"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for method in methods:
        cells = [method]
        checks = []
        for size, _ in SIZES:
            rows = by_size.get(size, [])
            row = next((r for r in rows if r["_method"] == method), None)
            base = hotpath_row(rows)
            if row is None:
                cells += ["n/a", "n/a"] + (["—"] if has_hotpath else []) + (["—"] if has_runs else [])
                continue
            cells += [fmt_time(row["_median"]), fmt_bytes(row["_alloc"])]
            if has_hotpath:
                if row is base:
                    cells.append("1 (baseline)")
                elif base is None:
                    cells.append("—")
                else:
                    cells.append(f"{fmt_ratio(row['_median'], base['_median'])} / {fmt_ratio(row['_alloc'], base['_alloc'])}")
            if has_runs:
                cells.append(row.get("Factory runs", "-"))
            if row.get("Check", "ok") not in ("ok", "-", ""):
                checks.append(f"{size}: {row['Check']}")
        if has_check:
            cells.append("; ".join(checks) or "ok")
        lines.append("| " + " | ".join(cells) + " |")
    if not has_hotpath:
        lines.append("")
        lines.append("No Hotpath row in this suite yet, so no ratios to Hotpath.")
    return "\n".join(lines)


def render_generic(sets: list) -> str:
    out = []
    for size, args, rows, path in sets:
        if not rows:
            continue
        columns = list(rows[0].keys())
        start = columns.index("WarmupCount") + 1 if "WarmupCount" in columns else 1
        end = columns.index("Mean [ns]") if "Mean [ns]" in columns else start
        params = [c for c in columns[start:end] if not c.startswith("_")]
        # Each row is compared with the Hotpath row of the same parameter values.
        bases = {tuple(r.get(p, "") for p in params): r for r in rows if r["_method"] == "Hotpath"}
        has_check = any(r.get("Check", "ok") not in ("ok", "-", "", None) for r in rows)
        header = ["Method"] + params + ["time", "allocated"] + (["vs Hotpath (time / bytes)"] if bases else []) + (["check"] if has_check else [])
        if args:
            out.append(f"`{args.replace('_', ' ').strip()}`:\n")
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + " --- |" * len(header))
        for row in rows:
            cells = [row["_method"]] + [row.get(p, "") for p in params] + [fmt_time(row["_median"]), fmt_bytes(row["_alloc"])]
            if bases:
                base = bases.get(tuple(row.get(p, "") for p in params))
                if base is None:
                    cells.append("—")
                else:
                    cells.append("1 (baseline)" if row is base else f"{fmt_ratio(row['_median'], base['_median'])} / {fmt_ratio(row['_alloc'], base['_alloc'])}")
            if has_check:
                cells.append(row.get("Check") or "ok")
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out).rstrip()


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def replace_part(text: str, marker: str, heading: str, body: str) -> str:
    begin = f"<!-- bench:{marker} -->"
    end = f"<!-- /bench:{marker} -->"
    block = f"{begin}\n{body}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    return text.rstrip("\n") + f"\n\n### {heading}\n\n{block}\n"


if __name__ == "__main__":
    sys.exit(main())
