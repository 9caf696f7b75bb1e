//! `pave lsp` driven as an editor drives it: JSON-RPC over the process's standard input and
//! output with `Content-Length` framing, on a copy of the TechCorp example. Diagnostics appear
//! and disappear as an edit is made and undone, agree with `pave check`, and a half-typed buffer
//! gets its syntax diagnostic while the server keeps answering; definition, references, hover,
//! completion and quick fixes answer about the example's names.

use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use libtest_mimic::{Failed, Trial};
use serde_json::{Value as Json, json};

use crate::support::{TODAY, copy_specs, pave, repo};

pub(crate) fn trials() -> Vec<Trial> {
    vec![
        Trial::test(
            "lsp::a_diagnostic_appears_and_disappears_as_an_edit_is_made_and_undone",
            appears_and_disappears,
        ),
        Trial::test(
            "lsp::a_half_typed_buffer_gets_its_syntax_diagnostic_and_the_server_keeps_answering",
            half_typed,
        ),
        Trial::test(
            "lsp::definition_references_hover_completion_and_quick_fix_on_the_example",
            navigation,
        ),
    ]
}

/// How long to wait for one message before calling the server stuck. Generous: a debug build
/// checks the example in about a second, and the machine may be busy.
const PATIENCE: Duration = Duration::from_secs(120);

fn check(condition: bool, message: impl Into<String>) -> Result<(), Failed> {
    if condition {
        Ok(())
    } else {
        Err(message.into().into())
    }
}

/// A `pave lsp` process and what it sent that was not read yet.
struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Json>,
    /// Notifications read while waiting for something else.
    pending: VecDeque<Json>,
    next_id: i64,
    root: PathBuf,
}

impl Client {
    /// Starts the server on `root` and initializes it.
    fn start(root: &Path) -> Result<Client, Failed> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pave"))
            .arg("lsp")
            .current_dir(root)
            .env("PAVE_TODAY", TODAY)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start pave lsp: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let Some(length) = length else { return };
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let Ok(message) = serde_json::from_slice::<Json>(&body) else {
                    return;
                };
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            messages,
            pending: VecDeque::new(),
            next_id: 0,
            root: root.to_path_buf(),
        };
        let result = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": client.uri(""),
                "capabilities": {},
            }),
        )?;
        check(
            result["capabilities"]["hoverProvider"] == json!(true),
            format!("initialize: {result}"),
        )?;
        client.notify("initialized", json!({}))?;
        Ok(client)
    }

    fn uri(&self, name: &str) -> String {
        let path = self.root.join(name);
        format!("file://{}", path.display()).replace(' ', "%20")
    }

    fn send(&mut self, message: &Json) -> Result<(), Failed> {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("writing to pave lsp: {e}").into())
    }

    fn notify(&mut self, method: &str, params: Json) -> Result<(), Failed> {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    fn receive(&mut self) -> Result<Json, Failed> {
        match self.messages.recv_timeout(PATIENCE) {
            Ok(message) => Ok(message),
            Err(RecvTimeoutError::Timeout) => Err("pave lsp sent nothing".into()),
            Err(RecvTimeoutError::Disconnected) => Err("pave lsp closed its output".into()),
        }
    }

    /// Sends a request and returns its result; notifications that come first are kept.
    fn request(&mut self, method: &str, params: Json) -> Result<Json, Failed> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        loop {
            let message = self.receive()?;
            if message["id"] == json!(id) {
                if let Some(error) = message.get("error") {
                    return Err(format!("{method}: {error}").into());
                }
                return Ok(message["result"].clone());
            }
            self.pending.push_back(message);
        }
    }

    /// The next diagnostics published for a file.
    fn diagnostics(&mut self, name: &str) -> Result<Vec<Json>, Failed> {
        let uri = self.uri(name);
        let is_for = |m: &Json| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == json!(uri)
        };
        if let Some(at) = self.pending.iter().position(is_for) {
            let message = self.pending.remove(at).unwrap_or_default();
            return Ok(message["params"]["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default());
        }
        loop {
            let message = self.receive()?;
            if is_for(&message) {
                return Ok(message["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default());
            }
            self.pending.push_back(message);
        }
    }

    fn open(&mut self, name: &str, text: &str) -> Result<(), Failed> {
        let uri = self.uri(name);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        )
    }

    fn change(&mut self, name: &str, version: i32, text: &str) -> Result<(), Failed> {
        let uri = self.uri(name);
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": text}],
            }),
        )
    }

    /// A request about a position: line and character of the first `needle` in `text`, plus
    /// `shift` characters.
    fn at(
        &mut self,
        method: &str,
        name: &str,
        text: &str,
        needle: &str,
        shift: usize,
    ) -> Result<Json, Failed> {
        let position = position_of(text, needle, shift)?;
        let uri = self.uri(name);
        let mut params = json!({"textDocument": {"uri": uri}, "position": position});
        if method == "textDocument/references" {
            params["context"] = json!({"includeDeclaration": true});
        }
        self.request(method, params)
    }

    fn shutdown(mut self) -> Result<(), Failed> {
        self.request("shutdown", Json::Null)?;
        self.notify("exit", Json::Null)?;
        let status = self.child.wait().map_err(|e| e.to_string())?;
        check(
            status.code() == Some(0),
            format!("pave lsp exited with {status}"),
        )
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // A failed test leaves no server behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The LSP position of `needle`'s first occurrence in `text`, `shift` characters in (the
/// example's text is ASCII, where UTF-16 units are bytes).
fn position_of(text: &str, needle: &str, shift: usize) -> Result<Json, Failed> {
    let at = text
        .find(needle)
        .ok_or_else(|| format!("`{needle}` not in the text"))?
        + shift;
    let line = text[..at].matches('\n').count();
    let character = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    Ok(json!({"line": line, "character": character}))
}

fn example_copy() -> Result<(tempfile::TempDir, PathBuf), Failed> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("techcorp");
    copy_specs(&repo().join("examples/techcorp"), &root)?;
    Ok((temp, root))
}

