//! Configuration from the environment (app settings in Azure).
//!
//! [`defaults::table`] lists every setting the app reads, with its default
//! and what reads it. Most are read and checked here, at start, by
//! [`Settings::from_env`]. A few are read where they are used, and the table
//! says so: the timer schedules by the Functions host itself (`%NAME%` in
//! function.json) and by the standalone scheduler ([`schedules`]),
//! `MOVIEREC_BOOTSTRAP` by `server::run`, `MOVIEREC_LOG` by `main` (and the
//! ratings generator's), `MOVIEREC_EVENTHUB_NAMESPACE` by the ratings
//! generator, and `FUNCTIONS_CUSTOMHANDLER_PORT` by `main` and `server`.
//! The README's configuration table, infra/*.bicep and the
//! local.settings.json that `movierec package` writes are checked against
//! the table (handlers/app/tests/it/settings_agree.rs).

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

use movierec_core::als::{AlsParams, ParamsError};

mod ab;
mod arm_params;
pub mod defaults;
mod limits;
mod online;
mod scale;
pub mod schedules;

pub use ab::{AbTest, Arm, ArmKind, AB_SALT};
pub use arm_params::ArmParams;
pub use defaults::Setting;
pub use limits::Limits;
pub use online::Online;
pub use scale::{ExternalModels, Shards, Trainer, TRAINER_DEFAULT};
pub use schedules::SCHEDULE_DEFAULTS;

/// Where the store lives.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreConfig {
    /// The embedded SQLite store in this directory.
    Sqlite(PathBuf),
    /// Cosmos DB (MOVIEREC_STORE=cosmos and the MOVIEREC_COSMOS_* settings).
    #[cfg(feature = "cosmos")]
    Cosmos(movierec_store::CosmosConfig),
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub store: StoreConfig,
    /// Length of each user's stored list (MOVIEREC_TOP_N).
    pub top_n: usize,
    /// A new model is promoted unless its lists' holdout NDCG@10 is worse than
    /// the promoted model's by more than this share (MOVIEREC_PROMOTION_MARGIN),
    /// or no better than the most-popular list's.
    pub promotion_margin: f64,
    pub holdout_fraction: f64,
    pub holdout_seed: u64,
    /// The rating model: explicit ALS that predicts ratings (MOVIEREC_RANK and the like).
    pub rating_params: AlsParams,
    /// The ranking model: implicit ALS that orders the lists (MOVIEREC_RANKING_*).
    pub ranking_params: AlsParams,
    /// Choose the ranking model's regularisation on a validation split at every
    /// retrain (MOVIEREC_RANKING_TUNE): three more fits, see `movierec_core::tuning`.
    pub ranking_tune: bool,
    /// Count requests, ingests and jobs, and answer `GET /metrics`
    /// (MOVIEREC_METRICS; `crate::telemetry`).
    pub metrics: bool,
    /// Share of requests without a caller's trace context that are traced
    /// when spans are exported (MOVIEREC_TRACE_SAMPLE; `crate::http::spans`).
    pub trace_sample: f64,
    /// Impressions and the online figures ([`Online`]).
    pub online: Online,
    /// The A/B test of what GETs serve, if one runs (MOVIEREC_AB_TEST).
    pub ab_test: Option<AbTest>,
    /// Body sizes, connection bounds, retention ([`Limits`]).
    pub limits: Limits,
    /// The data set imported into an empty store by `serve` (MOVIEREC_BOOTSTRAP_DATA).
    pub bootstrap_data: PathBuf,
    /// Where the function.json folders are (MOVIEREC_FUNCTIONS_DIR).
    pub functions_dir: Option<PathBuf>,
    /// How long the dashboard reuses store-wide counts
    /// (MOVIEREC_DASHBOARD_CACHE_SECONDS): each refresh scans the ratings.
    pub dashboard_cache: Duration,
    /// Who trains (MOVIEREC_TRAINER, MOVIEREC_EXTERNAL_MODELS).
    pub trainer: Trainer,
    /// How recommend-for-all is cut into shards (MOVIEREC_SHARD_*).
    pub shards: Shards,
}

