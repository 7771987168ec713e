//! Listing the files under a directory by their relative, `/`-separated
//! paths: how model directories go into the registry and how the app folder
//! goes into the deployment zip.

use std::path::Path;

/// Why the files under a directory could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListFilesError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Outside(#[from] std::path::StripPrefixError),
}

/// Every file below `root` (recursively), as paths relative to it with `/`
/// separators, sorted.
pub fn relative_files(root: &Path) -> Result<Vec<String>, ListFilesError> {
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), ListFilesError> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(root, &path, out)?;
        } else {
            out.push(
                path.strip_prefix(root)?
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
    Ok(())
}
