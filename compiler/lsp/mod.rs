//! `pave lsp`: a Language Server Protocol server over standard input and output.
//!
//! In: the editor's messages (JSON-RPC with `Content-Length` framing, read by rust-analyzer's
//! `lsp-server`). Out: the diagnostics of `pave check` for the whole platform, re-checked as the
//! editor's buffers change, published per file; and answers about the node under the cursor
//! (definition, references, hover, completion, quick fixes). The platform it checks is the files
//! on disk with the open buffers in their place ([`source::overlay`]): only `source` reads files,
//! as everywhere else, and nothing is written.
//!
//! One thread handles the messages in order. After a change, every message already queued is
//! handled before the platform is checked, so a burst of keystrokes is checked once, on its
//! latest text; requests read the buffers' text itself, so an answer never waits for a check
//! of an older state.

mod convert;
mod features;
mod index;
mod schema;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, GotoDefinition, HoverRequest, References, Request as _,
};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    HoverProviderCapability, InitializeParams, OneOf, PublishDiagnosticsParams, ServerCapabilities,
    ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri,
};
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, DiagnosticKind, cap_per_file};
use crate::pipeline::{Options, Timings, compile};
use crate::resolve::ResolvedSpec;
use crate::source::{FileId, SourceMap, find_root, overlay, read_platform};

use index::Index;

/// Runs the server on standard input and output until the client says `exit`; the exit status
/// is 0 after a `shutdown` request, 1 otherwise (as the protocol asks), 2 when the connection
/// fails.
pub fn run(root: Option<PathBuf>, options: Options) -> i32 {
    let (connection, io_threads) = Connection::stdio();
    let status = match serve(&connection, root, options) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(message) => {
            eprintln!("error: pave lsp: {message}");
            2
        }
    };
    drop(connection);
    if let Err(error) = io_threads.join() {
        eprintln!("error: pave lsp: {error}");
        return 2;
    }
    status
}

/// Initializes, then handles messages until `exit`; whether a `shutdown` came first.
fn serve(connection: &Connection, root: Option<PathBuf>, options: Options) -> Result<bool, String> {
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let params: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": ServerInfo {
            name: "pave".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        },
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = root
        .or_else(|| workspace_folder(&params))
        .and_then(|start| find_root(None, &start).ok())
        .or_else(|| find_root(None, &cwd).ok());
    let mut server = Server {
        connection,
        options: Options {
            contents: false,
            ..options
        },
        root: None,
        disk: None,
        buffers: BTreeMap::new(),
        published: BTreeSet::new(),
        snapshot: None,
        dirty: false,
    };
    if let Some(root) = root {
        server.set_root(root);
    }
    loop {
        let Ok(message) = connection.receiver.recv() else {
            return Ok(false);
        };
        if server.handle(message)? {
            return Ok(true);
        }
        // Coalesce: what is queued already is handled before checking, once, the latest state.
        while let Ok(message) = connection.receiver.try_recv() {
            if server.handle(message)? {
                return Ok(true);
            }
        }
        if server.dirty {
            server.check();
        }
    }
}

/// The first workspace folder or the root URI the client gave.
fn workspace_folder(params: &InitializeParams) -> Option<PathBuf> {
    #[expect(deprecated, reason = "older clients send only rootUri")]
    let root_uri = params.root_uri.as_ref();
    params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .map(|folder| &folder.uri)
        .or(root_uri)
        .and_then(convert::uri_to_path)
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "{".into(), "/".into()]),
            ..CompletionOptions::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

/// `window/logMessage` levels.
const ERROR: u8 = 1;
const LOG: u8 = 4;

/// An open document.
struct Buffer {
    uri: Uri,
    version: i32,
    text: String,
}

/// The platform as the buffers have it now, and what is derived from it on demand.
pub(crate) struct Snapshot {
    pub(crate) source_map: SourceMap,
    /// Every spec's spanned YAML and the names it defines and uses, on first use (a check does
    /// not need it).
    index: OnceLock<Index>,
    /// The platform resolved (for hover's effective values), on first use; `None` when it does
    /// not parse or resolve.
    resolved: OnceLock<Option<ResolvedSpec>>,
}

impl Snapshot {
    pub(crate) fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::new(&self.source_map))
    }

    pub(crate) fn resolved(&self) -> Option<&ResolvedSpec> {
        self.resolved
            .get_or_init(|| {
                let (parsed, _) = crate::parse::parse(&self.source_map).ok()?;
                let (resolved, _) = crate::resolve::resolve(parsed).ok()?;
                Some(resolved)
            })
            .as_ref()
    }

    /// The file of a name relative to the root.
    pub(crate) fn file_id(&self, name: &str) -> Option<FileId> {
        self.source_map
            .files()
            .find(|(_, f)| f.name == name)
            .map(|(id, _)| id)
    }
}