#[derive(Debug, thiserror::Error)]
#[error("setting {name}={value:?} is invalid: {expected}")]
pub struct SettingError {
    pub name: &'static str,
    pub value: String,
    pub expected: Cow<'static, str>,
}

/// Where the settings come from: the environment, or a map in tests.
struct Source<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Source<'_> {
    /// The setting's value; unset and blank are the same.
    fn var(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    fn parse<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
        expected: &'static str,
    ) -> Result<T, SettingError> {
        match self.var(name) {
            None => Ok(default),
            Some(value) => value.trim().parse().map_err(|_| SettingError {
                name,
                value,
                expected: expected.into(),
            }),
        }
    }
}

fn check<T: Copy + std::fmt::Display>(
    name: &'static str,
    v: T,
    ok: impl Fn(T) -> bool,
    expected: &'static str,
) -> Result<T, SettingError> {
    if ok(v) {
        Ok(v)
    } else {
        Err(SettingError {
            name,
            value: v.to_string(),
            expected: expected.into(),
        })
    }
}

#[cfg(not(feature = "cosmos"))]
fn cosmos_config(_src: &Source) -> Result<StoreConfig, SettingError> {
    Err(SettingError {
        name: "MOVIEREC_STORE",
        value: "cosmos".into(),
        expected: "a directory for the embedded SQLite store: this build has no Cosmos DB support (build with the default `cosmos` feature)".into(),
    })
}

/// The Cosmos DB settings. Entra ID unless a key is given, and a key only for
/// a local server (checked again when connecting).
#[cfg(feature = "cosmos")]
fn cosmos_config(src: &Source) -> Result<StoreConfig, SettingError> {
    use movierec_store::{CosmosAuth, CosmosConfig};
    let endpoint = src.var("MOVIEREC_COSMOS_ENDPOINT").ok_or(SettingError {
        name: "MOVIEREC_COSMOS_ENDPOINT",
        value: String::new(),
        expected: "the account URL, https://<account>.documents.azure.com:443/ (required with MOVIEREC_STORE=cosmos)".into(),
    })?;
    let auth = match src.var("MOVIEREC_COSMOS_KEY") {
        Some(key) => {
            if !movierec_azure::is_local_endpoint(&endpoint) {
                return Err(SettingError {
                    name: "MOVIEREC_COSMOS_KEY",
                    value: "(hidden)".into(),
                    expected: "unset for an Azure account: the app signs in with its managed identity (Entra ID); a key is for a local server only".into(),
                });
            }
            CosmosAuth::Key(key)
        }
        None => CosmosAuth::Identity {
            client_id: src
                .var("MOVIEREC_COSMOS_CLIENT_ID")
                .or_else(|| src.var("AZURE_CLIENT_ID")),
        },
    };
    let database = src
        .var("MOVIEREC_COSMOS_DATABASE")
        .unwrap_or_else(|| defaults::COSMOS_DATABASE.into());
    let mut config = CosmosConfig::new(endpoint, database, auth);
    config.region = src
        .var("MOVIEREC_COSMOS_REGION")
        .or_else(|| src.var("REGION_NAME"));
    config.create_containers = src.parse(
        "MOVIEREC_COSMOS_CREATE",
        config.create_containers,
        "true or false",
    )?;
    config.concurrency = check(
        "MOVIEREC_COSMOS_CONCURRENCY",
        src.parse(
            "MOVIEREC_COSMOS_CONCURRENCY",
            config.concurrency,
            "a whole number",
        )?,
        |c| (1..=1024).contains(&c),
        "1 to 1024",
    )?;
    config.throttle_retries = src.parse(
        "MOVIEREC_COSMOS_THROTTLE_RETRIES",
        config.throttle_retries,
        "a whole number",
    )?;
    Ok(StoreConfig::Cosmos(config))
}

/// The two models, and the setting behind each of [`AlsParams::validate`]'s
/// checks.
#[derive(Clone, Copy)]
enum Model {
    Rating,
    Ranking,
}

