"""Large pulls: parse throughput and peak memory for a ~100 MB QuickBooks query response.

Interface shared by every bench module: `TITLE` and `run(quick=False) -> str`, which
returns a Markdown fragment with the figures and how they were obtained.

Method: a CustomerQueryRs of 150,000 CustomerRets (~100 MB; 15,000 and ~10 MB with
quick=True) is generated once into a temporary file by qbwc/simulator/large_response.py.
Each run starts a fresh Python process that streams the file through
qbwc.qbxml.stream.iter_rets (lxml iterparse, every Ret cleared once handed over),
exactly as the Web Connector loop reads a poll answer, and reports its own wall time
and peak RSS (getrusage ru_maxrss: the whole process, interpreter included). A second
series also turns every Ret into its FlowLink record (qbwc.qbxml.readers) on a
~10 MB response, which is what a real poll page costs on top of parsing.

Run alone: `python bench/bench_large_pull.py [--quick]`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qbwc.simulator.large_response import LargeQueryResponse  # noqa: E402

TITLE = "Large pulls: parsing a 100 MB QuickBooks query response"

FULL_RECORDS = 150_000
QUICK_RECORDS = 15_000
READ_RECORDS = 15_000
TARGET_MB_S = 50.0
TARGET_RSS_MB = 200.0

# Runs in a fresh interpreter so that its peak RSS is the parse's alone.
_PROBE = """
import json, resource, sys, time
from qbwc.qbxml.stream import RsEnd, iter_rets
from qbwc.qbxml.readers.entities import read_customer
path, mode = sys.argv[1], sys.argv[2]
count = 0
started = time.perf_counter()
with open(path, "rb") as source:
    for item in iter_rets(source, {"CustomerRet"}, {"CustomerQueryRs"}):
        if isinstance(item, RsEnd):
            continue
        if mode == "read":
            read_customer(item[1])
        count += 1
seconds = time.perf_counter() - started
print(json.dumps({"records": count, "seconds": seconds,
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def write_response(path: Path, records: int) -> int:
    source = LargeQueryResponse(records)
    with path.open("wb") as out:
        while chunk := source.read(1 << 20):
            out.write(chunk)
    return path.stat().st_size


def measure(path: Path, mode: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path), mode],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def _series(path: Path, size: int, mode: str, runs: int) -> dict[str, float]:
    results = [measure(path, mode) for _ in range(runs)]
    speeds = [size / 1e6 / r["seconds"] for r in results]
    rss = [r["max_rss_kb"] / 1024 for r in results]
    return {
        "records": results[0]["records"],
        "mb": size / 1e6,
        "runs": runs,
        "mb_s_median": statistics.median(speeds),
        "mb_s_min": min(speeds),
        "mb_s_max": max(speeds),
        "mb_s_stdev": statistics.stdev(speeds) if runs > 1 else 0.0,
        "records_s_median": results[0]["records"]
        / statistics.median(r["seconds"] for r in results),
        "rss_median": statistics.median(rss),
        "rss_max": max(rss),
    }


def run(quick: bool = False) -> str:
    records = QUICK_RECORDS if quick else FULL_RECORDS
    runs = 3 if quick else 5
    with tempfile.TemporaryDirectory(prefix="qbsync-bench-") as tmp:
        big = Path(tmp) / "query-response.xml"
        size = write_response(big, records)
        parse = _series(big, size, "parse", runs)
        small = Path(tmp) / "query-response-small.xml"
        small_size = write_response(small, READ_RECORDS)
        read = _series(small, small_size, "read", runs)
    meets = parse["mb_s_median"] >= TARGET_MB_S and parse["rss_max"] < TARGET_RSS_MB
    lines = [
        f"### {TITLE}",
        "",
        "| Series | Response | Records | Runs | Throughput MB/s median (min–max, stdev) "
        "| Records/s median | Peak RSS MB median (max) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in (("parse (iterparse + clear)", parse), ("parse + FlowLink records", read)):
        lines.append(
            f"| {name} | {s['mb']:.1f} MB | {s['records']:,.0f} | {s['runs']} "
            f"| {s['mb_s_median']:.1f} ({s['mb_s_min']:.1f}–{s['mb_s_max']:.1f}, "
            f"{s['mb_s_stdev']:.1f}) | {s['records_s_median']:,.0f} "
            f"| {s['rss_median']:.1f} ({s['rss_max']:.1f}) |"
        )
    lines += [
        "",
        f"Target: ≥ {TARGET_MB_S:.0f} MB/s with peak RSS < {TARGET_RSS_MB:.0f} MB for a "
        f"100 MB response — {'met' if meets else 'NOT met'}"
        f"{' (quick run: smaller response)' if quick else ''}.",
        "",
        "Method: the response (a CustomerQueryRs of ~680-byte CustomerRets with an address "
        "and a custom field) is generated into a temporary file; each run is a fresh Python "
        "process that streams it through `qbwc.qbxml.stream.iter_rets` from the file "
        "and reports its wall time and `ru_maxrss` (the whole process, interpreter "
        "included). The second series also builds every FlowLink record, on a "
        f"{READ_RECORDS:,}-record response. Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
