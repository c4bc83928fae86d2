"""A long hostile-input campaign against a live qbsync (issue 16 item 15).

    python -m bench.fuzz --examples 100000     # the campaign docs/reliability.md reports
    python -m bench.fuzz --examples 200        # a smoke run (does not touch the docs)

It serves qbsync with gunicorn on PostgreSQL and Redis (bench/harness.py; database
`fuzz`, or BENCH_FUZZ_DATABASE) and runs the properties of the test suite with many more
examples, over real HTTP, one request at a time, on one database that accumulates state
as a production server's does:

* SOAP (qbwc/tests/strategies.py): well-formed Web Connector calls of every operation
  with arbitrary field values, the same calls re-encoded (UTF-16, Latin-1, a BOM …), a
  live ticket at another connection's AppURL, bodies over the limit (the server runs with
  QBWC_MAX_BODY_BYTES of FUZZ_BODY_LIMIT; honest, false or no Content-Length), malformed
  bodies, and arbitrary qbXML answering a request really outstanding. Never a 5xx; a
  well-formed call gets an answer the Web Connector accepts (a re-encoded one the answer
  of its UTF-8 original; the others their documented answers); a malformed body gets a
  4xx SOAP fault and stores nothing.
* Webhooks, when objects/tests/strategies.py exists: its `requests()` (route, body,
  content type) posted with the connection's credentials. Never a 5xx (get_health_check's
  documented 500 "not successful" aside); a 4xx stores nothing and says why in JSON.

`--examples N` is per surface (SOAP: 30% well-formed calls, 30% malformed bodies, 10%
each re-encoded calls, another AppURL, bodies over the limit and answers to a sent
request; webhooks: N). With --write (the default from 10,000 examples)
the table between the `fuzz:results` markers of docs/reliability.md is rewritten. Every
violation goes to var/fuzz-failures.jsonl. The server runs the production settings with
the test suite's fast password hasher (qbsync.test_settings): a PBKDF2 per authenticate
would make the campaign measure hashing.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from bench import harness

PAGE = harness.ROOT / "docs" / "reliability.md"
FAILURES = harness.ROOT / "var" / "fuzz-failures.jsonl"
MARKERS = ("<!-- fuzz:results -->", "<!-- /fuzz:results -->")
WRITE_FROM = 10_000
# The server's QBWC_MAX_BODY_BYTES during a campaign: bodies over it stay small and fast
# (an ordinary call with long values may pass it too, and is judged as such).
FUZZ_BODY_LIMIT = 65_536
SAMPLES_PER_CLASS = 3


@dataclass
class Tally:
    """What one campaign tried and what happened."""

    name: str
    tried: int = 0
    held: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)
    samples: dict[str, list[str]] = field(default_factory=dict)
    # Where each violation is appended with its input (none: only counted).
    failures_path: Path | None = None

    def record(
        self, kind: str, status: int, failure: str, detail: str, operation: str = ""
    ) -> None:
        self.tried += 1
        self.kinds[kind] += 1
        if operation:
            self.operations[operation] += 1
        self.statuses[status] += 1
        if not failure:
            self.held += 1
            return
        # The class is the failure text up to its first detail (the operation or route
        # and what came back follow the colon).
        label = re.split(r"[:(]", failure, maxsplit=1)[0].strip()
        label = re.sub(r" (to a well-formed|on) \w+$", "", label)
        self.violations[label] += 1
        examples = self.samples.setdefault(label, [])
        if len(examples) < SAMPLES_PER_CLASS:
            examples.append(f"{kind}: {failure[:200]}")
        if self.failures_path is None:
            return
        self.failures_path.parent.mkdir(exist_ok=True)
        with self.failures_path.open("a", encoding="utf-8") as out:
            out.write(
                json.dumps(
                    {
                        "campaign": self.name,
                        "kind": kind,
                        "failure": failure,
                        "input": detail[:5000],
                    }
                )
                + "\n"
            )


def run_strategy(
    strategy: st.SearchStrategy[Any],
    examples: int,
    seed_value: int,
    check: Callable[[Any], None],
    progress: Callable[[], None],
) -> None:
    """Draw `examples` inputs and hand each to `check`; nothing is asserted, so hypothesis
    never stops early or shrinks: every violation is counted."""
    if examples <= 0:
        return

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @seed(seed_value)
    @given(strategy)
    def campaign(case: Any) -> None:
        check(case)
        progress()

    campaign()


def soap_campaigns(
    base_url: str,
    examples: int,
    seed_value: int,
    progress: Callable[[], None],
    tallies: list[Tally],
) -> None:
    from connections.models import Connection
    from objects.models import QueuedObject
    from qbwc.dispatch import has_due_work
    from qbwc.tests import strategies

    connection_id, other_id = "fuzz-00000", "fuzz-00001"
    counter = iter(range(10**9))

    def queue(connection: Connection) -> None:
        n = next(counter)
        QueuedObject.objects.create(
            connection=connection,
            object_type="customers",
            identity=f"Fuzz {n}",
            payload={"name": f"Fuzz {n}"},
        )

    def make_work() -> None:
        # Only when nothing is due: two sessions then see the same work (re-encoded calls
        # are compared with their UTF-8 original, each in a session of its own).
        connection = Connection.objects.get(connection_id=connection_id)
        if not has_due_work(connection):
            queue(connection)

    # The other connection has work of its own, which its AppURL's callers must not touch.
    queue(Connection.objects.get(connection_id=other_id))
    probe = strategies.SoapProbe(
        f"{base_url}/qbwc/",
        (f"{connection_id}-qbwc", harness.QBWC_PASSWORD),
        make_work,
        strategies.stored_state,
        other_app=other_id,
        limit=FUZZ_BODY_LIMIT,
    )
    calls, reencoded, other_app, oversized, refused, answers = (
        Tally("SOAP: well-formed Web Connector calls", failures_path=FAILURES),
        Tally("SOAP: calls in another encoding", failures_path=FAILURES),
        Tally("SOAP: a live ticket at another AppURL", failures_path=FAILURES),
        Tally("SOAP: bodies over the limit", failures_path=FAILURES),
        Tally("SOAP: malformed bodies", failures_path=FAILURES),
        Tally("SOAP: qbXML answers to a request sent", failures_path=FAILURES),
    )
    # Registered before running, so a campaign stopped early still reports what it tried.
    tallies += [calls, reencoded, other_app, oversized, refused, answers]

    def check_case(tally: Tally) -> Callable[[Any], None]:
        def check(case: Any) -> None:
            outcome = probe.check(case)
            tally.record(case.kind, outcome.status, outcome.failure, repr(case.body), case.op)

        return check

    def check_answer(drawn: strategies.QuickBooksAnswer) -> None:
        ticket, sent = probe.open_request()
        response, hresult, message = drawn
        answer = (strategies.with_sent_ids(response, sent), hresult, message)
        outcome = probe.check(probe.answer_case(ticket, answer))
        kind = f"HRESULT {hresult if hresult.startswith('0x') else '(any text)'}"
        answers.record(kind if hresult else "qbXML", outcome.status, outcome.failure, repr(answer))

    most, some = examples * 30 // 100, examples * 10 // 100
    run_strategy(strategies.well_formed_calls(), most, seed_value, check_case(calls), progress)
    run_strategy(
        strategies.reencoded_calls(), some, seed_value + 4, check_case(reencoded), progress
    )
    run_strategy(
        strategies.mismatched_app_calls(), some, seed_value + 5, check_case(other_app), progress
    )
    run_strategy(
        strategies.oversized_calls(FUZZ_BODY_LIMIT),
        some,
        seed_value + 6,
        check_case(oversized),
        progress,
    )
    run_strategy(strategies.malformed_bodies(), most, seed_value + 1, check_case(refused), progress)
    run_strategy(
        strategies.quickbooks_answers(),
        examples - 2 * most - 3 * some,
        seed_value + 2,
        check_answer,
        progress,
    )


def webhook_campaign(
    base_url: str,
    examples: int,
    seed_value: int,
    progress: Callable[[], None],
    tallies: list[Tally],
) -> None:
    """The webhook property over objects/tests/strategies.py, when that module exists."""
    try:
        hooks = importlib.import_module("objects.tests.strategies")
    except ModuleNotFoundError:
        return
    if not hasattr(hooks, "requests"):
        return
    import http.client

    from qbwc.tests.strategies import stored_state

    tally = Tally(
        "Webhooks: every route, arbitrary JSON, bytes and content types", failures_path=FAILURES
    )
    tallies.append(tally)
    host, port = base_url.split("//", 1)[1].split(":")

    def post(route: str, body: bytes, content_type: str | None) -> tuple[int, bytes]:
        headers = {"X-Hub-Store": "fuzz-00000", "X-Hub-Token": harness.WEBHOOK_TOKEN}
        if content_type is not None:
            headers["Content-Type"] = content_type
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        try:
            connection.request("POST", f"/{route}", body, headers)
            reply = connection.getresponse()
            return reply.status, reply.read()
        finally:
            connection.close()

    def check(request: tuple[str, bytes, str | None]) -> None:
        route, body, content_type = request
        before = stored_state()
        status, answer = post(route, body, content_type)
        failure = ""
        if status >= 500 and not (route == "get_health_check" and b"not successful" in answer):
            failure = f"HTTP {status} on {route}: {answer[:200]!r}"
        elif 400 <= status < 500:
            if stored_state() != before:
                failure = f"a {status} stored something: {route}"
            else:
                try:
                    summary = json.loads(answer).get("summary")
                except (ValueError, AttributeError):
                    summary = None
                if not summary:
                    failure = f"a {status} without a JSON summary: {route} {answer[:200]!r}"
        kind = f"Content-Type {content_type}" if content_type else "no Content-Type"
        tally.record(kind, status, failure, f"{content_type!r} {body[:2000]!r}", route)

    run_strategy(hooks.requests(), examples, seed_value + 3, check, progress)


def table(tallies: list[Tally], examples: int, seed_value: int, seconds: float) -> str:
    commit = subprocess.run(
        ["git", "-C", str(harness.ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on commit `{commit}`: "
        f"`python -m bench.fuzz --examples {examples} --seed {seed_value}`, "
        f"{sum(t.tried for t in tallies):,} inputs in {seconds / 60:.0f} min "
        "(gunicorn, PostgreSQL, Redis; one request at a time).",
        "",
        "| campaign | inputs | property held | violations | HTTP statuses seen |",
        "|---|---:|---:|---:|---|",
    ]
    for tally in tallies:
        statuses = ", ".join(f"{code}: {count:,}" for code, count in sorted(tally.statuses.items()))
        lines.append(
            f"| {tally.name} | {tally.tried:,} | {tally.held:,} | "
            f"{tally.tried - tally.held:,} | {statuses} |"
        )
    for tally in tallies:
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in tally.kinds.most_common())
        lines += ["", f"**{tally.name}**: {kinds}."]
        if tally.operations:
            ops = ", ".join(f"`{op}` {n:,}" for op, n in tally.operations.most_common())
            lines[-1] += f" By operation or route: {ops}."
        for label, count in tally.violations.most_common():
            lines.append(f"- {count:,} × {label}")
            lines += [f"  - `{sample}`".replace("|", "\\|") for sample in tally.samples[label]]
        if not tally.violations:
            lines.append("- no violation")
    return "\n".join(lines)


def replace_results(page: str, text: str) -> str:
    """The page with `text` between the fuzz:results markers; the rest is kept."""
    start, end = MARKERS
    if start not in page or end not in page:
        raise SystemExit(f"{PAGE} lacks the {start} … {end} markers")
    head, rest = page.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{text}\n{end}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=100_000, help="inputs per surface")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--surface",
        choices=("both", "soap", "webhooks"),
        default="both",
        help="which surface to run: two processes, one per surface (each with its own "
        "BENCH_FUZZ_DATABASE and BENCH_FUZZ_PORT), use both cores",
    )
    parser.add_argument(
        "--write",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"rewrite docs/reliability.md (default: from {WRITE_FROM:,} examples)",
    )
    options = parser.parse_args(argv)
    write = options.write if options.write is not None else options.examples >= WRITE_FROM

    # A database and port of its own, so a campaign can run beside the benchmarks.
    harness.DATABASE_NAME = os.environ.get("BENCH_FUZZ_DATABASE", "fuzz")
    harness.PORT = int(os.environ.get("BENCH_FUZZ_PORT", "8771"))
    harness.SERVER_ENV["DATABASE_URL"] = f"{harness.PG}/{harness.DATABASE_NAME}"
    harness.SERVER_ENV["DJANGO_SETTINGS_MODULE"] = "qbsync.test_settings"
    harness.ensure_database()
    harness.reset_database()
    harness.make_connections(2, prefix="fuzz")
    FAILURES.unlink(missing_ok=True)

    done = 0
    started = time.monotonic()

    def progress() -> None:
        nonlocal done
        done += 1
        if done % 1000 == 0:
            print(f"  {done:,} inputs, {time.monotonic() - started:.0f} s", flush=True)

    with harness.server(QBWC_MAX_BODY_BYTES=str(FUZZ_BODY_LIMIT)) as server:
        tallies: list[Tally] = []
        try:
            if options.surface in ("both", "soap"):
                soap_campaigns(server.url, options.examples, options.seed, progress, tallies)
            if options.surface in ("both", "webhooks"):
                webhook_campaign(server.url, options.examples, options.seed, progress, tallies)
        except KeyboardInterrupt:
            # Ctrl-C (or SIGINT) ends a long campaign early: report what was tried so far.
            print(f"  stopped after {done:,} inputs", flush=True)
    seconds = time.monotonic() - started
    text = table(tallies, options.examples, options.seed, seconds)
    print(text)
    if write:
        PAGE.write_text(replace_results(PAGE.read_text(encoding="utf-8"), text), encoding="utf-8")
        print(f"wrote {PAGE.relative_to(harness.ROOT)}")
    violations = sum(t.tried - t.held for t in tallies)
    if violations:
        print(f"{violations} violations; each is in {FAILURES.relative_to(harness.ROOT)}")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
