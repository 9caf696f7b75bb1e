#!/usr/bin/env python3
"""Benchmark pave on the reference workload (see bench/README.md).

    python3 bench/run.py [--sizes 100,1000,10000,50000] [--pave PATH] [--json FILE]

Builds pave (`cargo build --release`, unless --pave is given), then for each size N generates the
platform root (bench/generate.py) into a temporary work folder (under $TMPDIR, or --workdir;
removed afterwards unless --keep) and measures, median of --runs runs (1 run when N >= 50,000):

- `pave check --no-cache ROOT`: wall time, peak RSS (a check from nothing, as on a fresh clone);
- `pave compile ROOT --out OUT --timings` from scratch (OUT removed first): wall time, peak RSS and
  the stage timings pave prints on stderr;
- the output tree: files, bytes, objects (YAML documents outside kustomization files);
- a baseline: bench/baseline_write.c (built with `cc -O2`) creates the same files with the same
  bytes in a fresh folder on the same disk; each compile run is followed by a baseline run and the
  write ratio is the median of (pave `write` stage / baseline write phase) over those pairs;
- a recompile with the tree present after changing the image tag of one service: wall time;
- `pave check ROOT` after changing one service's image again, with the tree and pave's caches up
  to date (what a pre-commit hook does): wall time.

Before every timed run the script calls sync(), so writeback left over from the previous step
(rm -rf of the last tree, generated specs) is not billed to it.

Prints a Markdown table and checks the targets. Exit status: 0 when measured (whatever the
targets say), 2 when pave is missing, cannot be built or fails.
Standard library only; Linux (peak RSS comes from os.wait4).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
import generate  # noqa: E402  (bench/generate.py)

DEFAULT_SIZES = "100,1000,10000,50000"
SINGLE_RUN_FROM = 50_000          # N >= this: 1 run instead of --runs
KUSTOMIZATION_NAMES = {"kustomization.yaml", "kustomization.yml", "Kustomization"}

# Targets: issue 20's (bench/README.md, "Targets").
TARGET_CHECK_S = 0.6              # pave check from nothing (no cache) at N = 10,000
TARGET_COMPILE_MEM_S = 0.8        # compile to memory (pave total - write) at N = 10,000
TARGET_COMPILE_RSS_MB = 350.0     # peak RSS of compile at N = 10,000
TARGET_WRITE_RATIO = 1.5          # pave write stage / baseline write
TARGET_RECOMPILE_S = 0.3          # recompile after one change, N = 10,000
TARGET_CHECK_CHANGED_S = 0.2      # pave check after one change, caches and tree up to date, N = 10,000
TARGET_CHECK_1K_S = 0.1           # pave check from nothing (no cache) at N = 1,000
TARGET_SCALING = 5.2              # compile wall N = 50,000 / N = 10,000
TARGET_JSONNET_RATIO = 0.5        # compile from scratch / jsonnet's render, N = 10,000
# jsonnet (C++) rendering the workload at N = 10,000 on the reference machine, measured side by side
# with pave when issue 20 was filed; jsonnet is not installed here, so the ratio uses this figure
# unless --jsonnet-s gives one measured in the same run.
JSONNET_10K_S = 19.7


class BenchError(Exception):
    """pave missing, not buildable or failing: exit status 2."""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Running and measuring one child process
# --------------------------------------------------------------------------------------------


def run_measured(argv: list[str], capture_dir: str, cwd: str | None = None) -> dict:
    """Run argv to completion; wall time and the child's own peak RSS (os.wait4 rusage).

    stdout/stderr go to files (no pipes to drain while we block in wait4)."""
    out_path = os.path.join(capture_dir, "child.stdout")
    err_path = os.path.join(capture_dir, "child.stderr")
    with open(out_path, "wb") as out_f, open(err_path, "wb") as err_f:
        t0 = time.perf_counter()
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out_f, stderr=err_f,
                                    cwd=cwd)
        except OSError as e:
            raise BenchError(f"cannot run {argv[0]}: {e}") from e
        _, status, rusage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: keep Popen from waiting again
    with open(out_path, "rb") as f:
        stdout = f.read().decode("utf-8", "replace")
    with open(err_path, "rb") as f:
        stderr = f.read().decode("utf-8", "replace")
    return {
        "argv": argv,
        "rc": proc.returncode,
        "wall_s": wall,
        # Linux: ru_maxrss in KiB.
        "maxrss_mb": rusage.ru_maxrss * 1024 / 1e6,
        "stdout": stdout,
        "stderr": stderr,
    }


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def require_ok(res: dict, what: str) -> dict:
    if res["rc"] != 0:
        how = (f"killed by signal {-res['rc']}" if res["rc"] < 0 else f"exit status {res['rc']}")
        raise BenchError(
            f"{what} failed ({how}): {' '.join(res['argv'])}\n"
            f"--- stderr (last lines) ---\n{tail(res['stderr']) or '(empty)'}\n"
            f"--- stdout (last lines) ---\n{tail(res['stdout']) or '(empty)'}"
        )
    return res


# --------------------------------------------------------------------------------------------
# pave's stage timings
# --------------------------------------------------------------------------------------------

_TIMINGS_HEAD = re.compile(r"^\s*timings:\s*$")
_TIMING_LINE = re.compile(
    r"^\s+(?P<stage>[^\s:]+):?\s+(?P<value>[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)\s*"
    r"(?P<unit>ms|s|us|µs|ns)?\s*$"
)
_UNIT_TO_MS = {"ms": 1.0, None: 1.0, "s": 1e3, "us": 1e-3, "µs": 1e-3, "ns": 1e-6}


def parse_timings(text: str) -> dict[str, float]:
    """Stage -> milliseconds from a `timings:` block (the last one if several); {} if absent.

        timings:
          load        12.345 ms
          ...
          total      180.555 ms
    """
    lines = text.splitlines()
    result: dict[str, float] = {}
    i = 0
    while i < len(lines):
        if _TIMINGS_HEAD.match(lines[i]):
            block: dict[str, float] = {}
            i += 1
            while i < len(lines):
                m = _TIMING_LINE.match(lines[i])
                if not m:
                    break
                # A stage printed twice (pave's `policy`: the rules on specs, then on the rest of
                # the tree) is reported as the sum of the two.
                stage = m["stage"]
                block[stage] = block.get(stage, 0.0) + float(m["value"]) * _UNIT_TO_MS[m["unit"]]
                i += 1
            if block:
                result = block
        else:
            i += 1
    return result


def merge_stage_order(runs) -> list[str]:
    """All stage names, each run's order kept: a stage first seen later goes after its
    predecessor in that run (so load, compile, write stay in pipeline order)."""
    stages: list[str] = []
    for r in runs:
        prev = None
        for s in r:
            if s not in stages:
                stages.insert(stages.index(prev) + 1 if prev is not None else 0, s)
            prev = s
    return stages


def median_timings(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per-stage median over the runs that reported the stage."""
    return {s: statistics.median([r[s] for r in runs if s in r]) for s in merge_stage_order(runs)}


