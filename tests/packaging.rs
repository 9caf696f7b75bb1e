//! The packaging files agree with the crate: the wheel's version is Cargo.toml's (maturin reads
//! it), and every place that pins the pave-cli wheel pins this version.

use libtest_mimic::{Failed, Trial};

pub(crate) fn trials() -> Vec<Trial> {
    vec![Trial::test(
        "packaging::wheel_pins_are_the_crate_version",
        wheel_pins_are_the_crate_version,
    )]
}

fn read(path: &str) -> Result<String, Failed> {
    let root = env!("CARGO_MANIFEST_DIR");
    std::fs::read_to_string(format!("{root}/{path}")).map_err(|e| format!("{path}: {e}").into())
}

fn wheel_pins_are_the_crate_version() -> Result<(), Failed> {
    let version = env!("CARGO_PKG_VERSION");
    let pins = [
        (
            "pre-commit-mirror/pyproject.toml",
            format!("\"pave-cli=={version}\""),
        ),
        (
            "pre-commit-mirror/pyproject.toml",
            format!("version = \"{version}\""),
        ),
        ("action.yml", format!("default: \"{version}\"")),
    ];
    let mut wrong = Vec::new();
    for (path, expected) in pins {
        if !read(path)?.contains(&expected) {
            wrong.push(format!("{path} does not contain {expected}"));
        }
    }
    let pyproject = read("pyproject.toml")?;
    if !pyproject.contains("dynamic = [\"version\"]") || !pyproject.contains("bindings = \"bin\"") {
        wrong.push(
            "pyproject.toml must take its version from Cargo.toml and ship the binary".into(),
        );
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n").into())
    }
}
