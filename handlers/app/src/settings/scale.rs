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
    /// model folders under this directory (MOVIEREC_EXTERNAL_MODELS);
    /// RetrainModel imports the newest complete one it has not imported yet.
    External(PathBuf),
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
                Some(dir) => Ok(Trainer::External(PathBuf::from(dir))),
                None => Err(SettingError {
                    name: "MOVIEREC_EXTERNAL_MODELS",
                    value: String::new(),
                    expected: "the directory the external training job writes model folders into (required with MOVIEREC_TRAINER=external; in Azure an Azure Files share mounted into the Function App)".into(),
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
