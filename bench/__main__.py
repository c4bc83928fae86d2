"""Run the benchmarks and rewrite their sections of docs/benchmarks.md.

    python -m bench                 # every bench/bench_*.py, full sizes
    python -m bench intake --quick  # one benchmark at smoke-test sizes

Each module `bench/bench_<name>.py` defines `TITLE` and `run(quick) -> str` (Markdown).
Its output replaces the text between `<!-- bench:<name> -->` and `<!-- /bench:<name> -->`;
the rest of the page (method, machine) is kept, and the machine section is refreshed.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

from bench import harness

PAGE = harness.ROOT / "docs" / "benchmarks.md"
BENCH_DIR = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))


def machine() -> str:
    """The machine, PostgreSQL and Redis the figures were taken on."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    models = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    cpu = f"{len(models)} × {models[0]}" if models else platform.processor() or "unknown"
    memory = ""
    if Path("/proc/meminfo").exists():
        match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        memory = f"{int(match.group(1)) / 1024 / 1024:.0f} GiB" if match else ""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    try:
        import redis

        redis_version = redis.Redis.from_url(harness.REDIS_URL).info()["redis_version"]
    except Exception as exc:  # the page still says what went wrong
        redis_version = f"unreachable ({exc.__class__.__name__})"
    git = subprocess.run(
        ["git", "-C", str(harness.ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return "\n".join(
        [
            f"- CPU: {cpu}; memory {memory}; {platform.system()} {platform.release()}",
            f"- Python {platform.python_version()}, PostgreSQL {postgres}, Redis {redis_version}, "
            f"gunicorn with {harness.GUNICORN_WORKERS} sync workers",
            f"- Last run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} at commit {git}; "
            f"load average (1/5/15 min) before it: {harness.load_average()}; CPU check "
            f"before it: {harness.cpu_check():.0f} ms to validate {harness.CPU_CHECK_ORDERS} "
            "orders (each table gives its own; see Method)",
        ]
    )


def replace_section(page: str, name: str, body: str) -> str:
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in page and end in page:
        before, rest = page.split(start, 1)
        _, after = rest.split(end, 1)
        return before + block + after
    return page.rstrip() + f"\n\n## {name}\n\n{block}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (default: all of {available()})"
    )
    parser.add_argument("--quick", action="store_true", help="smoke-test sizes (about a minute)")
    parser.add_argument(
        "--no-write", action="store_true", help="print the Markdown instead of updating the page"
    )
    args = parser.parse_args(argv)
    names = args.names or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {available()}")

    harness.ensure_database()
    about_machine = machine()
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}: {module.TITLE}{' (quick)' if args.quick else ''}", flush=True)
        harness.cpu_check_before = harness.cpu_check()
        started = time.monotonic()
        try:
            body = module.run(quick=args.quick)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        print(body, f"\n({time.monotonic() - started:.0f} s)\n", flush=True)
        if not args.no_write:
            page = PAGE.read_text() if PAGE.exists() else "# Benchmarks\n"
            page = replace_section(page, name, body)
            page = replace_section(page, "machine", about_machine)
            PAGE.write_text(page)
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
