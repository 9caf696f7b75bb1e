#!/usr/bin/env python3
"""Generate the reference benchmark workload as a pave platform root.

    python3 bench/generate.py N OUTDIR [--force] [--dev-hpa]

Writes, in pave's own spec format (docs/spec-format.md):

    OUTDIR/pave.yaml                          Platform
    OUTDIR/environments/{dev,staging,prod}.yaml
    OUTDIR/tenants/<tenant>/tenant.yaml       one Tenant per file
    OUTDIR/tenants/<tenant>/services.yaml     all of that tenant's Services, a multi-document stream

Workload (see /work/shared/bench/README.md, "The reference benchmark workload"):

- tenants ``tenant-000`` ... : ``max(1, N // 50)`` of them;
- services ``svc-00000`` ... : service k belongs to tenant ``k % n_tenants`` (round robin), so every
  tenant holds ``N // n_tenants`` or one more services; inside a tenant's file services are in
  ascending k;
- service k: image ``registry.example.com/<tenant>/<svc>:1.<k%10>.<k%7>``, port ``8080 + k%20``,
  base replicas ``b = 1 + k%3``: ``spec.replicas: {min: b, max: 3b}`` (the staging value),
  overridden by ``environments.dev.replicas: 1`` and ``environments.prod.replicas: {min: 2b, max: 6b}``;
  resources by ``k%4`` written as ``spec.resources``; env LOG_LEVEL, OTEL_SERVICE_NAME (the service
  name), CACHE_TTL_SECONDS (an integer).

``--dev-hpa`` writes ``dev: {min: 1, max: 3}`` instead of the fixed ``1``: then dev gets a
HorizontalPodAutoscaler too, which is what the reference object count (181,200 objects at
N = 10,000, i.e. 6 per service and environment) assumes.

The output is a pure function of N (and --dev-hpa): byte-for-byte deterministic.
Standard library only; YAML is emitted by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time

API_VERSION = "pave.dev/v1alpha1"
PLATFORM_NAME = "bench"
REGION = "us-east-1"
DOMAIN = "example.com"
REGISTRY = "registry.example.com"
KUBERNETES_VERSION = "1.33"

# name, type, account id, promotion source, quota (requests.cpu, requests.memory, limits.cpu,
# limits.memory, pods) -- exactly as in the bench README.
ENVIRONMENTS = [
    ("dev", "development", "111111111111", None, ("16", "32Gi", "32", "64Gi", 200)),
    ("staging", "staging", "222222222222", "dev", ("32", "64Gi", "64", "128Gi", 400)),
    ("prod", "production", "333333333333", "staging", ("64", "128Gi", "128", "256Gi", 800)),
]

# k % 4 -> (requests.cpu, requests.memory, limits.cpu, limits.memory)
SIZES = [
    ("100m", "128Mi", "500m", "256Mi"),
    ("250m", "256Mi", "1", "512Mi"),
    ("500m", "512Mi", "2", "1Gi"),
    ("1", "1Gi", "4", "2Gi"),
]

LOG_LEVELS = ("info", "info", "debug", "warn")

# Generated paths inside OUTDIR (what --force removes; nothing else is touched).
GENERATED = ("pave.yaml", "environments", "tenants")


# --------------------------------------------------------------------------------------------
# YAML scalars
# --------------------------------------------------------------------------------------------

# Plain (unquoted) scalars we allow: a conservative character set, colons only when followed by a
# non-space, no flow indicators, no leading indicator characters, no " #".
_PLAIN_OK = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./@+-]*(?::[A-Za-z0-9_./@+-]+)*")

# Anything a YAML 1.1 or 1.2 (core schema) loader would resolve to a non-string: null, booleans
# (including YAML 1.1 yes/no/on/off/y/n), integers (decimal, octal, hex, binary, sexagesimal,
# underscores), floats (incl. .inf/.nan, YAML 1.1 "1.2.3"-like forms) and timestamps.
_NOT_A_STRING = re.compile(
    r"""
    ~ | null | Null | NULL
    | [yY] | yes | Yes | YES | [nN] | no | No | NO
    | true | True | TRUE | false | False | FALSE | on | On | ON | off | Off | OFF
    | [-+]? (?: 0b[01_]+ | 0o?[0-7_]+ | 0x[0-9a-fA-F_]+ | [0-9][0-9_]* (?::[0-5]?[0-9])* )
    | [-+]? (?: [0-9][0-9_]* )? \. [0-9_.]* (?: [eE][-+]?[0-9]+ )?
    | [-+]? [0-9][0-9_]* (?: \.[0-9_]* )? [eE][-+]?[0-9]+
    | [-+]? [0-9][0-9_]* (?::[0-5]?[0-9])+ \. [0-9_]*
    | [-+]? \. (?: inf | Inf | INF ) | \. (?: nan | NaN | NAN )
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2} (?: [Tt\ ].* )?
    """,
    re.VERBOSE,
)


def q(value: str) -> str:
    """A YAML scalar that every loader reads back as exactly this string."""
    if _PLAIN_OK.fullmatch(value) and not _NOT_A_STRING.fullmatch(value):
        return value
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(value, ensure_ascii=False)


# --------------------------------------------------------------------------------------------
# The workload
# --------------------------------------------------------------------------------------------


def n_tenants(n: int) -> int:
    return max(1, n // 50)


def tenant_name(i: int) -> str:
    return f"tenant-{i:03d}"


def service_name(k: int) -> str:
    return f"svc-{k:05d}"


def tenant_of(k: int, n: int) -> int:
    """Index of the tenant that owns service k (round robin)."""
    return k % n_tenants(n)


def service_image(k: int, n: int) -> str:
    return f"{REGISTRY}/{tenant_name(tenant_of(k, n))}/{service_name(k)}:1.{k % 10}.{k % 7}"


def services_file(root: str, k: int, n: int) -> str:
    """The file that holds service k's spec."""
    return os.path.join(root, "tenants", tenant_name(tenant_of(k, n)), "services.yaml")