const ORDER_SERVICE: &str = "tenants/backend/services/order-service.yaml";
const USER_SERVICE: &str = "tenants/backend/services/user-service.yaml";

fn read(root: &Path, name: &str) -> Result<String, Failed> {
    std::fs::read_to_string(root.join(name)).map_err(|e| format!("{name}: {e}").into())
}

fn codes(diagnostics: &[Json]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn appears_and_disappears() -> Result<(), Failed> {
    let (_temp, root) = example_copy()?;
    let original = read(&root, ORDER_SERVICE)?;
    let mut client = Client::start(&root)?;
    client.open(ORDER_SERVICE, &original)?;
    // A typo in a placeholder: `pave check`'s diagnostic, at the placeholder, with its fix.
    let typo = original.replacen("${resources.db.password}", "${resources.db.pasword}", 1);
    client.change(ORDER_SERVICE, 2, &typo)?;
    let diagnostics = client.diagnostics(ORDER_SERVICE)?;
    check(
        codes(&diagnostics) == ["unknown-resource-output"],
        format!("after the typo: {diagnostics:?}"),
    )?;
    let diagnostic = &diagnostics[0];
    check(
        diagnostic["range"]["start"] == position_of(&typo, "${resources.db.pasword}", 0)?
            && diagnostic["range"]["end"]
                == position_of(
                    &typo,
                    "${resources.db.pasword}",
                    "${resources.db.pasword}".len(),
                )?
            && diagnostic["message"]
                .as_str()
                .is_some_and(|m| m.contains("did you mean `password`?")),
        format!("the typo's diagnostic: {diagnostic}"),
    )?;
    // The quick fix replaces the placeholder with the suggestion.
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": client.uri(ORDER_SERVICE)},
            "range": diagnostic["range"],
            "context": {"diagnostics": [diagnostic]},
        }),
    )?;
    let edit = &actions[0]["edit"]["changes"][client.uri(ORDER_SERVICE)][0];
    check(
        edit["newText"] == "${resources.db.password}" && edit["range"] == diagnostic["range"],
        format!("code actions: {actions}"),
    )?;
    // Undone: the file's diagnostics are cleared.
    client.change(ORDER_SERVICE, 3, &original)?;
    let diagnostics = client.diagnostics(ORDER_SERVICE)?;
    check(
        diagnostics.is_empty(),
        format!("after the undo: {diagnostics:?}"),
    )?;

    // An unknown tenant in another file, unsaved: the same diagnostics as `pave check` on the
    // same text saved.
    let user_service = read(&root, USER_SERVICE)?;
    let wrong_tenant = user_service.replacen("tenant: backend", "tenant: backnd", 1);
    client.open(USER_SERVICE, &wrong_tenant)?;
    let diagnostics = client.diagnostics(USER_SERVICE)?;
    std::fs::write(root.join(USER_SERVICE), &wrong_tenant).map_err(|e| e.to_string())?;
    let run = pave(&root, &["check", "--output", "json"]);
    let report: Json = serde_json::from_str(&run.stdout).map_err(|e| e.to_string())?;
    let expected: Vec<(String, u64, u64)> = report["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        // The file's own: the edit may also leave a finding in a file that refers to it.
        .filter(|d| d["file"] == USER_SERVICE)
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or_default() - 1,
                d["column"].as_u64().unwrap_or_default() - 1,
            )
        })
        .collect();
    let published: Vec<(String, u64, u64)> = diagnostics
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap_or_default(),
                d["range"]["start"]["character"]
                    .as_u64()
                    .unwrap_or_default(),
            )
        })
        .collect();
    check(
        !expected.is_empty() && published == expected,
        format!("pave lsp: {published:?}\npave check: {expected:?}"),
    )?;
    client.shutdown()
}