impl Model {
    /// The setting a failed check names: the variable that sets the
    /// parameter, or the model's settings as a whole for a parameter that no
    /// setting reaches.
    fn setting(self, e: &ParamsError) -> &'static str {
        match (self, e) {
            (Model::Rating, ParamsError::Rank(_)) => "MOVIEREC_RANK",
            (Model::Rating, ParamsError::Iterations) => "MOVIEREC_ITERATIONS",
            (Model::Rating, ParamsError::Reg("reg", _)) => "MOVIEREC_REG",
            (Model::Rating, ParamsError::Reg("bias_reg", _)) => "MOVIEREC_BIAS_REG",
            (Model::Rating, ParamsError::RegExponent(_)) => "MOVIEREC_REG_EXPONENT",
            (Model::Rating, _) => "MOVIEREC_RANK and the like (the rating model)",
            (Model::Ranking, ParamsError::Rank(_)) => "MOVIEREC_RANKING_RANK",
            (Model::Ranking, ParamsError::Iterations) => "MOVIEREC_RANKING_ITERATIONS",
            (Model::Ranking, ParamsError::Reg("reg", _)) => "MOVIEREC_RANKING_REG",
            (Model::Ranking, ParamsError::Alpha(_)) => "MOVIEREC_RANKING_ALPHA",
            (Model::Ranking, ParamsError::UnobservedWeight(_)) => {
                "MOVIEREC_RANKING_UNOBSERVED_WEIGHT"
            }
            (Model::Ranking, _) => "MOVIEREC_RANKING_* (the ranking model)",
        }
    }

    /// `params` checked by [`AlsParams::validate`], the one definition of
    /// their ranges; a failure names the setting and the check.
    fn validate(self, src: &Source, params: AlsParams) -> Result<AlsParams, SettingError> {
        params.validate().map_err(|e| {
            let name = self.setting(&e);
            SettingError {
                name,
                value: src.var(name).unwrap_or_default(),
                expected: e.to_string().into(),
            }
        })?;
        Ok(params)
    }
}

