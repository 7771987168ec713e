//! [`ModelFiles`]: a model's files as named byte buffers, and how such a set
//! goes to and from a directory.
//!
//! Owns the set and the file system operations on it: reading every file
//! below a directory, and replacing a directory with the set (written into a
//! temporary sibling, then renamed, so a reader never sees half a model). It
//! must not know what the files mean (that is `metadata.rs`, `factors.rs`,
//! `extras.rs`) or where else they are kept (the app's model registry holds
//! the same buffers).

use std::collections::{btree_map, BTreeMap};
use std::fs;
use std::path::Path;

use super::ModelFileError;

/// A model's files in memory: each file's bytes under its path relative to
/// the model directory, `/`-separated (`metadata/part-00000`,
/// `userFactors/part-00000-movierec.snappy.parquet`, ...), in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelFiles {
    files: BTreeMap<String, Vec<u8>>,
}

impl ModelFiles {
    pub fn new() -> Self {
        ModelFiles::default()
    }

    /// Adds or replaces the file at `path`; returns what was there.
    pub fn insert(&mut self, path: impl Into<String>, bytes: Vec<u8>) -> Option<Vec<u8>> {
        self.files.insert(path.into(), bytes)
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    pub fn remove(&mut self, path: &str) -> Option<Vec<u8>> {
        self.files.remove(path)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// (path, bytes) in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(p, b)| (p.as_str(), b.as_slice()))
    }

    /// Spark's data files of `folder`: `folder/part-*` directly in it, sorted.
    pub(crate) fn part_files(&self, folder: &str) -> Vec<String> {
        let prefix = format!("{folder}/");
        self.files
            .keys()
            .filter(|p| {
                p.strip_prefix(&prefix)
                    .is_some_and(|name| name.starts_with("part-") && !name.contains('/'))
            })
            .cloned()
            .collect()
    }

    /// Fails on the first path that is not plain and relative (an empty or
    /// `..` part, or a leading `/`): such a set could write outside its directory.
    pub(crate) fn check_paths(&self) -> Result<(), ModelFileError> {
        match self
            .files
            .keys()
            .find(|p| p.split('/').any(|part| part.is_empty() || part == ".."))
        {
            Some(p) => Err(ModelFileError::invalid(
                "",
                format!("model file path {p:?} is not a plain relative path"),
            )),
            None => Ok(()),
        }
    }

    /// Every file below `dir`, by its path relative to `dir`.
    pub fn read_dir(dir: &Path) -> Result<Self, ModelFileError> {
        let mut files = ModelFiles::new();
        read_below(dir, "", &mut files)?;
        Ok(files)
    }

    /// Replaces `dir` with these files: written into a temporary sibling, then
    /// renamed over it, so a reader never sees half a model.
    pub fn write_dir(&self, dir: &Path) -> Result<(), ModelFileError> {
        self.check_paths().map_err(|e| e.within(dir))?;
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(ModelFileError::io(parent))?;
        let name = dir
            .file_name()
            .ok_or_else(|| ModelFileError::invalid(dir, "model path has no final component"))?;
        let tmp = parent.join(format!(
            ".{}.tmp-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(ModelFileError::io(&tmp))?;
        }
        fs::create_dir_all(&tmp).map_err(ModelFileError::io(&tmp))?;
        for (rel, bytes) in &self.files {
            let path = tmp.join(rel);
            let folder = path.parent().expect("a file below tmp has a parent");
            fs::create_dir_all(folder).map_err(ModelFileError::io(folder))?;
            fs::write(&path, bytes).map_err(ModelFileError::io(&path))?;
        }
        if dir.exists() {
            fs::remove_dir_all(dir).map_err(ModelFileError::io(dir))?;
        }
        fs::rename(&tmp, dir).map_err(ModelFileError::io(dir))
    }
}

fn read_below(dir: &Path, prefix: &str, files: &mut ModelFiles) -> Result<(), ModelFileError> {
    for entry in fs::read_dir(dir).map_err(ModelFileError::io(dir))? {
        let path = entry.map_err(ModelFileError::io(dir))?.path();
        let name = path
            .file_name()
            .expect("a directory entry has a name")
            .to_string_lossy();
        let rel = format!("{prefix}{name}");
        if path.is_dir() {
            read_below(&path, &format!("{rel}/"), files)?;
        } else {
            let bytes = fs::read(&path).map_err(ModelFileError::io(&path))?;
            files.insert(rel, bytes);
        }
    }
    Ok(())
}

impl IntoIterator for ModelFiles {
    type Item = (String, Vec<u8>);
    type IntoIter = btree_map::IntoIter<String, Vec<u8>>;

    fn into_iter(self) -> Self::IntoIter {
        self.files.into_iter()
    }
}

impl FromIterator<(String, Vec<u8>)> for ModelFiles {
    fn from_iter<I: IntoIterator<Item = (String, Vec<u8>)>>(iter: I) -> Self {
        ModelFiles {
            files: iter.into_iter().collect(),
        }
    }
}

impl Extend<(String, Vec<u8>)> for ModelFiles {
    fn extend<I: IntoIterator<Item = (String, Vec<u8>)>>(&mut self, iter: I) {
        self.files.extend(iter)
    }
}