def to_memory_ms(timings: dict[str, float]) -> float | None:
    """Compile to memory = pave's total minus its write stage (or the sum of the other stages)."""
    if "write" not in timings:
        return None
    if "total" in timings:
        return timings["total"] - timings["write"]
    return sum(v for s, v in timings.items() if s != "write")


# --------------------------------------------------------------------------------------------
# The output tree
# --------------------------------------------------------------------------------------------


def count_documents(data: bytes) -> int:
    """YAML documents in a stream: `---` separated, empty/comment-only documents not counted."""
    if b"---" not in data and b"..." not in data:
        return 1 if _has_content(data.splitlines()) else 0
    docs = 0
    current: list[bytes] = []
    for line in data.splitlines():
        if line == b"---" or line.startswith(b"--- ") or line == b"...":
            docs += _has_content(current)
            current = []
        else:
            current.append(line)
    docs += _has_content(current)
    return docs


def _has_content(lines: list[bytes]) -> bool:
    for line in lines:
        s = line.strip()
        if s and not s.startswith(b"#") and not s.startswith(b"%"):
            return True
    return False


def scan_tree(root: str) -> dict:
    """Files (relative paths, grouped by directory, sorted), bytes, kustomizations, objects.

    Objects: YAML documents (a JSON file counts as one) outside kustomization files and outside
    hidden files/folders such as pave's `.pave/manifest.json`."""
    paths: list[str] = []
    total = kustomizations = objects = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if not os.path.isfile(full) or os.path.islink(full):
                continue
            rel = name if rel_dir == "." else os.path.join(rel_dir, name)
            paths.append(rel)
            with open(full, "rb") as f:
                data = f.read()
            total += len(data)
            if name in KUSTOMIZATION_NAMES:
                kustomizations += 1
            elif any(part.startswith(".") for part in rel.split(os.sep)):
                pass  # pave's own state (.pave/manifest.json): written, but not an object
            elif name.endswith((".yaml", ".yml")):
                objects += count_documents(data)
            elif name.endswith(".json"):
                objects += 1
    return {"paths": paths, "files": len(paths), "bytes": total, "mb": total / 1e6,
            "kustomizations": kustomizations, "objects": objects}