impl Settings {
    /// The settings from the environment, each default where unset.
    pub fn from_env() -> Result<Self, SettingError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The settings from `lookup` (a variable's value by name) instead of the
    /// environment.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let src = Source { lookup: &lookup };
        let tuned = AlsParams::tuned();
        let store = match src.var("MOVIEREC_STORE") {
            None => StoreConfig::Sqlite(PathBuf::from(defaults::STORE_DIR)),
            Some(v) if v == "cosmos" => cosmos_config(&src)?,
            Some(dir) => StoreConfig::Sqlite(PathBuf::from(dir)),
        };
        let rating_params = Model::Rating.validate(
            &src,
            AlsParams {
                rank: src.parse("MOVIEREC_RANK", tuned.rank, "a whole number")?,
                iterations: src.parse("MOVIEREC_ITERATIONS", tuned.iterations, "a whole number")?,
                reg: src.parse("MOVIEREC_REG", tuned.reg, "a number")?,
                bias_reg: src.parse("MOVIEREC_BIAS_REG", tuned.bias_reg, "a number")?,
                reg_exponent: src.parse("MOVIEREC_REG_EXPONENT", tuned.reg_exponent, "a number")?,
                biases: src.parse("MOVIEREC_BIASES", tuned.biases, "true or false")?,
                seed: src.parse("MOVIEREC_SEED", tuned.seed, "a whole number")?,
                ..tuned
            },
        )?;
        let ranking = AlsParams::ranking();
        let ranking_params = Model::Ranking.validate(
            &src,
            AlsParams {
                rank: src.parse("MOVIEREC_RANKING_RANK", ranking.rank, "a whole number")?,
                iterations: src.parse(
                    "MOVIEREC_RANKING_ITERATIONS",
                    ranking.iterations,
                    "a whole number",
                )?,
                reg: src.parse("MOVIEREC_RANKING_REG", ranking.reg, "a number")?,
                alpha: src.parse("MOVIEREC_RANKING_ALPHA", ranking.alpha, "a number")?,
                unobserved_weight: src.parse(
                    "MOVIEREC_RANKING_UNOBSERVED_WEIGHT",
                    ranking.unobserved_weight,
                    "a number",
                )?,
                seed: rating_params.seed,
                ..ranking
            },
        )?;
        let ab_test = AbTest::parse(
            &src.var("MOVIEREC_AB_TEST").unwrap_or_default(),
            &src.var("MOVIEREC_AB_SALT")
                .unwrap_or_else(|| AB_SALT.to_string()),
            &ranking_params,
        )?;
        let trainer = Trainer::read(&src)?;
        if let (Trainer::External(_), Some((arm, _))) = (
            &trainer,
            ab_test.as_ref().and_then(|test| test.params_arms().next()),
        ) {
            return Err(SettingError {
                name: "MOVIEREC_AB_TEST",
                value: src.var("MOVIEREC_AB_TEST").unwrap_or_default(),
                expected: format!(
                    "arms movierec can train: arm {arm} has parameters of its own, but MOVIEREC_TRAINER=external trains elsewhere (serve an imported version as vN instead, or train in-process)"
                )
                .into(),
            });
        }
        Ok(Settings {
            store,
            top_n: check(
                "MOVIEREC_TOP_N",
                src.parse("MOVIEREC_TOP_N", defaults::TOP_N, "a whole number")?,
                |n| (1..=100).contains(&n),
                "1 to 100",
            )?,
            promotion_margin: check(
                "MOVIEREC_PROMOTION_MARGIN",
                src.parse(
                    "MOVIEREC_PROMOTION_MARGIN",
                    defaults::PROMOTION_MARGIN,
                    "a number such as 0.02",
                )?,
                |m| m >= 0.0,
                "a share >= 0 (0.02 = 2%)",
            )?,
            holdout_fraction: check(
                "MOVIEREC_HOLDOUT_FRACTION",
                src.parse(
                    "MOVIEREC_HOLDOUT_FRACTION",
                    defaults::HOLDOUT_FRACTION,
                    "a number",
                )?,
                |f| f > 0.0 && f < 0.5,
                "between 0 and 0.5",
            )?,
            holdout_seed: src.parse(
                "MOVIEREC_HOLDOUT_SEED",
                defaults::HOLDOUT_SEED,
                "a whole number",
            )?,
            rating_params,
            ranking_params,
            ranking_tune: src.parse(
                "MOVIEREC_RANKING_TUNE",
                defaults::RANKING_TUNE,
                "true or false",
            )?,
            metrics: src.parse("MOVIEREC_METRICS", defaults::METRICS, "true or false")?,
            trace_sample: check(
                "MOVIEREC_TRACE_SAMPLE",
                src.parse(
                    "MOVIEREC_TRACE_SAMPLE",
                    defaults::TRACE_SAMPLE,
                    "a share from 0 to 1",
                )?,
                |s| (0.0..=1.0).contains(&s),
                "a share from 0 to 1",
            )?,
            online: Online::read(&src)?,
            ab_test,
            limits: Limits::read(&src)?,
            bootstrap_data: PathBuf::from(
                src.var("MOVIEREC_BOOTSTRAP_DATA")
                    .unwrap_or_else(|| defaults::BOOTSTRAP_DATA.into()),
            ),
            functions_dir: src.var("MOVIEREC_FUNCTIONS_DIR").map(PathBuf::from),
            dashboard_cache: Duration::from_secs(src.parse(
                "MOVIEREC_DASHBOARD_CACHE_SECONDS",
                defaults::DASHBOARD_CACHE_SECONDS,
                "a whole number of seconds (0 reads the store on every request)",
            )?),
            trainer,
            shards: Shards::read(&src)?,
        })
    }

