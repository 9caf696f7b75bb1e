// Starts `pave lsp` for the YAML specs and Rego policies of a workspace that holds a pave.yaml.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("pave").get("path") || "pave";
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient(
    "pave",
    "pave",
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: "file", language: "yaml" },
        { scheme: "file", pattern: "**/*.rego" },
      ],
      synchronize: {
        // Files changed outside the editor (a checkout, `pave new`) are read again.
        fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{yaml,yml,rego}"),
      },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