def tree_size(root: str) -> tuple[int, int]:
    """(files, bytes) under root, from stat only."""
    files = size = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            if stat.S_ISREG(st.st_mode):
                files += 1
                size += st.st_size
    return files, size


def rmtree(path: str) -> None:
    if os.path.lexists(path):
        shutil.rmtree(path)


# --------------------------------------------------------------------------------------------
# pave and the baseline
# --------------------------------------------------------------------------------------------


def build_pave() -> str:
    cargo = shutil.which("cargo")
    if not cargo:
        raise BenchError("cargo not found on PATH; build pave yourself and pass --pave PATH")
    cmd = [cargo, "build", "--release", "--message-format=json-render-diagnostics"]
    log(f"building pave: {' '.join(cmd[:3])} (in {REPO})")
    proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise BenchError(f"`cargo build --release` failed (exit status {proc.returncode}); "
                         "see the compiler output above")
    exe = None
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        target = msg.get("target") or {}
        if (msg.get("reason") == "compiler-artifact" and target.get("name") == "pave"
                and "bin" in target.get("kind", []) and msg.get("executable")):
            exe = msg["executable"]
    if exe is None:
        target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
        exe = os.path.join(target_dir, "release", "pave")
    return exe


def resolve_pave(path: str | None) -> str:
    if path is None:
        exe = build_pave()
    elif os.sep in path:
        exe = os.path.abspath(path)
    else:
        exe = shutil.which(path) or os.path.abspath(path)
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        raise BenchError(f"pave binary not found or not executable: {exe}"
                         + ("" if path else " (after cargo build --release)"))
    return exe


def build_baseline(workdir: str) -> str | None:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    src = os.path.join(BENCH, "baseline_write.c")
    if not cc:
        log("warning: no C compiler (cc); the write baseline is skipped")
        return None
    exe = os.path.join(workdir, "baseline_write")
    proc = subprocess.run([cc, "-O2", "-o", exe, src], capture_output=True, text=True)
    if proc.returncode != 0:
        log(f"warning: cannot build {src}; the write baseline is skipped\n{proc.stderr}")
        return None
    return exe


def parse_baseline(stdout: str) -> dict:
    out = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return out


def run_baseline(exe: str, src: str, listing: str, dest: str, cap: str, tree: dict) -> dict | None:
    """One baseline run; None (with a warning) if it fails."""
    r = run_measured([exe, src, listing, dest], cap)
    if r["rc"] != 0:
        log(f"warning: the baseline failed, skipping it: {tail(r['stderr'])}")
        return None
    b = parse_baseline(r["stdout"])
    if "write_ms" not in b:
        log(f"warning: no write_ms in the baseline's output, skipping it: {tail(r['stdout'])}")
        return None
    if int(b.get("files", -1)) != tree["files"] or int(b.get("bytes", -1)) != tree["bytes"]:
        log(f"warning: the baseline wrote {b.get('files')} files / {b.get('bytes')} bytes, "
            f"expected {tree['files']} / {tree['bytes']}")
    return b


