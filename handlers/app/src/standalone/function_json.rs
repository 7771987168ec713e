//! The function definitions as the Functions host reads them: one folder per
//! function holding `function.json`. Standalone mode reads the same files so
//! the two modes cannot drift apart.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Binding {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub direction: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default, rename = "runOnStartup")]
    pub run_on_startup: bool,
    #[serde(default)]
    pub route: Option<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default, rename = "queueName")]
    pub queue_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct FunctionJson {
    pub bindings: Vec<Binding>,
    #[serde(default)]
    pub retry: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub name: String,
    pub definition: FunctionJson,
}

impl FunctionDef {
    pub fn trigger(&self) -> Option<&Binding> {
        self.definition
            .bindings
            .iter()
            .find(|b| b.kind.ends_with("Trigger"))
    }
}

/// A function.json folder that cannot be found or read, or a setting it
/// names that is not set.
#[derive(Debug, thiserror::Error)]
pub enum FunctionJsonError {
    #[error("no function.json folders found: run from the project root or the packaged app folder, or set MOVIEREC_FUNCTIONS_DIR")]
    NotFound,
    #[error("finding the running executable, to look for function.json beside it")]
    CurrentExe(#[source] std::io::Error),
    #[error("reading {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing {}", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("no function.json under {}", .0.display())]
    Empty(PathBuf),
    #[error("the app setting {0} is not set")]
    SettingUnset(String),
}

/// The folder holding the function folders: `dir` if given, else `functions/`
/// under the working directory, else the executable's folder (a packaged app).
pub fn locate(dir: Option<&Path>) -> Result<PathBuf, FunctionJsonError> {
    if let Some(d) = dir {
        return Ok(d.to_path_buf());
    }
    let candidates = [
        PathBuf::from("functions"),
        std::env::current_exe()
            .map_err(FunctionJsonError::CurrentExe)?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    ];
    candidates
        .into_iter()
        .find(|c| c.join("RetrainModel/function.json").is_file())
        .ok_or(FunctionJsonError::NotFound)
}

/// Reads every `<dir>/<Name>/function.json`, sorted by name.
pub fn read_all(dir: &Path) -> Result<Vec<FunctionDef>, FunctionJsonError> {
    let unreadable = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FunctionJsonError::Read { path, source }
    };
    let mut defs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable(dir))? {
        let path = entry.map_err(unreadable(dir))?.path().join("function.json");
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(unreadable(&path))?;
        let definition: FunctionJson =
            serde_json::from_str(&text).map_err(|source| FunctionJsonError::Parse {
                path: path.clone(),
                source,
            })?;
        let name = path
            .parent()
            .and_then(Path::file_name)
            .expect("folder")
            .to_string_lossy()
            .into_owned();
        defs.push(FunctionDef { name, definition });
    }
    defs.sort_by(|a, b| a.name.cmp(&b.name));
    if defs.is_empty() {
        return Err(FunctionJsonError::Empty(dir.to_path_buf()));
    }
    Ok(defs)
}

/// Replaces `%NAME%` with the app setting (environment variable) `NAME`, as
/// the host does; `defaults` supply settings that are unset.
pub fn resolve_setting(
    value: &str,
    defaults: &[(&str, &str)],
) -> Result<String, FunctionJsonError> {
    let Some(name) = value.strip_prefix('%').and_then(|v| v.strip_suffix('%')) else {
        return Ok(value.to_string());
    };
    if let Ok(v) = std::env::var(name) {
        return Ok(v);
    }
    defaults
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .ok_or_else(|| FunctionJsonError::SettingUnset(name.to_string()))
}
