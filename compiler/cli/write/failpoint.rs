//! Fault injection for the writer's tests: `PAVE_FAILPOINT=<point>:<action>` makes the writer
//! fail (`error`) or stop for a minute (`pause`, so a test can kill it) at a named point.
//! Points: `staged` (every file staged, nothing committed) and `mid-commit` (half the renames done).

use std::time::Duration;

/// What to do at a failpoint.
pub(super) enum Failpoint {
    Continue,
    Fail,
}

pub(super) fn check(point: &str) -> Failpoint {
    let Ok(setting) = std::env::var("PAVE_FAILPOINT") else {
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
