//! The settings that decide what runs past one instance: who trains
//! ([`Trainer`]: this app, or an external job such as tools/spark/ whose
//! models RetrainModel imports), and how recommend-for-all is cut into shards
//! ([`Shards`]). Each default is defined here once; [`super::defaults::table`]
//! lists them.

use std::path::PathBuf;
use std::time::Duration;

use super::{check, SettingError, Source};

/// Who trains the models RetrainModel records (MOVIEREC_TRAINER).
#[derive(Debug, Clone, PartialEq)]
pub enum Trainer {
    /// `in-process`: RetrainModel trains both models itself.
    InProcess,
    /// `external`: a job outside the app (tools/spark/train_models.py) writes
    /// model folders there (MOVIEREC_EXTERNAL_MODELS); RetrainModel imports
    /// the newest complete one it has not imported yet.
    External(ExternalModels),
}

/// Where the external job's model folders are (MOVIEREC_EXTERNAL_MODELS).
#[derive(Clone, PartialEq)]
pub enum ExternalModels {
    /// A directory (a mounted share, or a local folder).
    Folder(PathBuf),
    /// A Blob container, `https://ACCOUNT.blob.core.windows.net/CONTAINER`:
    /// read with the SAS the URL carries, else with the app's managed
    /// identity (a user-assigned one by `client_id`, from AZURE_CLIENT_ID).
    Container {
        url: reqwest::Url,
        client_id: Option<String>,
    },
}

impl ExternalModels {
    fn parse(value: &str, client_id: Option<String>) -> Result<Self, SettingError> {
        if !(value.starts_with("https://") || value.starts_with("http://")) {
            return Ok(ExternalModels::Folder(PathBuf::from(value)));
        }
        let bad = |why: &str| SettingError {
            name: "MOVIEREC_EXTERNAL_MODELS",
            value: redact(value),
            expected: format!(
                "a Blob container URL, https://ACCOUNT.blob.core.windows.net/CONTAINER ({why})"
            )
            .into(),
        };
        let url = reqwest::Url::parse(value).map_err(|e| bad(&e.to_string()))?;
        if url.path().trim_matches('/').is_empty() {
            return Err(bad("it names no container"));
        }
        Ok(ExternalModels::Container { url, client_id })
    }
}

/// The URL without its query: a SAS token is a secret and never shown.
fn redact(value: &str) -> String {
    match value.split_once('?') {
        Some((base, _)) => format!("{base}?(query hidden)"),
        None => value.to_string(),
    }
}

/// As logs and answers show it: a container without its query (a SAS).
impl std::fmt::Display for ExternalModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExternalModels::Folder(dir) => write!(f, "{}", dir.display()),
            ExternalModels::Container { url, .. } => {
                let mut shown = url.clone();
                shown.set_query(None);
                write!(f, "{shown}")
            }
        }
    }
}

/// Debug as Display: the query (a SAS) stays out of every `{:?}` too.
impl std::fmt::Debug for ExternalModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExternalModels({self})")
    }
}

/// How recommend-for-all is cut and worked.
#[derive(Debug, Clone, PartialEq)]
pub struct Shards {
    /// Users per shard (MOVIEREC_SHARD_USERS): one shard is one invocation of
    /// RecommendShard, so this bounds its time and memory.
    pub users: usize,
    /// Shards worked at once by the standalone worker pool, and by `serve`'s
    /// bootstrap (MOVIEREC_SHARD_WORKERS). Under the Functions host the
    /// queue's `batchSize` in host.json decides instead.
    pub workers: usize,
    /// A shard sent this long ago and still not written is sent again by the
    /// next RecommendAllUsers run (MOVIEREC_SHARD_RESEND_SECONDS).
    pub resend_after: Duration,
}

impl Default for Shards {
    fn default() -> Self {
        Shards {
            users: 50_000,
            workers: 2,
            resend_after: Duration::from_secs(900),
        }
    }
}

/// MOVIEREC_TRAINER's default, as the variable spells it.
pub const TRAINER_DEFAULT: &str = "in-process";

impl Trainer {
    pub(super) fn read(src: &Source) -> Result<Self, SettingError> {
        let value = src.var("MOVIEREC_TRAINER");
        match value.as_deref().map(str::trim) {
            None | Some(TRAINER_DEFAULT) => Ok(Trainer::InProcess),
            Some("external") => match src.var("MOVIEREC_EXTERNAL_MODELS") {
                Some(place) => Ok(Trainer::External(ExternalModels::parse(
                    place.trim(),
                    src.var("AZURE_CLIENT_ID"),
                )?)),
                None => Err(SettingError {
                    name: "MOVIEREC_EXTERNAL_MODELS",
                    value: String::new(),
                    expected: "where the external training job writes model folders (required with MOVIEREC_TRAINER=external): a Blob container URL, https://ACCOUNT.blob.core.windows.net/CONTAINER, or a directory".into(),
                }),
            },
            Some(other) => Err(SettingError {
                name: "MOVIEREC_TRAINER",
                value: other.into(),
                expected: "in-process (RetrainModel trains) or external (RetrainModel imports from MOVIEREC_EXTERNAL_MODELS)".into(),
            }),
        }
    }
}

impl Shards {
    pub(super) fn read(src: &Source) -> Result<Self, SettingError> {
        let d = Shards::default();
        Ok(Shards {
            users: check(
                "MOVIEREC_SHARD_USERS",
                src.parse("MOVIEREC_SHARD_USERS", d.users, "a whole number")?,
                |n| n >= 1,
                "at least 1",
            )?,
            workers: check(
                "MOVIEREC_SHARD_WORKERS",
                src.parse("MOVIEREC_SHARD_WORKERS", d.workers, "a whole number")?,
                |n| (1..=64).contains(&n),
                "1 to 64",
            )?,
            resend_after: Duration::from_secs(src.parse(
                "MOVIEREC_SHARD_RESEND_SECONDS",
                d.resend_after.as_secs(),
                "a whole number of seconds",
            )?),
        })
    }
}
