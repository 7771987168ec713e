//! Configuration from the environment (app settings in Azure), each setting
//! read and checked in one place with its default. The README's
//! configuration table lists the same names.

use std::path::PathBuf;
use std::time::Duration;

use movierec_core::als::AlsParams;

mod limits;
pub use limits::Limits;

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
    /// Body sizes, connection bounds, retention ([`Limits`]).
    pub limits: Limits,
    /// The data set imported into an empty store by `serve` (MOVIEREC_BOOTSTRAP_DATA).
    pub bootstrap_data: PathBuf,
    /// Where the function.json folders are (MOVIEREC_FUNCTIONS_DIR).
    pub functions_dir: Option<PathBuf>,
    /// How long the dashboard reuses store-wide counts
    /// (MOVIEREC_DASHBOARD_CACHE_SECONDS): each refresh scans the ratings.
    pub dashboard_cache: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("setting {name}={value:?} is invalid: {expected}")]
pub struct SettingError {
    pub name: &'static str,
    pub value: String,
    pub expected: &'static str,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: std::str::FromStr>(
    name: &'static str,
    default: T,
    expected: &'static str,
) -> Result<T, SettingError> {
    match var(name) {
        None => Ok(default),
        Some(value) => value.trim().parse().map_err(|_| SettingError {
            name,
            value,
            expected,
        }),
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
            expected,
        })
    }
}

#[cfg(not(feature = "cosmos"))]
fn cosmos_config() -> Result<StoreConfig, SettingError> {
    Err(SettingError {
        name: "MOVIEREC_STORE",
        value: "cosmos".into(),
        expected: "a directory for the embedded SQLite store: this build has no Cosmos DB support (build with the default `cosmos` feature)",
    })
}

/// The Cosmos DB settings. Entra ID unless a key is given, and a key only for
/// a local server (checked again when connecting).
#[cfg(feature = "cosmos")]
fn cosmos_config() -> Result<StoreConfig, SettingError> {
    use movierec_store::{CosmosAuth, CosmosConfig};
    let endpoint = var("MOVIEREC_COSMOS_ENDPOINT").ok_or(SettingError {
        name: "MOVIEREC_COSMOS_ENDPOINT",
        value: String::new(),
        expected: "the account URL, https://<account>.documents.azure.com:443/ (required with MOVIEREC_STORE=cosmos)",
    })?;
    let auth = match var("MOVIEREC_COSMOS_KEY") {
        Some(key) => {
            if !movierec_store::is_local_endpoint(&endpoint) {
                return Err(SettingError {
                    name: "MOVIEREC_COSMOS_KEY",
                    value: "(hidden)".into(),
                    expected: "unset for an Azure account: the app signs in with its managed identity (Entra ID); a key is for a local server only",
                });
            }
            CosmosAuth::Key(key)
        }
        None => CosmosAuth::Identity {
            client_id: var("MOVIEREC_COSMOS_CLIENT_ID").or_else(|| var("AZURE_CLIENT_ID")),
        },
    };
    let database = var("MOVIEREC_COSMOS_DATABASE").unwrap_or_else(|| "movierec".into());
    let mut config = CosmosConfig::new(endpoint, database, auth);
    config.region = var("MOVIEREC_COSMOS_REGION").or_else(|| var("REGION_NAME"));
    config.create_containers = parse(
        "MOVIEREC_COSMOS_CREATE",
        config.create_containers,
        "true or false",
    )?;
    config.concurrency = check(
        "MOVIEREC_COSMOS_CONCURRENCY",
        parse(
            "MOVIEREC_COSMOS_CONCURRENCY",
            config.concurrency,
            "a whole number",
        )?,
        |c| (1..=1024).contains(&c),
        "1 to 1024",
    )?;
    config.throttle_retries = parse(
        "MOVIEREC_COSMOS_THROTTLE_RETRIES",
        config.throttle_retries,
        "a whole number",
    )?;
    Ok(StoreConfig::Cosmos(config))
}

fn rank(name: &'static str, default: usize) -> Result<usize, SettingError> {
    check(
        name,
        parse(name, default, "a whole number")?,
        |r| (1..=256).contains(&r),
        "1 to 256",
    )
}