def settle() -> None:
    """Before a timed run that writes files: flush what earlier steps (rm -rf, writes) left dirty,
    so that their writeback is not billed to the run."""
    os.sync()


# --------------------------------------------------------------------------------------------
# One size
# --------------------------------------------------------------------------------------------


def edit_image(root: str, k: int, n: int, new_tag: str, current: str) -> str:
    """Change service k's image in its spec file from `current` to the same image with new_tag."""
    path = generate.services_file(root, k, n)
    new = current.rsplit(":", 1)[0] + ":" + new_tag
    with open(path, encoding="utf-8") as f:
        text = f.read()
    old_line, new_line = f"  image: {generate.q(current)}\n", f"  image: {generate.q(new)}\n"
    if text.count(old_line) != 1:
        raise RuntimeError(f"cannot find the image of {generate.service_name(k)} in {path}")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(old_line, new_line))
    return new


def bench_size(n: int, args, pave: str, baseline: str | None, workdir: str) -> dict:
    runs = 1 if n >= SINGLE_RUN_FROM else args.runs
    sdir = os.path.join(workdir, f"n{n}")
    root = os.path.join(sdir, "root")
    cap = os.path.join(sdir, "capture")
    os.makedirs(cap)
    tag = f"[N={n}]"
    res: dict = {"n": n, "runs": runs}

    t0 = time.perf_counter()
    spec = generate.generate(n, root, dev_hpa=args.dev_hpa, layout=args.layout)
    res["generate"] = {**spec, "seconds": time.perf_counter() - t0}
    res["services"], res["tenants"] = spec["services"], spec["tenants"]
    log(f"{tag} generated {spec['services']} services, {spec['tenants']} tenants "
        f"({spec['files']} spec files, {spec['bytes'] / 1e6:.1f} MB) "
        f"in {res['generate']['seconds']:.2f} s")

    # pave check from nothing: no cache read or written
    settle()
    checks = []
    for i in range(runs):
        r = require_ok(run_measured([pave, "check", "--no-cache", root], cap), "pave check")
        checks.append(r)
        log(f"{tag} check {i + 1}/{runs}: {r['wall_s']:.3f} s, {r['maxrss_mb']:.0f} MB")
    res["check"] = {
        "wall_s": [r["wall_s"] for r in checks],
        "maxrss_mb": [r["maxrss_mb"] for r in checks],
        "median_s": statistics.median(r["wall_s"] for r in checks),
        "peak_rss_mb": max(r["maxrss_mb"] for r in checks),
    }

    # pave compile from scratch, paired with baseline runs writing the same tree. Every run writes
    # into a fresh folder and nothing is deleted until the end: on ext4 mounted with `discard`
    # (as on the reference machines) creating files right after deleting a large tree is several
    # times slower and erratic. Pairs alternate which of the two goes first; the write ratio is the
    # median of the per-pair ratios. The baseline copies the tree of the latest pave run.
    compiles: list[dict] = []
    base_runs: list[dict] = []
    ratios: list[float] = []
    tree: dict = {}
    listing = os.path.join(sdir, "files.txt")
    use_baseline = baseline is not None
    out = ""

    def compile_once(i: int) -> dict:
        nonlocal out, tree, use_baseline
        out = os.path.join(sdir, f"out.{i}")
        # From scratch: no output tree and none of pave's caches under the platform root (the
        # first run writes them, and the later runs would parse and compile nothing again).
        rmtree(os.path.join(root, ".pave"))
        settle()
        r = require_ok(run_measured([pave, "compile", root, "--out", out, "--timings"], cap),
                       "pave compile")
        r["timings"] = parse_timings(r["stderr"])
        compiles.append(r)
        log(f"{tag} compile {i + 1}/{runs}: {r['wall_s']:.3f} s, {r['maxrss_mb']:.0f} MB"
            + ("" if r["timings"] else " (no timings block on stderr)"))
        if not os.path.isdir(out):
            raise BenchError(f"pave compile exited 0 but wrote no output folder at {out}")
        if not tree:
            tree = scan_tree(out)
            log(f"{tag} output: {tree['files']} files ({tree['kustomizations']} kustomizations), "
                f"{tree['objects']} objects, {tree['mb']:.1f} MB")
            if tree["files"] == 0:
                log(f"{tag} warning: pave wrote no files")
                use_baseline = False
            with open(listing, "w", encoding="utf-8") as f:
                f.writelines(p + "\n" for p in tree["paths"])
        else:
            files, size = tree_size(out)
            if (files, size) != (tree["files"], tree["bytes"]):
                log(f"{tag} warning: run {i + 1} wrote {files} files / {size} bytes, run 1 wrote "
                    f"{tree['files']} / {tree['bytes']} (pave output not deterministic?)")
        return r

    def baseline_once(i: int) -> dict | None:
        nonlocal use_baseline, base_runs
        settle()
        b = run_baseline(baseline, out, listing, os.path.join(sdir, f"baseline.{i}"), cap, tree)
        if b is None:
            use_baseline = False
            base_runs = []
        else:
            base_runs.append(b)
        return b

    for i in range(runs):
        if i % 2 == 0 or not use_baseline:
            r = compile_once(i)
            b = baseline_once(i) if use_baseline else None
        else:
            b = baseline_once(i)   # copies the previous run's (identical) tree
            r = compile_once(i)
        if b is None:
            continue
        msg = f"{tag} baseline {i + 1}/{runs}: write {b['write_ms']:.1f} ms"
        if "write" in r["timings"] and b["write_ms"] > 0:
            ratios.append(r["timings"]["write"] / b["write_ms"])
            msg += f" (pave write {r['timings']['write']:.1f} ms, {ratios[-1]:.2f}×)"
        log(msg)
    timings = median_timings([r["timings"] for r in compiles if r["timings"]])
    # The median of each run's (total - write), not the median total minus the median write: the
    # write stage varies with the disk far more than the rest, and would pick the run.
    to_memory = [m for m in (to_memory_ms(r["timings"]) for r in compiles if r["timings"]) if m is not None]
    res["compile"] = {
        "wall_s": [r["wall_s"] for r in compiles],
        "maxrss_mb": [r["maxrss_mb"] for r in compiles],
        "timings_ms_runs": [r["timings"] for r in compiles],
        "median_s": statistics.median(r["wall_s"] for r in compiles),
        "peak_rss_mb": max(r["maxrss_mb"] for r in compiles),
        "timings_ms": timings,
        "to_memory_ms": statistics.median(to_memory) if to_memory else None,
        "to_memory_ms_runs": to_memory,
    }
    res["output"] = {k: v for k, v in tree.items() if k != "paths"}
    res["baseline"] = None
    if base_runs:
        res["baseline"] = {
            "write_ms_runs": [b["write_ms"] for b in base_runs],
            "write_ms": statistics.median(b["write_ms"] for b in base_runs),
            "dirs": int(base_runs[0].get("dirs", 0)),
        }
    res["write_ratio_runs"] = ratios
    res["write_ratio"] = statistics.median(ratios) if ratios and base_runs else None

    # recompile with the tree present, one service changed
    k = n // 2
    svc = generate.service_name(k)
    image = generate.service_image(k, n)
    recompiles = []
    verified = None
    for i in range(runs):
        image = edit_image(root, k, n, f"9.9.{i}", image)
        settle()
        r = require_ok(run_measured([pave, "compile", root, "--out", out, "--timings"], cap),
                       "pave compile (recompile)")
        r["timings"] = parse_timings(r["stderr"])
        recompiles.append(r)
        log(f"{tag} recompile {i + 1}/{runs} ({svc} -> {image.rsplit('/', 1)[1]}): "
            f"{r['wall_s']:.3f} s, {r['maxrss_mb']:.0f} MB")
    # Sanity: the files that name the service should now carry the last image.
    named = re.compile(re.escape(svc) + r"(?![0-9])")
    mentioning = [p for p in tree["paths"] if named.search(p)]
    if mentioning:
        verified = False
        for p in mentioning:
            try:
                with open(os.path.join(out, p), encoding="utf-8", errors="replace") as f:
                    if image in f.read():
                        verified = True
                        break
            except FileNotFoundError:
                continue
        if not verified:
            log(f"{tag} warning: after the recompile no output file of {svc} holds {image}")
    res["recompile"] = {
        "service": svc,
        "wall_s": [r["wall_s"] for r in recompiles],
        "maxrss_mb": [r["maxrss_mb"] for r in recompiles],
        "timings_ms_runs": [r["timings"] for r in recompiles],
        "median_s": statistics.median(r["wall_s"] for r in recompiles),
        "peak_rss_mb": max(r["maxrss_mb"] for r in recompiles),
        "timings_ms": median_timings([r["timings"] for r in recompiles if r["timings"]]),
        "output_updated": verified,
    }

    # pave check after one change, the tree and the caches up to date. The recompile above recorded
    # the check cache, so a check right after it replays that report: timed once as "check right
    # after the recompile". Then an edit before each timed check.
    first = require_ok(run_measured([pave, "check", root], cap), "pave check (after the recompile)")
    res["check_after_compile"] = {"wall_s": first["wall_s"], "maxrss_mb": first["maxrss_mb"]}
    log(f"{tag} check right after the recompile: {first['wall_s']:.3f} s, "
        f"{first['maxrss_mb']:.0f} MB")
    changed = []
    for i in range(runs):
        image = edit_image(root, k, n, f"9.8.{i}", image)
        settle()
        r = require_ok(run_measured([pave, "check", root], cap), "pave check (one change)")
        changed.append(r)
        log(f"{tag} check after one change {i + 1}/{runs}: {r['wall_s']:.3f} s, "
            f"{r['maxrss_mb']:.0f} MB")
    res["check_changed"] = {
        "wall_s": [r["wall_s"] for r in changed],
        "median_s": statistics.median(r["wall_s"] for r in changed),
        "peak_rss_mb": max(r["maxrss_mb"] for r in changed),
    }

    if args.clean_between and not args.keep:
        rmtree(sdir)
    return res


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def fmt(v, spec: str, none: str = "—") -> str:
    return none if v is None else format(v, spec)