struct Server<'c> {
    connection: &'c Connection,
    options: Options,
    /// The platform root (the folder of `pave.yaml`), once known.
    root: Option<PathBuf>,
    /// The platform as read from disk; read again when a file is saved or changes on disk.
    disk: Option<SourceMap>,
    /// The open documents, by name relative to the root.
    buffers: BTreeMap<String, Buffer>,
    /// The URIs diagnostics were last published to, to clear those that have none now.
    published: BTreeSet<String>,
    snapshot: Option<Snapshot>,
    /// Whether the buffers or the disk changed since the last check.
    dirty: bool,
}

impl Server<'_> {
    fn set_root(&mut self, root: PathBuf) {
        self.root = Some(root);
        self.read_disk();
    }

    /// Reads the platform from disk again (after a save, or files changed on disk).
    fn read_disk(&mut self) {
        let Some(root) = &self.root else { return };
        self.disk = match read_platform(root) {
            Ok(source_map) => Some(source_map),
            Err(error) => {
                self.log(ERROR, &format!("cannot read the platform: {error}"));
                None
            }
        };
        self.changed();
    }

    fn changed(&mut self) {
        self.snapshot = None;
        self.dirty = true;
    }

    /// A `window/logMessage` (`level`: 1 error ... 4 log).
    fn log(&self, level: u8, message: &str) {
        let params = serde_json::json!({ "type": level, "message": format!("pave: {message}") });
        let _ = self
            .connection
            .sender
            .send(Message::Notification(Notification::new(
                "window/logMessage".into(),
                params,
            )));
    }

    /// The name of a URI's file relative to the root; `None` outside the platform.
    fn name_of(&self, uri: &Uri) -> Option<String> {
        let path = convert::uri_to_path(uri)?;
        let relative = path.strip_prefix(self.root.as_ref()?).ok()?;
        Some(crate::source::slash_path(relative))
    }

    fn uri_of(&self, name: &str) -> Option<Uri> {
        if let Some(buffer) = self.buffers.get(name) {
            return Some(buffer.uri.clone());
        }
        convert::path_to_uri(&self.root.as_ref()?.join(name))
    }

    /// The platform as the buffers have it now, built on first use after a change.
    fn snapshot(&mut self) -> Option<&Snapshot> {
        if self.snapshot.is_none() {
            let disk = self.disk.as_ref()?;
            let buffers: Vec<(String, String)> = self
                .buffers
                .iter()
                .map(|(name, buffer)| (name.clone(), buffer.text.clone()))
                .collect();
            let source_map = overlay(disk, &buffers);
            self.snapshot = Some(Snapshot {
                source_map,
                index: OnceLock::new(),
                resolved: OnceLock::new(),
            });
        }
        self.snapshot.as_ref()
    }

    /// Handles one message; whether it was the `shutdown` request (answered, and `exit` read).
    fn handle(&mut self, message: Message) -> Result<bool, String> {
        match message {
            Message::Request(request) => {
                if self
                    .connection
                    .handle_shutdown(&request)
                    .map_err(|e| e.to_string())?
                {
                    return Ok(true);
                }
                let response = self.request(request);
                self.connection
                    .sender
                    .send(Message::Response(response))
                    .map_err(|e| e.to_string())?;
            }
            Message::Notification(notification) => self.notification(notification),
            Message::Response(_) => {}
        }
        Ok(false)
    }

    fn notification(&mut self, notification: Notification) {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Some(params) =
                    parse::<lsp_types::DidOpenTextDocumentParams>(notification.params)
                else {
                    return;
                };
                let document = params.text_document;
                if self.root.is_none() {
                    // No platform around the workspace: the one around the first spec opened.
                    let root = convert::uri_to_path(&document.uri)
                        .and_then(|p| p.parent().map(Path::to_path_buf))
                        .and_then(|start| find_root(None, &start).ok());
                    if let Some(root) = root {
                        self.set_root(root);
                    }
                }
                if let Some(name) = self.name_of(&document.uri) {
                    self.buffers.insert(
                        name,
                        Buffer {
                            uri: document.uri,
                            version: document.version,
                            text: document.text,
                        },
                    );
                    self.changed();
                }
            }
            DidChangeTextDocument::METHOD => {
                let Some(params) =
                    parse::<lsp_types::DidChangeTextDocumentParams>(notification.params)
                else {
                    return;
                };
                let Some(name) = self.name_of(&params.text_document.uri) else {
                    return;
                };
                let Some(buffer) = self.buffers.get_mut(&name) else {
                    return;
                };
                // Full synchronisation: the last change holds the whole text.
                if let Some(change) = params.content_changes.into_iter().last() {
                    buffer.text = change.text;
                    buffer.version = params.text_document.version;
                    self.changed();
                }
            }
            DidSaveTextDocument::METHOD | DidChangeWatchedFiles::METHOD => self.read_disk(),
            DidCloseTextDocument::METHOD => {
                let Some(params) =
                    parse::<lsp_types::DidCloseTextDocumentParams>(notification.params)
                else {
                    return;
                };
                if let Some(name) = self.name_of(&params.text_document.uri) {
                    self.buffers.remove(&name);
                    // The file on disk now counts, as it may differ from the closed buffer.
                    self.read_disk();
                }
            }
            _ => {}
        }
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            HoverRequest::METHOD => self.with_position(&request, |snapshot, file, offset| {
                serde_json::to_value(features::hover(snapshot, file, offset))
            }),
            GotoDefinition::METHOD => self.with_position(&request, |snapshot, file, offset| {
                let locations = features::definition(snapshot, file, offset);
                serde_json::to_value(locations)
            }),
            References::METHOD => self.with_position(&request, |snapshot, file, offset| {
                let include_declaration = request.params["context"]["includeDeclaration"]
                    .as_bool()
                    .unwrap_or(true);
                serde_json::to_value(features::references(
                    snapshot,
                    file,
                    offset,
                    include_declaration,
                ))
            }),
            Completion::METHOD => self.with_position(&request, |snapshot, file, offset| {
                serde_json::to_value(features::completion(snapshot, file, offset))
            }),
            CodeActionRequest::METHOD => {
                match parse::<lsp_types::CodeActionParams>(request.params.clone()) {
                    Some(params) => serde_json::to_value(features::code_actions(&params)),
                    None => Ok(Json::Null),
                }
            }
            _ => {
                return Response::new_err(
                    id,
                    ErrorCode::MethodNotFound as i32,
                    format!("pave lsp does not handle `{}`", request.method),
                );
            }
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err(error) => Response::new_err(id, ErrorCode::InternalError as i32, error.to_string()),
        }
    }

    /// Runs a request about a position in a document (`textDocument` and `position` in its
    /// params) on the current snapshot; `null` for a document outside the platform.
    fn with_position(
        &mut self,
        request: &Request,
        answer: impl FnOnce(&Snapshot, FileId, usize) -> serde_json::Result<Json>,
    ) -> serde_json::Result<Json> {
        let Some(params) =
            parse::<lsp_types::TextDocumentPositionParams>(position_params(&request.params))
        else {
            return Ok(Json::Null);
        };
        let Some(name) = self.name_of(&params.text_document.uri) else {
            return Ok(Json::Null);
        };
        let Some(snapshot) = self.snapshot() else {
            return Ok(Json::Null);
        };
        let Some(file) = snapshot.file_id(&name) else {
            return Ok(Json::Null);
        };
        let offset = convert::offset(snapshot.source_map.get(file), params.position);
        answer(snapshot, file, offset)
    }

    /// Checks the platform as `pave check` does and publishes the diagnostics per file,
    /// clearing the files that had some and have none now.
    fn check(&mut self) {
        self.dirty = false;
        let Some(root) = self.root.clone() else {
            return;
        };
        let options = self.options;
        let Some(snapshot) = self.snapshot() else {
            return;
        };
        let source_map = &snapshot.source_map;
        // pave reports its own bugs as diagnostics; a panic would end the session, so one that
        // escapes is reported like them.
        let start = std::time::Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            match compile(source_map, &options, &mut Timings::default()) {
                Ok(compilation) => {
                    let warnings = compilation.warnings.clone();
                    // The tree is freed off the path to the editor (`pave check` does not free
                    // it at all).
                    std::thread::spawn(move || drop(compilation));
                    warnings
                }
                Err(diagnostics) => diagnostics,
            }
        }));
        let elapsed = start.elapsed();
        let diagnostics = outcome.unwrap_or_else(|_| {
            vec![Diagnostic::unplaced(DiagnosticKind::Internal {
                message: "pave panicked while checking the platform".into(),
            })]
        });
        let mut by_file: BTreeMap<String, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
        for diagnostic in cap_per_file(&diagnostics) {
            if let Some(placed) = convert::place(&diagnostic, source_map, &root) {
                by_file
                    .entry(placed.file)
                    .or_default()
                    .push(placed.diagnostic);
            }
        }
        let mut published = BTreeSet::new();
        for (name, diagnostics) in by_file {
            if let Some(uri) = self.uri_of(&name) {
                published.insert(uri.as_str().to_string());
                self.publish(uri, diagnostics, self.buffers.get(&name).map(|b| b.version));
            }
        }
        let cleared: Vec<String> = self.published.difference(&published).cloned().collect();
        for uri in cleared {
            if let Ok(uri) = uri.parse::<Uri>() {
                self.publish(uri, Vec::new(), None);
            }
        }
        self.published = published;
        self.log(
            LOG,
            &format!(
                "checked the platform in {} ms: {} diagnostics",
                elapsed.as_millis(),
                diagnostics.len()
            ),
        );
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        let _ = self
            .connection
            .sender
            .send(Message::Notification(Notification::new(
                PublishDiagnostics::METHOD.into(),
                params,
            )));
    }
}

/// A request's `textDocument` and `position`, whatever else its params hold.
fn position_params(params: &Json) -> Json {
    serde_json::json!({
        "textDocument": params["textDocument"],
        "position": params["position"],
    })
}

fn parse<T: DeserializeOwned>(params: Json) -> Option<T> {
    serde_json::from_value(params).ok()
}