fn iterations(name: &'static str, default: usize) -> Result<usize, SettingError> {
    check(
        name,
        parse(name, default, "a whole number")?,
        |i| i >= 1,
        "at least 1",
    )
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingError> {
        let tuned = AlsParams::tuned();
        let store = match var("MOVIEREC_STORE") {
            None => StoreConfig::Sqlite(PathBuf::from(".movierec")),
            Some(v) if v == "cosmos" => cosmos_config()?,
            Some(dir) => StoreConfig::Sqlite(PathBuf::from(dir)),
        };
        let rating_params = AlsParams {
            rank: rank("MOVIEREC_RANK", tuned.rank)?,
            iterations: iterations("MOVIEREC_ITERATIONS", tuned.iterations)?,
            reg: parse("MOVIEREC_REG", tuned.reg, "a number")?,
            bias_reg: parse("MOVIEREC_BIAS_REG", tuned.bias_reg, "a number")?,
            reg_exponent: parse("MOVIEREC_REG_EXPONENT", tuned.reg_exponent, "a number")?,
            biases: parse("MOVIEREC_BIASES", tuned.biases, "true or false")?,
            seed: parse("MOVIEREC_SEED", tuned.seed, "a whole number")?,
            ..tuned
        };
        let ranking = AlsParams::ranking();
        let ranking_params = AlsParams {
            rank: rank("MOVIEREC_RANKING_RANK", ranking.rank)?,
            iterations: iterations("MOVIEREC_RANKING_ITERATIONS", ranking.iterations)?,
            reg: parse("MOVIEREC_RANKING_REG", ranking.reg, "a number")?,
            alpha: parse("MOVIEREC_RANKING_ALPHA", ranking.alpha, "a number")?,
            unobserved_weight: parse(
                "MOVIEREC_RANKING_UNOBSERVED_WEIGHT",
                ranking.unobserved_weight,
                "a number",
            )?,
            seed: rating_params.seed,
            ..ranking
        };
        for (name, params) in [
            (
                "MOVIEREC_RANK and the like (the rating model)",
                &rating_params,
            ),
            ("MOVIEREC_RANKING_* (the ranking model)", &ranking_params),
        ] {
            params.validate().map_err(|e| SettingError {
                name,
                value: e.to_string(),
                expected: "valid ALS parameters",
            })?;
        }
        Ok(Settings {
            store,
            top_n: check(
                "MOVIEREC_TOP_N",
                parse("MOVIEREC_TOP_N", 10usize, "a whole number")?,
                |n| (1..=100).contains(&n),
                "1 to 100",
            )?,
            promotion_margin: check(
                "MOVIEREC_PROMOTION_MARGIN",
                parse(
                    "MOVIEREC_PROMOTION_MARGIN",
                    0.02f64,
                    "a number such as 0.02",
                )?,
                |m| m >= 0.0,
                "a share >= 0 (0.02 = 2%)",
            )?,
            holdout_fraction: check(
                "MOVIEREC_HOLDOUT_FRACTION",
                parse("MOVIEREC_HOLDOUT_FRACTION", 0.1f64, "a number")?,
                |f| f > 0.0 && f < 0.5,
                "between 0 and 0.5",
            )?,
            holdout_seed: parse("MOVIEREC_HOLDOUT_SEED", 42u64, "a whole number")?,
            rating_params,
            ranking_params,
            ranking_tune: parse("MOVIEREC_RANKING_TUNE", true, "true or false")?,
            limits: Limits::from_env()?,
            bootstrap_data: var("MOVIEREC_BOOTSTRAP_DATA")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("data/ml-latest-small")),
            functions_dir: var("MOVIEREC_FUNCTIONS_DIR").map(PathBuf::from),
            dashboard_cache: Duration::from_secs(parse(
                "MOVIEREC_DASHBOARD_CACHE_SECONDS",
                60u64,
                "a whole number of seconds (0 reads the store on every request)",
            )?),
        })
    }

    /// Settings for tests: a store in `dir`, small fast models.
    pub fn for_tests(dir: PathBuf) -> Self {
        Settings {
            store: StoreConfig::Sqlite(dir),
            top_n: 10,
            promotion_margin: 0.02,
            holdout_fraction: 0.1,
            holdout_seed: 42,
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
            ranking_tune: true,
            limits: Limits::default(),
            bootstrap_data: PathBuf::from("data/ml-latest-small"),
            functions_dir: None,
            dashboard_cache: Duration::ZERO,
        }
    }
}
