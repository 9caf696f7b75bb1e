#!/usr/bin/env python3
"""Latency of `pave lsp` from a keystroke to its diagnostics.

Starts `pave lsp` on a platform, opens one Service spec, then edits it as a developer would: each
round sends a `textDocument/didChange` that makes an error (an unknown tenant), waits for the
`textDocument/publishDiagnostics` that reports it, sends the change that undoes it and waits for
the publication that clears it. The time from writing each didChange to reading its publication
is one sample; the median and the 90th percentile are printed. The first check after opening (the
rules compiled, caches cold) is reported apart.

    python3 bench/lsp.py --pave target/release/pave examples/techcorp
    python3 bench/generate.py 1000 /tmp/platform-1000 && \\
        python3 bench/lsp.py --pave target/release/pave /tmp/platform-1000

Standard library only. The platform is used in place and not changed on disk (edits stay in the
server's buffer).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


class Server:
    def __init__(self, pave, root):
        self.proc = subprocess.Popen(
            [pave, "lsp", root],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.next_id = 0

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def receive(self):
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("pave lsp closed its output")
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.proc.stdout.read(length))

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == self.next_id:
                return message.get("result")

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def diagnostics_for(self, uri):
        while True:
            message = self.receive()
            if (
                message.get("method") == "textDocument/publishDiagnostics"
                and message["params"]["uri"] == uri
            ):
                return message["params"]["diagnostics"]


def first_service(root):
    """A Service spec of the platform (the first by path), and its tenant line."""
    for folder, dirs, files in sorted(os.walk(root)):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "gitops")
        for name in sorted(files):
            if not name.endswith(".yaml"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if "\nkind: Service\n" in text or text.startswith("kind: Service\n"):
                for line in text.splitlines():
                    if line.strip().startswith("tenant:"):
                        return path, text, line
    raise SystemExit(f"no Service spec with a `tenant:` line under {root}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", help="platform root (the folder of pave.yaml)")
    ap.add_argument("--pave", default="target/release/pave", help="the pave binary")
    ap.add_argument("--rounds", type=int, default=10, help="edit-and-undo rounds (default 10)")
    args = ap.parse_args()

    root = os.path.abspath(args.root)
    path, text, tenant_line = first_service(root)
    broken = text.replace(tenant_line, tenant_line.rstrip() + "-typo", 1)
    uri = "file://" + path
    server = Server(args.pave, root)
    server.request("initialize", {"processId": None, "rootUri": "file://" + root, "capabilities": {}})
    server.notify("initialized", {})
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
    )

    samples = {True: [], False: []}
    first = None
    version = 1
    for round_ in range(args.rounds):
        for edit, expect_error in ((broken, True), (text, False)):
            version += 1
            start = time.perf_counter()
            server.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": edit}]},
            )
            diagnostics = server.diagnostics_for(uri)
            elapsed = time.perf_counter() - start
            if bool(diagnostics) != expect_error:
                raise SystemExit(f"unexpected diagnostics after version {version}: {diagnostics}")
            if first is None:
                first = elapsed
            else:
                samples[expect_error].append(elapsed)

    server.request("shutdown", None)
    server.notify("exit", None)
    server.proc.wait(timeout=30)

    # `pave check` on the same files, for comparison (a fresh process: reading, rules compiled).
    check = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([args.pave, "check", root], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        check.append(time.perf_counter() - start)

    ms = lambda s: f"{s * 1000:.0f} ms"

    def summary(values):
        values = sorted(values)
        p90 = values[max(0, int(len(values) * 0.9 + 0.5) - 1)]
        return f"median {ms(statistics.median(values))}, p90 {ms(p90)}, min {ms(values[0])}, max {ms(values[-1])} ({len(values)} edits)"

    print(f"platform: {args.root} ({os.path.relpath(path, root)} edited)")
    print(f"first edit after opening: {ms(first)}")
    print(f"didChange -> publishDiagnostics, edit makes an unknown tenant (resolve stops): {summary(samples[True])}")
    print(f"didChange -> publishDiagnostics, edit undone (the whole check, as pave check): {summary(samples[False])}")
    print(f"pave check on the same files, whole process: median {ms(statistics.median(check))}")


if __name__ == "__main__":
    sys.exit(main())