    /// Settings for tests: a store in `dir`, small fast models.
    pub fn for_tests(dir: PathBuf) -> Self {
        Settings {
            store: StoreConfig::Sqlite(dir),
            top_n: defaults::TOP_N,
            promotion_margin: defaults::PROMOTION_MARGIN,
            holdout_fraction: defaults::HOLDOUT_FRACTION,
            holdout_seed: defaults::HOLDOUT_SEED,
            rating_params: AlsParams {
                rank: 8,
                iterations: 5,
                ..AlsParams::tuned()
            },
            ranking_params: AlsParams {
                rank: 16,
                iterations: 5,
                ..AlsParams::ranking()
            },
            ranking_tune: defaults::RANKING_TUNE,
            metrics: defaults::METRICS,
            trace_sample: defaults::TRACE_SAMPLE,
            // The contract tests count the store's requests per GET;
            // impressions are tested on their own (tests/it/online.rs).
            online: Online {
                impressions_sample: 0.0,
                ..Online::default()
            },
            ab_test: None,
            limits: Limits::default(),
            bootstrap_data: PathBuf::from(defaults::BOOTSTRAP_DATA),
            functions_dir: None,
            dashboard_cache: Duration::ZERO,
            trainer: Trainer::InProcess,
            shards: Shards::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<Settings, SettingError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_vars(|name| vars.get(name).cloned())
    }

    fn error(vars: &[(&str, &str)]) -> SettingError {
        with(vars).expect_err("an invalid setting")
    }

    #[test]
    fn an_arm_with_its_own_parameters_builds_on_the_ranking_settings_and_needs_the_in_process_trainer(
    ) {
        let test = "model:1,small(rank=4):1";
        let settings =
            with(&[("MOVIEREC_AB_TEST", test), ("MOVIEREC_RANKING_REG", "0.3")]).unwrap();
        let (_, params) = settings
            .ab_test
            .as_ref()
            .unwrap()
            .params_arms()
            .next()
            .unwrap();
        assert_eq!((params.ranking.rank, params.ranking.reg), (4, 0.3));
        let e = error(&[
            ("MOVIEREC_AB_TEST", test),
            ("MOVIEREC_TRAINER", "external"),
            ("MOVIEREC_EXTERNAL_MODELS", "/mnt/models"),
        ]);
        assert_eq!(e.name, "MOVIEREC_AB_TEST");
        assert!(e.to_string().contains("arm small"), "{e}");
    }

    #[test]
    fn external_models_are_a_directory_or_a_container_whose_sas_is_never_shown() {
        let external = |place: &str| {
            with(&[
                ("MOVIEREC_TRAINER", "external"),
                ("MOVIEREC_EXTERNAL_MODELS", place),
                ("AZURE_CLIENT_ID", "id-1"),
            ])
        };
        assert_eq!(
            external("/mnt/models").unwrap().trainer,
            Trainer::External(ExternalModels::Folder("/mnt/models".into()))
        );
        let sas = "https://acct.blob.core.windows.net/models?sv=2021-08-06&sig=SECRET";
        let Trainer::External(container) = external(sas).unwrap().trainer else {
            panic!("not external")
        };
        assert!(matches!(
            &container,
            ExternalModels::Container { client_id: Some(id), .. } if id == "id-1"
        ));
        assert_eq!(
            container.to_string(),
            "https://acct.blob.core.windows.net/models"
        );
        assert!(!format!("{container:?}").contains("SECRET"));
        let e = external("https://acct.blob.core.windows.net/?sig=SECRET").unwrap_err();
        assert_eq!(e.name, "MOVIEREC_EXTERNAL_MODELS");
        assert!(e.expected.contains("names no container"), "{e}");
        assert!(!e.to_string().contains("SECRET"), "{e}");
    }

    #[test]
    fn settings_unset_take_the_defaults_of_the_table() {
        let s = with(&[]).unwrap();
        let default = |name: &str| defaults::default_of(name).expect(name);
        assert_eq!(
            s.store,
            StoreConfig::Sqlite(default("MOVIEREC_STORE").into())
        );
        assert_eq!(s.top_n.to_string(), default("MOVIEREC_TOP_N"));
        assert_eq!(
            s.promotion_margin.to_string(),
            default("MOVIEREC_PROMOTION_MARGIN")
        );
        assert_eq!(
            s.holdout_fraction.to_string(),
            default("MOVIEREC_HOLDOUT_FRACTION")
        );
        assert_eq!(s.holdout_seed.to_string(), default("MOVIEREC_HOLDOUT_SEED"));
        assert_eq!(s.rating_params, AlsParams::tuned());
        assert_eq!(s.ranking_params, AlsParams::ranking());
        assert_eq!(s.rating_params.rank.to_string(), default("MOVIEREC_RANK"));
        assert_eq!(
            s.ranking_params.reg.to_string(),
            default("MOVIEREC_RANKING_REG")
        );
        assert_eq!(s.ranking_tune.to_string(), default("MOVIEREC_RANKING_TUNE"));
        assert_eq!(s.metrics.to_string(), default("MOVIEREC_METRICS"));
        assert_eq!(s.trace_sample.to_string(), default("MOVIEREC_TRACE_SAMPLE"));
        assert_eq!(s.online, Online::default());
        assert_eq!(s.ab_test, None);
        assert_eq!(s.limits, Limits::default());
        assert_eq!(
            s.bootstrap_data,
            PathBuf::from(default("MOVIEREC_BOOTSTRAP_DATA"))
        );
        assert_eq!(
            s.dashboard_cache.as_secs().to_string(),
            default("MOVIEREC_DASHBOARD_CACHE_SECONDS")
        );
        assert_eq!(s.functions_dir, None);
    }

    #[test]
    fn settings_blank_is_unset() {
        let s = with(&[("MOVIEREC_TOP_N", "  "), ("MOVIEREC_RANK", "")]).unwrap();
        assert_eq!(s.top_n, defaults::TOP_N);
        assert_eq!(s.rating_params.rank, AlsParams::tuned().rank);
    }

    #[test]
    fn settings_are_read_over_the_defaults() {
        let s = with(&[
            ("MOVIEREC_STORE", "/tmp/store"),
            ("MOVIEREC_TOP_N", "20"),
            ("MOVIEREC_RANK", "64"),
            ("MOVIEREC_SEED", "7"),
            ("MOVIEREC_RANKING_ALPHA", "2.5"),
            ("MOVIEREC_MAX_CONNECTIONS", "16"),
            ("MOVIEREC_DEAD_LETTER_RETENTION_DAYS", "0"),
        ])
        .unwrap();
        assert_eq!(s.store, StoreConfig::Sqlite("/tmp/store".into()));
        assert_eq!(s.top_n, 20);
        assert_eq!(s.rating_params.rank, 64);
        assert_eq!(
            (s.rating_params.seed, s.ranking_params.seed),
            (7, 7),
            "one seed for both models"
        );
        assert_eq!(s.ranking_params.alpha, 2.5);
        assert_eq!(s.limits.max_connections, 16);
        assert_eq!(s.limits.dead_letter_retention, None);
    }

    #[test]
    fn settings_model_ranges_are_the_core_checks_naming_the_setting() {
        for (name, value, says) in [
            ("MOVIEREC_RANK", "0", "use 1 to 256"),
            ("MOVIEREC_RANK", "257", "use 1 to 256"),
            ("MOVIEREC_RANKING_RANK", "300", "use 1 to 256"),
            ("MOVIEREC_ITERATIONS", "0", "at least 1"),
            ("MOVIEREC_RANKING_ITERATIONS", "0", "at least 1"),
            ("MOVIEREC_REG", "-1", ">= 0"),
            ("MOVIEREC_BIAS_REG", "NaN", ">= 0"),
            ("MOVIEREC_REG_EXPONENT", "1.5", "between 0 and 1"),
            ("MOVIEREC_RANKING_REG", "-0.5", ">= 0"),
            ("MOVIEREC_RANKING_ALPHA", "0", "> 0"),
            ("MOVIEREC_RANKING_UNOBSERVED_WEIGHT", "-1", "> 0"),
        ] {
            let e = error(&[(name, value)]);
            assert_eq!(e.name, name, "{e}");
            assert_eq!(e.value, value, "{e}");
            assert!(e.expected.contains(says), "{name}={value}: {e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("setting {name}=\"{value}\" is invalid: ")),
                "{e}"
            );
        }
    }

    #[test]
    fn settings_that_do_not_parse_say_what_is_expected() {
        for (name, value, expected) in [
            ("MOVIEREC_RANK", "many", "a whole number"),
            ("MOVIEREC_RANK", "-1", "a whole number"),
            ("MOVIEREC_BIASES", "yes", "true or false"),
            ("MOVIEREC_TOP_N", "0", "1 to 100"),
            ("MOVIEREC_TOP_N", "101", "1 to 100"),
            (
                "MOVIEREC_PROMOTION_MARGIN",
                "-0.1",
                "a share >= 0 (0.02 = 2%)",
            ),
            ("MOVIEREC_HOLDOUT_FRACTION", "0.5", "between 0 and 0.5"),
            ("MOVIEREC_JOB_LEASE_SECONDS", "0", "at least 1 second"),
            ("MOVIEREC_MAX_CONNECTIONS", "0", "at least 1"),
        ] {
            let e = error(&[(name, value)]);
            assert_eq!((e.name, e.value.as_str()), (name, value), "{e}");
            assert_eq!(e.expected, expected, "{e}");
        }
    }

    #[cfg(feature = "cosmos")]
    #[test]
    fn settings_for_cosmos_need_an_endpoint_and_refuse_a_key_for_azure() {
        let e = error(&[("MOVIEREC_STORE", "cosmos")]);
        assert_eq!(e.name, "MOVIEREC_COSMOS_ENDPOINT");
        let e = error(&[
            ("MOVIEREC_STORE", "cosmos"),
            (
                "MOVIEREC_COSMOS_ENDPOINT",
                "https://a.documents.azure.com:443/",
            ),
            ("MOVIEREC_COSMOS_KEY", "secret"),
        ]);
        assert_eq!(
            (e.name, e.value.as_str()),
            ("MOVIEREC_COSMOS_KEY", "(hidden)")
        );
        let s = with(&[
            ("MOVIEREC_STORE", "cosmos"),
            (
                "MOVIEREC_COSMOS_ENDPOINT",
                "https://a.documents.azure.com:443/",
            ),
        ])
        .unwrap();
        let StoreConfig::Cosmos(config) = s.store else {
            panic!("{:?}", s.store)
        };
        assert_eq!(config.database, defaults::COSMOS_DATABASE);
        for (name, value) in [
            (
                "MOVIEREC_COSMOS_CONCURRENCY",
                config.concurrency.to_string(),
            ),
            (
                "MOVIEREC_COSMOS_THROTTLE_RETRIES",
                config.throttle_retries.to_string(),
            ),
        ] {
            assert_eq!(defaults::default_of(name), Some(value), "{name}");
        }
    }

    #[test]
    fn settings_table_names_each_setting_once() {
        let table = defaults::table();
        let mut seen = HashSet::new();
        for s in &table {
            assert!(seen.insert(s.name), "{} twice", s.name);
            assert!(
                s.name.starts_with("MOVIEREC_") || s.name == "FUNCTIONS_CUSTOMHANDLER_PORT",
                "{}",
                s.name
            );
            if let Some(d) = &s.default {
                assert!(!d.trim().is_empty(), "{}: a blank default is unset", s.name);
            }
        }
        for (name, schedule) in SCHEDULE_DEFAULTS {
            assert_eq!(defaults::default_of(name).as_deref(), Some(*schedule));
        }
    }

    #[test]
    fn settings_for_tests_are_valid() {
        let s = Settings::for_tests(PathBuf::from("/tmp/x"));
        s.rating_params.validate().unwrap();
        s.ranking_params.validate().unwrap();
        assert_eq!(s.top_n, defaults::TOP_N);
    }
}
