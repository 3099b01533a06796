"""Benchmark: pulling a district over the PowerSchool API with the workbench client, against bare
httpx fetching the same pages, in the same run.

    .venv/bin/python bench/api_pull.py --students 100000 [--workers 4] [--page-size 1000]

Generates the sandbox district once (kept under bench/out/, shared with bench/load.py) and serves
it with the mock PowerSchool server in its own process (maximum page size ``--page-size``; 1000 is
what vendors ask districts to set). Then, each in its own process so that peak memory is measured
per run:

* bare: one ``httpx.Client``, one token, and for every table the loader reads: ``/count``, then
  every page of ``/ws/schema/table/{table}`` with the same projection and page size, parsed with
  ``response.json()`` and dropped;
* workbench: ``workbench.sources.powerschool.pull_tables`` (token cache, metadata, retries,
  typed errors, pages written to ``<Table>.csv`` atomically with a manifest).

Both use the same parallelism: a pool of ``--workers`` threads over the tables, the pages of one
table read in order. Prints both times, the ratio (goal <= 1.3) and each run's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def serve(extract: Path, page_size: int) -> None:
    """The mock in this process until stdin closes; prints where it listens (sandbox secrets)."""
    from workbench.sandbox.mock_powerschool import server as mock_server
    from workbench.sandbox.mock_powerschool.context import Options

    # the mock writes headers and body separately: without TCP_NODELAY every keep-alive reply
    # waits ~40 ms for the client's delayed ACK, which would hide the client's own cost
    mock_server._RequestHandler.disable_nagle_algorithm = True
    with mock_server.serve_mock(extract, options=Options(max_page_size=page_size)) as s:
        print(json.dumps({"url": s.url, "id": s.client_id, "secret": s.client_secret}), flush=True)
        sys.stdin.read()


def run_bare(server: dict[str, str], plan: dict[str, list[str]], page_size: int,
             workers: int) -> dict[str, float]:
    import httpx  # noqa: TID251 (the baseline is bare httpx on purpose)

    with httpx.Client(timeout=120) as http:
        t0 = time.perf_counter()
        token = http.post(server["url"] + "/oauth/access_token", auth=(server["id"], server["secret"]),
                          data={"grant_type": "client_credentials"}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

        def table(name: str) -> int:
            path = f"{server['url']}/ws/schema/table/{name.lower()}"
            count = http.get(path + "/count", headers=headers).json()["count"]
            rows = 0
            for page in range(1, math.ceil(count / page_size) + 1):
                body = http.get(path, headers=headers, params={
                    "projection": ",".join(plan[name]), "page": page, "pagesize": page_size}).json()
                rows += len(body["record"])
            return rows

        with ThreadPoolExecutor(max_workers=workers) as pool:
            rows = sum(pool.map(table, plan))
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": rows}


def run_workbench(server: dict[str, str], plan: dict[str, list[str]], page_size: int,
                  workers: int) -> dict[str, float]:
    from workbench.sources.powerschool import Credentials, PowerSchoolClient, pull_tables

    with tempfile.TemporaryDirectory() as tmp, PowerSchoolClient(
            server["url"], Credentials(server["id"], server["secret"]), page_size=page_size,
            timeout=120) as client:
        t0 = time.perf_counter()
        done = pull_tables(client, Path(tmp), workers=workers)
        seconds = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in Path(tmp).glob("*.csv")) / 2**20
    assert sorted(done) == sorted(plan), "the client pulled other tables than the plan"
    return {"seconds": seconds, "rows": sum(t["rows"] for t in done.values()), "csv_mib": size,
            "retries": client.retries}


def table_plan(server: dict[str, str]) -> dict[str, list[str]]:
    """The tables and fields the client pulls (so that the baseline asks for the same)."""
    from workbench.sources.powerschool import Credentials, PowerSchoolClient, pull_plan
    from workbench.sources.powerschool.pull import resolve_fields

    with PowerSchoolClient(server["url"], Credentials(server["id"], server["secret"])) as client:
        return {tp.table: resolve_fields(client, tp) or ["*"] for tp in pull_plan()}


def child(kind: str, args: argparse.Namespace) -> None:
    spec = json.loads(Path(args.spec).read_text())
    run = run_bare if kind == "bare" else run_workbench
    out = run(spec["server"], spec["plan"], args.page_size, args.workers)
    out["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(out))


def measure(kind: str, spec: Path, args: argparse.Namespace) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--spec", str(spec), "--page-size",
         str(args.page_size), "--workers", str(args.workers)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--child", choices=["bare", "workbench"])
    ap.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--spec", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.page_size)
        return
    if args.child:
        child(args.child, args)
        return

    from districts import cached_district

    extract = cached_district(args.students, args.seed)
    t0 = time.perf_counter()
    mock = subprocess.Popen([sys.executable, __file__, "--serve", str(extract), "--page-size",
                             str(args.page_size)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert mock.stdout is not None
        server = json.loads(mock.stdout.readline())
        print(f"mock PowerSchool serving {extract.name} at {server['url']} "
              f"(started in {time.perf_counter() - t0:.1f}s; max page size {args.page_size})")
        with tempfile.TemporaryDirectory() as tmp:
            spec = Path(tmp) / "spec.json"
            spec.write_text(json.dumps({"server": server, "plan": table_plan(server)}))
            base: list[dict[str, Any]] = []
            work: list[dict[str, Any]] = []
            for _ in range(args.repeat):
                base.append(measure("bare", spec, args))
                work.append(measure("workbench", spec, args))
    finally:
        if mock.stdin:
            mock.stdin.close()
        mock.wait(timeout=60)
    b = min(r["seconds"] for r in base)
    w = min(r["seconds"] for r in work)
    print(f"parallelism: {args.workers} threads over the tables, pages of a table in order; "
          f"page size {args.page_size}")
    print(f"bare httpx (GET + .json())   : {b:8.2f} s   peak {max(r['peak_rss_mib'] for r in base):7.0f} MiB"
          f"   {base[0]['rows']:,} rows")
    print(f"workbench (pull_tables)      : {w:8.2f} s   peak {max(r['peak_rss_mib'] for r in work):7.0f} MiB"
          f"   {work[0]['rows']:,} rows, {work[0]['csv_mib']:,.0f} MiB of CSV, "
          f"{work[0]['retries']} retries")
    print(f"ratio workbench/bare: {w / b:.2f}  (goal <= 1.3)")


if __name__ == "__main__":
    main()
