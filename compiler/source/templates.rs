//! The golden-path templates `pave new` offers: stdlib's (embedded) and the platform's own, in
//! `.pave/templates/<name>.yaml` under the root (a hidden folder, so discovery never reads a
//! template as a spec). A platform template replaces the stdlib one of the same name.

use std::path::Path;

use super::{DiscoverError, MAX_SPEC_BYTES, Origin, SourceFile, TEMPLATES};

/// The platform's templates folder, relative to the root.
pub const PLATFORM_TEMPLATES: &str = ".pave/templates";

/// Every template file, by template name (the file name without `.yaml`), sorted; a platform's
/// replaces stdlib's of the same name.
pub fn read_templates(root: &Path) -> Result<Vec<(String, SourceFile)>, DiscoverError> {
    let mut templates: std::collections::BTreeMap<String, SourceFile> = TEMPLATES
        .iter()
        .map(|(path, text)| {
            let name = template_name(path);
            let file = SourceFile::new((*path).to_string(), (*text).to_string(), Origin::Stdlib);
            (name, file)
        })
        .collect();
    let dir = root.join(PLATFORM_TEMPLATES);
    if dir.is_dir() {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |error| DiscoverError::Io { path, error }
        };
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let path = entry.path();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if !file_name.ends_with(".yaml") || !entry.file_type().map_err(io(&path))?.is_file() {
                continue;
            }
            let relative = format!("{PLATFORM_TEMPLATES}/{file_name}");
            let size = entry.metadata().map_err(io(&path))?.len();
            let file = if size > MAX_SPEC_BYTES {
                SourceFile::too_large(relative, size, Origin::User)
            } else {
                let bytes = std::fs::read(&path).map_err(io(&path))?;
                SourceFile::from_bytes(relative, bytes, Origin::User)
            };
            templates.insert(template_name(&file_name), file);
        }
    }
    Ok(templates.into_iter().collect())
}

fn template_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.strip_suffix(".yaml").unwrap_or(file).to_string()
}