def table(results: list[dict]) -> str:
    stages = [s for s in merge_stage_order(r["compile"]["timings_ms"] for r in results)
              if s != "total"]
    head = (["N", "services", "objects", "files", "MB written", "check s", "compile s"]
            + [f"{s} ms" for s in stages]
            + ["pave total ms", "to memory ms", "write / baseline", "recompile s",
               "check after one change s", "peak RSS check MB", "peak RSS compile MB"])
    rows = []
    for r in results:
        t = r["compile"]["timings_ms"]
        b = r["baseline"]
        ratio = (f"{r['write_ratio']:.2f}× ({t['write']:.0f} / {b['write_ms']:.0f} ms)"
                 if r["write_ratio"] is not None else
                 (f"— (baseline {b['write_ms']:.0f} ms)" if b else "—"))
        rows.append(
            [f"{r['n']:,}", f"{r['services']:,}", f"{r['output']['objects']:,}",
             f"{r['output']['files']:,}", f"{r['output']['mb']:.1f}",
             f"{r['check']['median_s']:.3f}", f"{r['compile']['median_s']:.3f}"]
            + [fmt(t.get(s), ".1f") for s in stages]
            + [fmt(t.get("total"), ".1f"), fmt(r["compile"]["to_memory_ms"], ".1f"), ratio,
               f"{r['recompile']['median_s']:.3f}", f"{r['check_changed']['median_s']:.3f}",
               f"{r['check']['peak_rss_mb']:.0f}", f"{r['compile']['peak_rss_mb']:.0f}"]
        )
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def evaluate_targets(results: list[dict], jsonnet_s: float) -> list[dict]:
    by_n = {r["n"]: r for r in results}
    out: list[dict] = []

    def add(name: str, value, limit, unit: str, note: str = ""):
        status = "n/a" if value is None else ("PASS" if value <= limit else "FAIL")
        out.append({"target": name, "value": value, "limit": limit, "unit": unit,
                    "status": status, "note": note})

    r10 = by_n.get(10_000)
    missing = "" if r10 else "N=10,000 not measured"
    add("check from nothing at N=10,000", r10["check"]["median_s"] if r10 else None,
        TARGET_CHECK_S, "s", missing)
    mem = r10["compile"]["to_memory_ms"] if r10 else None
    add("compile to memory at N=10,000 (pave total − write)", None if mem is None else mem / 1e3,
        TARGET_COMPILE_MEM_S, "s",
        missing or ("no write stage in pave's --timings output" if mem is None else ""))
    add("peak RSS of compile at N=10,000", r10["compile"]["peak_rss_mb"] if r10 else None,
        TARGET_COMPILE_RSS_MB, "MB", missing)
    for r in results:
        add(f"write stage / baseline at N={r['n']:,}", r["write_ratio"], TARGET_WRITE_RATIO, "×",
            "" if r["write_ratio"] is not None else "no write stage or no baseline")
    add("recompile after one change at N=10,000", r10["recompile"]["median_s"] if r10 else None,
        TARGET_RECOMPILE_S, "s", missing)
    add("check after one change at N=10,000 (tree and caches up to date)",
        r10["check_changed"]["median_s"] if r10 else None, TARGET_CHECK_CHANGED_S, "s", missing)
    r1 = by_n.get(1_000)
    add("check from nothing at N=1,000", r1["check"]["median_s"] if r1 else None,
        TARGET_CHECK_1K_S, "s", "" if r1 else "N=1,000 not measured")
    r50 = by_n.get(50_000)
    scale = (r50["compile"]["median_s"] / r10["compile"]["median_s"]
             if r10 and r50 and r10["compile"]["median_s"] > 0 else None)
    add("compile wall N=50,000 / N=10,000", scale, TARGET_SCALING, "×",
        "" if scale is not None else "needs N=10,000 and N=50,000")
    add(f"compile from scratch at N=10,000 / jsonnet's {jsonnet_s:g} s",
        r10["compile"]["median_s"] / jsonnet_s if r10 else None, TARGET_JSONNET_RATIO, "×",
        missing)
    return out


