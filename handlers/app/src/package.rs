//! Packaging: the folder `func start` runs and the zip Azure runs.
//!
//! The Functions host finds function folders only directly beside host.json,
//! while the sources keep them under `functions/`; packaging lays out
//! `host.json`, `<Name>/function.json` for each function, and the executable
//! named in host.json (with its run bit), then zips that folder. A
//! `local.settings.json` for `func start` is written beside them but left out
//! of the zip (Azure reads app settings instead).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;
use zip::write::SimpleFileOptions;

use crate::settings::{defaults, SCHEDULE_DEFAULTS};

pub struct PackageOptions {
    /// The project root (holds host.json and functions/).
    pub root: PathBuf,
    pub out_dir: PathBuf,
    pub zip: Option<PathBuf>,
    /// The Linux executable to ship.
    pub binary: PathBuf,
    /// Also ship data/ml-latest-small for the standalone bootstrap.
    pub with_data: bool,
}

/// Why the app folder or its zip could not be laid out.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("host.json has no customHandler.description.defaultExecutablePath")]
    NoExecutable,
    #[error("reading {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing {}", .path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{} is not a file: build it first (cargo build --release -p movierec)", .binary.display())]
    NoBinary { binary: PathBuf },
    #[error("clearing {}", .dir.display())]
    Clear {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("copying {}", .binary.display())]
    CopyBinary {
        binary: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("creating {}", .zip.display())]
    CreateZip {
        zip: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The function.json folders did not read.
    #[error(transparent)]
    Functions(#[from] crate::standalone::function_json::FunctionJsonError),
    #[error(transparent)]
    Files(#[from] crate::files::ListFilesError),
    #[error(transparent)]
    Zip(#[from] zip::result::ZipError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

#[derive(Debug)]
pub struct PackageReport {
    pub executable: String,
    pub functions: Vec<String>,
    pub files: usize,
}

/// The executable host.json names (`customHandler.description.defaultExecutablePath`).
pub fn executable_name(host_json: &serde_json::Value) -> Result<String, PackageError> {
    host_json
        .pointer("/customHandler/description/defaultExecutablePath")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or(PackageError::NoExecutable)
}

pub fn package(opts: &PackageOptions) -> Result<PackageReport, PackageError> {
    let host_path = opts.root.join("host.json");
    let host_text = fs::read_to_string(&host_path).map_err(|source| PackageError::Read {
        path: host_path.clone(),
        source,
    })?;
    let host: serde_json::Value =
        serde_json::from_str(&host_text).map_err(|source| PackageError::Parse {
            path: host_path.clone(),
            source,
        })?;
    let executable = executable_name(&host)?;
    if !opts.binary.is_file() {
        return Err(PackageError::NoBinary {
            binary: opts.binary.clone(),
        });
    }
    if opts.out_dir.exists() {
        fs::remove_dir_all(&opts.out_dir).map_err(|source| PackageError::Clear {
            dir: opts.out_dir.clone(),
            source,
        })?;
    }
    fs::create_dir_all(&opts.out_dir)?;
    fs::write(opts.out_dir.join("host.json"), &host_text)?;

    let defs = crate::standalone::function_json::read_all(&opts.root.join("functions"))?;
    let mut functions = Vec::new();
    for def in &defs {
        let dir = opts.out_dir.join(&def.name);
        fs::create_dir_all(&dir)?;
        fs::copy(
            opts.root
                .join("functions")
                .join(&def.name)
                .join("function.json"),
            dir.join("function.json"),
        )?;
        functions.push(def.name.clone());
    }
    let exe_path = opts.out_dir.join(&executable);
    fs::copy(&opts.binary, &exe_path).map_err(|source| PackageError::CopyBinary {
        binary: opts.binary.clone(),
        source,
    })?;
    set_executable(&exe_path)?;
    if opts.with_data {
        // where the app looks by default, relative to the app folder as it is
        // to the project root
        let dest = opts.out_dir.join(defaults::BOOTSTRAP_DATA);
        fs::create_dir_all(&dest)?;
        for f in ["ratings.csv", "movies.csv", "README.txt"] {
            fs::copy(
                opts.root.join(defaults::BOOTSTRAP_DATA).join(f),
                dest.join(f),
            )?;
        }
    }
    fs::write(
        opts.out_dir.join("local.settings.json"),
        serde_json::to_string_pretty(&local_settings(opts.with_data))?,
    )?;

    let mut files = 0;
    if let Some(zip_path) = &opts.zip {
        files = write_zip(&opts.out_dir, zip_path, &executable)?;
    }
    Ok(PackageReport {
        executable,
        functions,
        files,
    })
}

/// The `local.settings.json` for `func start` in the app folder. The
/// Functions host reads the timers' schedules from it (function.json names
/// them as `%NAME%` and the host has no defaults of its own), so they are
/// written, with the embedded store and the data set to show where they are;
/// each is the app's default ([`crate::settings::defaults::table`]). The one
/// setting that differs: `MOVIEREC_BOOTSTRAP`, true when the data ships (under
/// the host the app bootstraps only when told to), else false.
pub fn local_settings(with_data: bool) -> serde_json::Value {
    let mut values = json!({
        "FUNCTIONS_WORKER_RUNTIME": "custom",
        "AzureWebJobsStorage": "UseDevelopmentStorage=true",
        "EventHubConnection": "Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=<name>;SharedAccessKey=<key>;EntityPath=ratings",
        "MOVIEREC_STORE": defaults::STORE_DIR,
        "MOVIEREC_BOOTSTRAP": if with_data { "true" } else { "false" },
        "MOVIEREC_BOOTSTRAP_DATA": defaults::BOOTSTRAP_DATA,
    });
    for (name, schedule) in SCHEDULE_DEFAULTS {
        values[*name] = json!(schedule);
    }
    json!({ "IsEncrypted": false, "Values": values })
}

#[cfg(unix)]
fn set_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))?;
    Ok(())
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Zips `dir` (paths relative to it, `/`-separated), leaving out local.settings.json.
fn write_zip(dir: &Path, zip_path: &Path, executable: &str) -> Result<usize, PackageError> {
    if let Some(parent) = zip_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let file = fs::File::create(zip_path).map_err(|source| PackageError::CreateZip {
        zip: zip_path.to_path_buf(),
        source,
    })?;
    let mut zip = zip::ZipWriter::new(file);
    let mut count = 0;
    for rel in crate::files::relative_files(dir)? {
        if rel == "local.settings.json" {
            continue;
        }
        let mode = if rel == executable { 0o755 } else { 0o644 };
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(mode);
        zip.start_file(rel.as_str(), options)?;
        zip.write_all(&fs::read(dir.join(&rel))?)?;
        count += 1;
    }
    zip.finish()?;
    Ok(count)
}
