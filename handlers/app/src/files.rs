//! Listing the files under a directory by their relative, `/`-separated
//! paths: how model directories go into the registry and how the app folder
//! goes into the deployment zip.

use std::path::Path;

/// Every file below `root` (recursively), as paths relative to it with `/`
/// separators, sorted.
pub fn relative_files(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
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