fn half_typed() -> Result<(), Failed> {
    let (_temp, root) = example_copy()?;
    let original = read(&root, ORDER_SERVICE)?;
    let mut client = Client::start(&root)?;
    client.open(ORDER_SERVICE, &original)?;
    // Half-way through typing a flow mapping.
    let half = original.replacen(
        "  port: 8080\n",
        "  port: 8080\n  probes: {liveness: {path: /x\n",
        1,
    );
    client.change(ORDER_SERVICE, 2, &half)?;
    let diagnostics = client.diagnostics(ORDER_SERVICE)?;
    let first = diagnostics.first().cloned().unwrap_or_default();
    check(
        first["code"] == "yaml-syntax" && first["range"]["start"]["line"].as_u64() > Some(8),
        format!("half-typed: {diagnostics:?}"),
    )?;
    // Still answering, and on the other files too.
    let hover = client.at(
        "textDocument/hover",
        USER_SERVICE,
        &read(&root, USER_SERVICE)?,
        "tenant: backend",
        10,
    )?;
    check(
        hover["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("tenant `backend`")),
        format!("hover after the syntax error: {hover}"),
    )?;
    client.change(ORDER_SERVICE, 3, &original)?;
    let diagnostics = client.diagnostics(ORDER_SERVICE)?;
    check(
        diagnostics.is_empty(),
        format!("after the fix: {diagnostics:?}"),
    )?;
    // Every prefix of the file, as if typed from the top: each gets its answers, none ends the
    // server.
    let step = original.len() / 16;
    for (i, cut) in (0..original.len()).step_by(step).enumerate() {
        let version = 4 + i32::try_from(i).unwrap_or_default();
        let prefix = &original[..cut];
        client.change(ORDER_SERVICE, version, prefix)?;
        let end = json!({
            "line": prefix.matches('\n').count(),
            "character": prefix.len() - prefix.rfind('\n').map_or(0, |i| i + 1),
        });
        let uri = client.uri(ORDER_SERVICE);
        for method in [
            "textDocument/completion",
            "textDocument/hover",
            "textDocument/definition",
        ] {
            client.request(
                method,
                json!({"textDocument": {"uri": uri}, "position": end}),
            )?;
        }
    }
    client.change(ORDER_SERVICE, 100, &original)?;
    while !client.diagnostics(ORDER_SERVICE)?.is_empty() {}
    client.shutdown()
}

fn navigation() -> Result<(), Failed> {
    let (_temp, root) = example_copy()?;
    let order = read(&root, ORDER_SERVICE)?;
    let mut client = Client::start(&root)?;
    client.open(ORDER_SERVICE, &order)?;

    // A placeholder's resource name leads to the `requires` entry.
    let definition = client.at(
        "textDocument/definition",
        ORDER_SERVICE,
        &order,
        "${resources.db.host}",
        13,
    )?;
    let requires_db = position_of(&order, "    db: {type: postgres", 4)?;
    check(
        definition[0]["uri"] == json!(client.uri(ORDER_SERVICE))
            && definition[0]["range"]["start"] == requires_db,
        format!("definition of `db`: {definition}"),
    )?;
    // A dependency in another tenant leads to its Service's name, from `dependsOn` and from a
    // `${services.…}` placeholder alike.
    let definition = client.at(
        "textDocument/definition",
        ORDER_SERVICE,
        &order,
        "[user-service, data/ml-inference]",
        22,
    )?;
    let ml = read(&root, "tenants/data/services/ml-inference.yaml")?;
    check(
        definition[0]["uri"] == json!(client.uri("tenants/data/services/ml-inference.yaml"))
            && definition[0]["range"]["start"] == position_of(&ml, "name: ml-inference", 6)?,
        format!("definition of `data/ml-inference` in dependsOn: {definition}"),
    )?;
    let definition = client.at(
        "textDocument/definition",
        ORDER_SERVICE,
        &order,
        "${services.data/ml-inference.url}",
        16,
    )?;
    let ml = read(&root, "tenants/data/services/ml-inference.yaml")?;
    check(
        definition[0]["uri"] == json!(client.uri("tenants/data/services/ml-inference.yaml"))
            && definition[0]["range"]["start"] == position_of(&ml, "name: ml-inference", 6)?,
        format!("definition of `data/ml-inference` in a placeholder: {definition}"),
    )?;
    // A waiver's rule leads to the policy's `custom.id`.
    let waivers = read(&root, "policies/waivers.yaml")?;
    let definition = client.at(
        "textDocument/definition",
        "policies/waivers.yaml",
        &waivers,
        "rule: owners",
        8,
    )?;
    check(
        definition[0]["uri"] == json!(client.uri("policies/owners-name-a-person.rego")),
        format!("definition of the waiver's rule: {definition}"),
    )?;
    // Every use of tenant `backend`: its Tenant, its services, the `allowFrom` of `data`.
    let references = client.at(
        "textDocument/references",
        ORDER_SERVICE,
        &order,
        "tenant: backend",
        9,
    )?;
    let files: Vec<&str> = references
        .as_array()
        .map(|r| r.iter().filter_map(|l| l["uri"].as_str()).collect())
        .unwrap_or_default();
    for name in [
        "tenants/backend/tenant.yaml",
        USER_SERVICE,
        ORDER_SERVICE,
        "tenants/data/tenant.yaml",
    ] {
        check(
            files.contains(&client.uri(name).as_str()),
            format!("references to `backend` miss {name}: {files:?}"),
        )?;
    }

    // Hover: a key's schema description, and the value in each environment with its source.
    let hover = client.at(
        "textDocument/hover",
        ORDER_SERVICE,
        &order,
        "  size: medium",
        3,
    )?;
    let text = hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    check(
        text.contains("`dev`")
            && text.contains("`prod`")
            && text.contains("the service's `prod` override"),
        format!("hover on `size`: {text}"),
    )?;
    let hover = client.at(
        "textDocument/hover",
        ORDER_SERVICE,
        &order,
        "${resources.db.password}",
        13,
    )?;
    let text = hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    check(
        text.contains("**secret**") && text.contains("class `large`"),
        format!("hover on `${{resources.db.password}}`: {text}"),
    )?;

    // Completion: names of values, outputs inside a placeholder (the one being typed),
    // keys from the schema (on a line that does not parse yet).
    let labels = |items: &Json| -> Vec<String> {
        items
            .as_array()
            .map(|i| {
                i.iter()
                    .filter_map(|c| c["label"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let sizes = client.at(
        "textDocument/completion",
        ORDER_SERVICE,
        &order,
        "size: medium",
        6,
    )?;
    check(
        ["small", "medium", "large"]
            .iter()
            .all(|s| labels(&sizes).iter().any(|l| l == s)),
        format!("size completion: {sizes}"),
    )?;
    let tenants = client.at(
        "textDocument/completion",
        ORDER_SERVICE,
        &order,
        "tenant: backend",
        8,
    )?;
    check(
        labels(&tenants) == ["backend", "data", "web"],
        format!("tenant completion: {tenants}"),
    )?;
    let typing = order.replacen("${resources.db.host}", "${resources.db.", 1);
    client.change(ORDER_SERVICE, 2, &typing)?;
    let outputs = client.at(
        "textDocument/completion",
        ORDER_SERVICE,
        &typing,
        "${resources.db.:",
        15,
    )?;
    check(
        labels(&outputs) == ["host", "port", "name", "username", "password"],
        format!("output completion: {outputs}"),
    )?;
    let edited = order.replacen("  port: 8080\n", "  port: 8080\n  si\n", 1);
    client.change(ORDER_SERVICE, 3, &edited)?;
    let keys = client.at(
        "textDocument/completion",
        ORDER_SERVICE,
        &edited,
        "  si\n",
        4,
    )?;
    check(
        labels(&keys).iter().any(|l| l == "size") && labels(&keys).iter().any(|l| l == "dependsOn"),
        format!("key completion: {keys}"),
    )?;
    client.shutdown()
}