def platform_yaml(layout: str | None = None) -> str:
    accounts = "".join(f"    {q(env)}: {q(acct)}\n" for env, _, acct, _, _ in ENVIRONMENTS)
    return (
        f"apiVersion: {q(API_VERSION)}\n"
        "kind: Platform\n"
        "metadata:\n"
        f"  name: {q(PLATFORM_NAME)}\n"
        "spec:\n"
        "  cloud: aws\n"
        "  accounts:\n"
        f"{accounts}"
        "  regions:\n"
        f"    - {q(REGION)}\n"
        f"  domain: {q(DOMAIN)}\n"
        f"  registry: {q(REGISTRY)}\n"
        "  gitops:\n"
        "    path: gitops\n"
        + (f"    layout: {layout}\n" if layout else "")
    )


def _milli(cpu: str) -> int:
    return int(cpu[:-1]) if cpu.endswith("m") else int(cpu) * 1000


def _mebi(memory: str) -> int:
    return int(memory[:-2]) * (1024 if memory.endswith("Gi") else 1)


def fitting_quota(env: str, quota: tuple, n: int, dev_hpa: bool) -> tuple:
    """The reference quota, raised where the largest tenant's services need more at their maximum
    replicas: pave refuses a quota its services cannot fit (`quota-too-small`), as Kubernetes
    would refuse their pods, so the reference quotas (fixed whatever N) would make the workload
    fail `pave check` from N of a few hundred. Rounded up to whole CPUs, GiB and tens of pods."""
    nt = n_tenants(n)
    need = [0, 0, 0, 0, 0]  # requests.cpu (m), requests.memory (Mi), limits.cpu, limits.memory, pods
    for i in range(nt):
        t = [0, 0, 0, 0, 0]
        for k in range(i, n, nt):
            base = 1 + k % 3
            pods = {"dev": 3 if dev_hpa else 1, "staging": 3 * base, "prod": 6 * base}[env]
            rcpu, rmem, lcpu, lmem = SIZES[k % 4]
            for j, amount in enumerate(
                (_milli(rcpu), _mebi(rmem), _milli(lcpu), _mebi(lmem))
            ):
                t[j] += amount * pods
            t[4] += pods
        need = [max(a, b) for a, b in zip(need, t)]
    rcpu, rmem, lcpu, lmem, pods = quota
    up = lambda value, unit: -(-value // unit)  # noqa: E731 (ceiling division)
    return (
        str(max(_milli(rcpu) // 1000, up(need[0], 1000))),
        f"{max(_mebi(rmem) // 1024, up(need[1], 1024))}Gi",
        str(max(_milli(lcpu) // 1000, up(need[2], 1000))),
        f"{max(_mebi(lmem) // 1024, up(need[3], 1024))}Gi",
        max(int(pods), up(need[4], 10) * 10),
    )


def environment_yaml(name: str, typ: str, after: str | None, quota: tuple) -> str:
    rcpu, rmem, lcpu, lmem, pods = quota
    promotion = f"  promotion:\n    after: {q(after)}\n" if after else ""
    return (
        f"apiVersion: {q(API_VERSION)}\n"
        "kind: Environment\n"
        "metadata:\n"
        f"  name: {q(name)}\n"
        "spec:\n"
        f"  type: {q(typ)}\n"
        f"  account: {q(name)}\n"
        "  regions:\n"
        f"    - {q(REGION)}\n"
        f"  kubernetesVersion: {q(KUBERNETES_VERSION)}\n"
        f"{promotion}"
        "  defaults:\n"
        "    quota:\n"
        "      requests:\n"
        f"        cpu: {q(rcpu)}\n"
        f"        memory: {q(rmem)}\n"
        "      limits:\n"
        f"        cpu: {q(lcpu)}\n"
        f"        memory: {q(lmem)}\n"
        f"      pods: {int(pods)}\n"
    )


def tenant_yaml(i: int) -> str:
    t = tenant_name(i)
    envs = "".join(f"    - {q(env)}\n" for env, _, _, _, _ in ENVIRONMENTS)
    return (
        f"apiVersion: {q(API_VERSION)}\n"
        "kind: Tenant\n"
        "metadata:\n"
        f"  name: {q(t)}\n"
        "spec:\n"
        "  owners:\n"
        "    groups:\n"
        f"      - {q(t + '-engineers')}\n"
        f"  costCenter: {q(f'cc-{1000 + i}')}\n"
        "  environments:\n"
        f"{envs}"
    )


def service_yaml(k: int, n: int, dev_hpa: bool = False) -> str:
    """One Service document, starting with its '---' separator."""
    t = tenant_name(tenant_of(k, n))
    s = service_name(k)
    base = 1 + k % 3
    rcpu, rmem, lcpu, lmem = SIZES[k % 4]
    if dev_hpa:
        dev = "      replicas:\n        min: 1\n        max: 3\n"
    else:
        dev = "      replicas: 1\n"
    return (
        "---\n"
        f"apiVersion: {q(API_VERSION)}\n"
        "kind: Service\n"
        "metadata:\n"
        f"  name: {q(s)}\n"
        f"  tenant: {q(t)}\n"
        "spec:\n"
        f"  image: {q(service_image(k, n))}\n"
        f"  port: {8080 + k % 20}\n"
        "  replicas:\n"
        f"    min: {base}\n"
        f"    max: {3 * base}\n"
        "  resources:\n"
        "    requests:\n"
        f"      cpu: {q(rcpu)}\n"
        f"      memory: {q(rmem)}\n"
        "    limits:\n"
        f"      cpu: {q(lcpu)}\n"
        f"      memory: {q(lmem)}\n"
        "  env:\n"
        f"    LOG_LEVEL: {q(LOG_LEVELS[k % 4])}\n"
        f"    OTEL_SERVICE_NAME: {q(s)}\n"
        f"    CACHE_TTL_SECONDS: {60 * (1 + k % 10)}\n"
        "  environments:\n"
        "    dev:\n"
        f"{dev}"
        "    prod:\n"
        "      replicas:\n"
        f"        min: {2 * base}\n"
        f"        max: {6 * base}\n"
    )


def _write(path: str, text: str) -> int:
    data = text.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def generate(n: int, outdir: str, *, dev_hpa: bool = False, force: bool = False,
             layout: str | None = None) -> dict:
    """Write the platform root for N services into outdir; return a small summary."""
    if n < 1:
        raise ValueError("N must be >= 1")
    existing = [p for p in GENERATED if os.path.lexists(os.path.join(outdir, p))]
    if existing:
        if not force:
            raise FileExistsError(
                f"{outdir} already holds {', '.join(existing)}; pass --force to replace them"
            )
        for p in existing:
            full = os.path.join(outdir, p)
            if os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full)
            else:
                os.remove(full)

    os.makedirs(os.path.join(outdir, "environments"), exist_ok=True)
    files = 0
    size = 0

    size += _write(os.path.join(outdir, "pave.yaml"), platform_yaml(layout))
    files += 1
    for name, typ, _, after, quota in ENVIRONMENTS:
        size += _write(
            os.path.join(outdir, "environments", f"{name}.yaml"),
            environment_yaml(name, typ, after, fitting_quota(name, quota, n, dev_hpa)),
        )
        files += 1

    nt = n_tenants(n)
    for i in range(nt):
        tdir = os.path.join(outdir, "tenants", tenant_name(i))
        os.makedirs(tdir, exist_ok=True)
        size += _write(os.path.join(tdir, "tenant.yaml"), tenant_yaml(i))
        # Services of tenant i: k = i, i + nt, i + 2*nt, ...
        docs = [service_yaml(k, n, dev_hpa) for k in range(i, n, nt)]
        size += _write(os.path.join(tdir, "services.yaml"), "".join(docs))
        files += 2

    return {"services": n, "tenants": nt, "environments": len(ENVIRONMENTS),
            "files": files, "bytes": size}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Generate the reference benchmark workload as a pave platform root.")
    ap.add_argument("n", type=int, metavar="N", help="number of services")
    ap.add_argument("outdir", metavar="OUTDIR", help="platform root to write")
    ap.add_argument("--force", action="store_true",
                    help="replace pave.yaml, environments/ and tenants/ if OUTDIR already has them")
    ap.add_argument("--dev-hpa", action="store_true",
                    help="dev replicas {min: 1, max: 3} (an HPA in dev too) instead of a fixed 1")
    ap.add_argument("--layout", choices=["workload", "object"],
                    help="the Platform's spec.gitops.layout (default: pave's, one file per workload)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("N must be >= 1")
    t0 = time.perf_counter()
    try:
        summary = generate(args.n, args.outdir, dev_hpa=args.dev_hpa, force=args.force,
                           layout=args.layout)
    except FileExistsError as e:
        print(f"generate.py: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(
            f"wrote {summary['services']} services, {summary['tenants']} tenants, "
            f"{summary['environments']} environments: {summary['files']} files, "
            f"{summary['bytes'] / 1e6:.2f} MB in {time.perf_counter() - t0:.2f} s -> {args.outdir}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
