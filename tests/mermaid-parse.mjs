// Parses a Mermaid diagram with mermaid's own parser (`mermaid.parse`), as GitHub's renderer
// would before drawing it; exits 1 with the parser's message when the text is not a diagram.
// Mermaid's flowchart sanitises labels with DOMPurify, which needs a DOM: jsdom stands in for
// the browser. Usage: PAVE_MERMAID_MODULES=<node_modules with mermaid and jsdom> node
// mermaid-parse.mjs FILE
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const modules = process.env.PAVE_MERMAID_MODULES;
const require = createRequire(path.join(modules, 'noop.js'));
const { JSDOM } = require('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import(
  pathToFileURL(path.join(modules, 'mermaid', 'dist', 'mermaid.core.mjs')).href
);
const text = fs.readFileSync(process.argv[2], 'utf8');
try {
  const result = await mermaid.parse(text);
  process.stdout.write(`${result.diagramType}\n`);
} catch (error) {
  process.stdout.write(`${error.message}\n`);
  process.exit(1);
}
