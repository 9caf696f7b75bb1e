//! Fault injection for the writer's tests: `PAVE_FAILPOINT=<point>:<action>` makes the writer
//! fail (`error`) or stop for a minute (`pause`, so a test can kill it) at a named point.
//! Points: `staged` (every file staged, nothing committed), `mid-commit` (half the renames done)
//! and `committed` (the commit point passed, the clean-up not done). `write:enospc` makes every
//! file the writer stages fail as on a full disk.

use std::sync::OnceLock;
use std::time::Duration;

/// What to do at a failpoint.
pub(super) enum Failpoint {
    Continue,
    Fail,
}

fn setting() -> Option<&'static str> {
    static SETTING: OnceLock<Option<String>> = OnceLock::new();
    SETTING
        .get_or_init(|| std::env::var("PAVE_FAILPOINT").ok())
        .as_deref()
}

pub(super) fn check(point: &str) -> Failpoint {
    let Some(setting) = setting() else {
        return Failpoint::Continue;
    };
    match setting.split_once(':') {
        Some((name, "error")) if name == point => Failpoint::Fail,
        Some((name, "pause")) if name == point => {
            eprintln!("failpoint {point} reached");
            std::thread::sleep(Duration::from_secs(60));
            Failpoint::Continue
        }
        _ => Failpoint::Continue,
    }
}

/// The error a staged write fails with, when one is injected.
pub(super) fn write_error() -> Option<std::io::Error> {
    (setting() == Some("write:enospc")).then(|| std::io::ErrorKind::StorageFull.into())
}
