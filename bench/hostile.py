#!/usr/bin/env python3
"""Hostile-input scale checks (issue 23): pave on inputs built to be slow or large.

    python3 bench/hostile.py [--pave PATH] [--keep]

Builds pave (`cargo build --release`, unless --pave is given), writes each input into a temporary
platform root and runs `pave check ROOT` on it once, reporting wall time, peak RSS, the exit code
and the number of lines of the report:

- `keys`: a Service whose `env` has 100,000 keys (every value goes through the `literal-secret`
  rule; one in ten has a secret's name);
- `documents`: one file of 40,000 documents, each with a schema error (the report is capped per
  file, with a count of the rest);
- `huge`: one 200 MB file of invalid documents (refused by the spec size limit, read no further).

The limits (bench/README.md, "Hostile input") are 2 s for `keys` and `documents` and 500 MB peak
RSS for every case. Prints a Markdown table and a PASS/FAIL line per limit; exit status 0 when
measured (whatever the limits say), 2 when pave is missing or crashes (exit code other than 0/1).
Standard library only; Linux (peak RSS comes from os.wait4).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
from run import BenchError, build_pave, resolve_pave, run_measured  # noqa: E402

LIMIT_S = 2.0
LIMIT_RSS_MB = 500.0
N_KEYS = 100_000
N_DOCUMENTS = 40_000
HUGE_BYTES = 200 * 1024 * 1024

PLATFORM = """\
apiVersion: pave.dev/v1alpha1
kind: Platform
metadata: {name: acme}
spec:
  cloud: aws
  accounts: {dev: "111111111111"}
  regions: [us-east-1]
  domain: acme.example
  registry: registry.acme.example
  gitops: {repository: https://github.com/acme/platform}
---
apiVersion: pave.dev/v1alpha1
kind: Environment
metadata: {name: dev}
spec: {type: development, account: dev, regions: [us-east-1], kubernetesVersion: "1.33"}
---
apiVersion: pave.dev/v1alpha1
kind: Tenant
metadata: {name: shop}
spec: {owners: {groups: [shop-engineers]}, costCenter: cc-1000, environments: [dev]}
"""

SERVICE_HEAD = """\
apiVersion: pave.dev/v1alpha1
kind: Service
metadata: {name: api, tenant: shop}
spec:
  image: shop/api:1.0.0
  port: 8080
  env:
"""

BAD_DOCUMENT = """\
---
apiVersion: pave.dev/v1alpha1
kind: Service
metadata: {name: api, tenant: shop}
spec: {image: shop/api:1.0.0, port: not-a-port}
"""


def write_keys(path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(SERVICE_HEAD)
        for k in range(N_KEYS):
            # One in ten named like a secret, with a value that is not random-looking.
            name = f"VAR_{k:06d}_TOKEN" if k % 10 == 0 else f"VAR_{k:06d}"
            f.write(f"    {name}: value-{k}\n")


def write_documents(path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(BAD_DOCUMENT * N_DOCUMENTS)


def write_huge(path: str) -> None:
    chunk = (BAD_DOCUMENT + "- [unclosed\n") * 4096
    with open(path, "w", encoding="utf-8") as f:
        written = 0
        while written < HUGE_BYTES:
            f.write(chunk)
            written += len(chunk)


CASES = [
    ("keys", f"a Service with {N_KEYS:,} env keys", write_keys, LIMIT_S),
    ("documents", f"{N_DOCUMENTS:,} erroneous documents in one file", write_documents, LIMIT_S),
    ("huge", f"{HUGE_BYTES // (1024 * 1024)} MB of invalid documents", write_huge, None),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run pave check on hostile inputs.")
    ap.add_argument("--pave", metavar="PATH", help="measure this binary instead of building one")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args(argv)
    try:
        pave = resolve_pave(args.pave)
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="pave-hostile-")
    rows = []
    verdicts = []
    try:
        for name, what, write, limit_s in CASES:
            root = os.path.join(work, name)
            os.makedirs(root)
            with open(os.path.join(root, "pave.yaml"), "w", encoding="utf-8") as f:
                f.write(PLATFORM)
            write(os.path.join(root, "input.yaml"))
            res = run_measured([pave, "check", root], work)
            if res["rc"] not in (0, 1):
                print(f"error: pave check on `{name}` exited {res['rc']}:\n{res['stderr'][-3000:]}",
                      file=sys.stderr)
                return 2
            lines = res["stderr"].count("\n")
            rows.append((what, res["wall_s"], res["maxrss_mb"], res["rc"], lines))
            if limit_s is not None:
                ok = res["wall_s"] < limit_s
                verdicts.append(f"{'PASS' if ok else 'FAIL'} {name}: {res['wall_s']:.2f} s "
                                f"against < {limit_s:g} s")
            ok = res["maxrss_mb"] < LIMIT_RSS_MB
            verdicts.append(f"{'PASS' if ok else 'FAIL'} {name}: peak RSS {res['maxrss_mb']:.0f} MB "
                            f"against < {LIMIT_RSS_MB:g} MB")
    finally:
        if args.keep:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("| input | wall | peak RSS | exit | report lines |")
    print("|---|---|---|---|---|")
    for what, wall, rss, rc, lines in rows:
        print(f"| {what} | {wall:.2f} s | {rss:.0f} MB | {rc} | {lines} |")
    print()
    print("\n".join(verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