def targets_text(targets: list[dict]) -> str:
    lines = []
    for t in targets:
        val = "—" if t["value"] is None else f"{t['value']:.3f} {t['unit']}"
        note = f"  ({t['note']})" if t["note"] else ""
        lines.append(f"- {t['status']:4}  {t['target']}: {val} (target ≤ {t['limit']} {t['unit']}){note}")
    return "\n".join(lines)


def meta(pave: str, args) -> dict:
    def git(*a):
        try:
            p = subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True, timeout=10)
            return p.stdout.strip() if p.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            return None
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pave": pave,
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain")),
        "runs": args.runs,
        "dev_hpa": args.dev_hpa,
        "layout": args.layout,
    }


def write_json(path: str, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")
    log(f"results saved to {path}")


# --------------------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {text!r}")
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be integers >= 1")
    return sizes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark pave on the reference workload.")
    ap.add_argument("--sizes", type=parse_sizes, default=parse_sizes(DEFAULT_SIZES),
                    help=f"comma-separated numbers of services (default {DEFAULT_SIZES})")
    ap.add_argument("--pave", metavar="PATH",
                    help="pave binary to measure (default: cargo build --release, target/release/pave)")
    ap.add_argument("--json", metavar="FILE", help="also save all results (and raw runs) as JSON")
    ap.add_argument("--runs", type=int, default=3,
                    help=f"runs per measurement, the median is reported (default 3; "
                         f"always 1 for N >= {SINGLE_RUN_FROM:,})")
    ap.add_argument("--workdir", metavar="DIR",
                    help="folder under which a temporary work folder is made for the generated "
                         "specs, pave's output and the baseline copy (default $TMPDIR or /tmp; "
                         "use a disk folder, not a tmpfs; e.g. bench/target)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--clean-between", action="store_true",
                    help="delete each size's files as soon as it is measured (less disk space; "
                         "by default everything is deleted at the end, because mass deletions "
                         "slow down file creation for minutes on ext4 with `discard`)")
    ap.add_argument("--layout", choices=["workload", "object"],
                    help="the Platform's spec.gitops.layout (default: pave's, one file per workload)")
    ap.add_argument("--dev-hpa", action="store_true",
                    help="generate dev replicas {min: 1, max: 3} (an HPA in dev, as the reference "
                         "object count assumes) instead of a fixed 1")
    ap.add_argument("--jsonnet-s", type=float, default=JSONNET_10K_S, metavar="SECONDS",
                    help="jsonnet's render of the workload at N = 10,000, for the from-scratch "
                         f"ratio (default {JSONNET_10K_S}: issue 20's side-by-side measurement)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be >= 1")

    try:
        pave = resolve_pave(args.pave)
    except BenchError as e:
        log(f"error: {e}")
        return 2
    log(f"pave: {pave}")

    base_dir = os.path.abspath(args.workdir or tempfile.gettempdir())
    os.makedirs(base_dir, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="pave-bench-", dir=base_dir)
    free = shutil.disk_usage(workdir).free
    # Per service and tree: ~18 files of ~0.6 KB, each taking a 4 KiB block: ~80 KB. One pave
    # tree and one baseline copy per run.
    per_size = [n * 80_000 * 2 * (1 if n >= SINGLE_RUN_FROM else args.runs) for n in args.sizes]
    need = max(per_size) if args.clean_between else sum(per_size)
    if free < need:
        log(f"warning: {free / 1e9:.1f} GB free in {base_dir}; this run may need ~{need / 1e9:.1f} GB"
            + ("" if args.clean_between else " (--clean-between needs less)"))

    data = {"meta": meta(pave, args), "results": [], "targets": []}
    status = 0
    try:
        baseline = build_baseline(workdir)
        for n in args.sizes:
            data["results"].append(bench_size(n, args, pave, baseline, workdir))
    except BenchError as e:
        log(f"error: {e}")
        data["error"] = str(e)
        status = 2
    except KeyboardInterrupt:
        log("interrupted")
        data["error"] = "interrupted"
        status = 130
    finally:
        if args.keep:
            log(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    if data["results"]:
        data["targets"] = evaluate_targets(data["results"], args.jsonnet_s)
        m = data["meta"]
        print(f"\npave benchmark — {m['date']}, {m['cpus']} CPUs, {m['platform']}, "
              f"commit {(m['git_commit'] or 'none')[:12]}{' (dirty)' if m['git_dirty'] else ''}"
              f"{', dev HPA' if args.dev_hpa else ''}\n")
        print(table(data["results"]))
        print(f"\nTimes are medians of {args.runs} run{'s' if args.runs != 1 else ''} "
              f"(1 run for N >= {SINGLE_RUN_FROM:,}); stage columns are pave's own "
              "--timings of the from-scratch compile; \"to memory\" = pave total − write; "
              "write / baseline = median of per-run ratios (medians of pave write and baseline "
              "write in brackets); peak RSS = max over runs; MB = 10^6 bytes.\n")
        print("Targets:")
        print(targets_text(data["targets"]))
    if args.json:
        write_json(args.json, data)
    return status


if __name__ == "__main__":
    sys.exit(main())
