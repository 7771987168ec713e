//! One plain Spark `ALSModel` directory, read back: what
//! `ALS(...).fit(df).write().save(DIR)` writes, trained anywhere.
//!
//! ```text
//! DIR/metadata/part-*      one JSON line: class ALSModel, sparkVersion, uid, rank,
//!                          paramMap (userCol, itemCol, ...); _SUCCESS when written
//! DIR/userFactors/*.parquet   id: int, features: array<float>; _SUCCESS when written
//! DIR/itemFactors/*.parquet   the same, for items; _SUCCESS (Spark writes it last)
//! DIR/movierec/model.json  only when movierec saved it (`movierec train --save`)
//! ```
//!
//! Spark's metadata records the rank, the user and item columns and the
//! Spark version, but not how the model was trained: `implicitPrefs`,
//! `regParam`, `alpha` and `maxIter` belong to the estimator, not the model.
//! Implicit or explicit is therefore stated by the operator ([`Stated`]), or
//! else inferred from the stored ratings ([`infer_kind`]): explicit ALS
//! predicts the ratings themselves, so on the stored ratings the model knows
//! its mean prediction is near their mean rating; implicit ALS predicts a
//! preference in [0, 1], so its mean prediction there is near 1 or below.
//! When the figures say neither, the model is refused and the operator is
//! asked to state it. (A model movierec saved records it in
//! movierec/model.json.) regParam and alpha, which fold-in needs for users
//! who rate after the import, are Spark's defaults unless stated. Each
//! value's origin is kept ([`PlainModel::origins`]; the inference's figures
//! in [`PlainModel::inferred`]) and recorded with the version. The factor
//! ids are taken to be the store's user and movie ids.
//!
//! Owns reading this layout and those assumptions; the files themselves are
//! read by `movierec_core::model_files` (the same loader as every model).
//! Recording the version is `crate::jobs::import_plain`'s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use movierec_core::als::AlsParams;
use movierec_core::model::AlsModel;
use movierec_core::model_files::{
    load_model, read_spark_metadata, unfinished_folders, ModelExtras, ModelFileError, SparkMetadata,
};
use movierec_store::RatingRecord;

use crate::models::VersionModels;

/// What the operator says about a plain model that its files do not.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stated {
    /// `--implicit` (true) or `--explicit` (false): Spark's `implicitPrefs`.
    pub implicit: Option<bool>,
    /// `--reg-param`: Spark's `regParam`.
    pub reg: Option<f32>,
    /// `--alpha`: Spark's `alpha` (implicit models).
    pub alpha: Option<f32>,
}

impl Stated {
    pub fn is_empty(&self) -> bool {
        *self == Stated::default()
    }
}

/// A plain `ALSModel` with what is known of how it was trained.
#[derive(Debug, Clone)]
pub struct PlainModel {
    pub source: PathBuf,
    /// Its `params` as resolved (what fold-in solves with).
    pub model: AlsModel,
    pub metadata: SparkMetadata,
    /// movierec/model.json when movierec saved the model, else the default.
    pub extras: ModelExtras,
    /// Where each training param came from: Spark's name → the origin in words.
    pub origins: BTreeMap<&'static str, String>,
    /// The figures implicit or explicit was inferred from, when it was.
    pub inferred: Option<KindEvidence>,
}

/// What the stored ratings say about whether a model was trained with
/// implicitPrefs ([`infer_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct KindEvidence {
    /// Stored ratings whose user and movie the model both knows.
    pub ratings_known: usize,
    /// The model's mean prediction on those (user, movie) pairs.
    pub mean_prediction: f64,
    /// Their mean stored rating.
    pub mean_rating: f64,
    /// What the figures say: `Some(true)` implicit, `Some(false)` explicit,
    /// `None` neither.
    pub implicit: Option<bool>,
}

/// Why a plain `ALSModel` directory could not be read, or was refused.
#[derive(Debug, thiserror::Error)]
pub enum SparkModelError {
    #[error(
        "{} is a Spark ALSModel directory, but {} has no _SUCCESS: Spark has not finished writing it",
        .dir.display(),
        folder_list(.unfinished)
    )]
    Unfinished {
        dir: PathBuf,
        /// The layout's folders without their `_SUCCESS`.
        unfinished: Vec<&'static str>,
    },
    /// Its metadata line did not read.
    #[error(transparent)]
    Metadata(ModelFileError),
    #[error("reading the Spark ALSModel in {}", .dir.display())]
    Load {
        dir: PathBuf,
        #[source]
        source: ModelFileError,
    },
    #[error(
        "{}/movierec/model.json records how the model was trained (implicit {}, regParam {}, alpha {}); the options given contradict it",
        .dir.display(),
        .recorded.implicit,
        .recorded.reg,
        .recorded.alpha
    )]
    ContradictsRecorded { dir: PathBuf, recorded: AlsParams },
    #[error(
        "{}: its metadata says implicitPrefs {recorded}; --{} contradicts it",
        .dir.display(),
        if *.said { "implicit" } else { "explicit" }
    )]
    ContradictsMetadata {
        dir: PathBuf,
        /// implicitPrefs in the metadata.
        recorded: bool,
        /// implicitPrefs as stated (`--implicit` true, `--explicit` false).
        said: bool,
    },
    /// The refusal when implicit or explicit is neither recorded, stated nor
    /// inferable: it asks for `--explicit` or `--implicit` and shows the figures.
    #[error(
        "{} is a Spark ALSModel ({summary}), but Spark's metadata does not record whether it was trained with implicitPrefs \
         and the stored ratings do not settle it: {figures}; \
         pass --explicit (ratings: it orders the lists and predicts ratings) or --implicit (it orders the lists only)",
        .dir.display()
    )]
    KindUnsettled {
        dir: PathBuf,
        /// "rank 10, Spark 4.0.1", from the metadata.
        summary: String,
        /// What the stored ratings say, in words.
        figures: String,
    },
    #[error(
        "{}: --alpha is the confidence scale of an implicit model; this one is explicit",
        .dir.display()
    )]
    AlphaOnExplicit { dir: PathBuf },
}

/// "metadata/, itemFactors/".
fn folder_list(folders: &[&str]) -> String {
    folders
        .iter()
        .map(|f| format!("{f}/"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Explicit: the mean prediction within this share of the mean rating.
const EXPLICIT_WITHIN: f64 = 0.25;
/// Implicit: the mean prediction at most this (a preference in [0, 1]).
const IMPLICIT_AT_MOST: f64 = 1.3;
/// Either: the mean rating at least this, so the two cannot be confused
/// (within 25% of a mean of 2 or more is 1.5 or more).
const MEAN_RATING_AT_LEAST: f64 = 2.0;

/// Infers whether `model` was trained with implicitPrefs from the stored
/// ratings `(user, movie, rating)` whose user and movie it knows: explicit
/// ALS predicts the ratings, so its mean prediction on them is within 25%
/// of their mean rating; implicit ALS predicts a preference in [0, 1], so
/// its mean prediction is at most 1.3. Either needs a mean rating of at
/// least 2 (on a 0/1 scale the two look alike); otherwise, or with no such
/// rating, it says neither.
pub fn infer_kind(
    model: &AlsModel,
    stored: impl IntoIterator<Item = (i32, i32, f32)>,
) -> KindEvidence {
    let (mut n, mut predictions, mut ratings) = (0usize, 0f64, 0f64);
    for (user, movie, rating) in stored {
        if let Some(p) = model.predict(user, movie) {
            n += 1;
            predictions += f64::from(p);
            ratings += f64::from(rating);
        }
    }
    let (mean_prediction, mean_rating) = if n == 0 {
        (0.0, 0.0)
    } else {
        (predictions / n as f64, ratings / n as f64)
    };
    let implicit = if n == 0 || mean_rating.is_nan() || mean_rating < MEAN_RATING_AT_LEAST {
        None
    } else if (mean_prediction - mean_rating).abs() <= EXPLICIT_WITHIN * mean_rating {
        Some(false)
    } else if mean_prediction <= IMPLICIT_AT_MOST {
        Some(true)
    } else {
        None
    };
    KindEvidence {
        ratings_known: n,
        mean_prediction,
        mean_rating,
        implicit,
    }
}

impl KindEvidence {
    /// "mean prediction 3.512 on the 100836 stored ratings it knows, mean rating 3.502".
    pub fn figures(&self) -> String {
        format!(
            "its mean prediction on the {} stored ratings it knows is {:.3}, their mean rating {:.3}",
            self.ratings_known, self.mean_prediction, self.mean_rating
        )
    }

    /// Why the figures point where they do, in words.
    pub fn reading(&self) -> String {
        match self.implicit {
            Some(false) => format!(
                "within {:.0}% of the mean rating, as explicit ALS predicts ratings",
                EXPLICIT_WITHIN * 100.0
            ),
            Some(true) => format!(
                "at most {IMPLICIT_AT_MOST} though the mean rating is at least {MEAN_RATING_AT_LEAST}, \
                 as implicit ALS predicts a preference in [0, 1]"
            ),
            None => format!(
                "explicit needs the mean prediction within {:.0}% of the mean rating, implicit at most {IMPLICIT_AT_MOST}, \
                 and either a mean rating of at least {MEAN_RATING_AT_LEAST}",
                EXPLICIT_WITHIN * 100.0
            ),
        }
    }
}

/// Spark's defaults for what its `ALSModel` metadata does not record.
const SPARK_DEFAULT_REG: f32 = 0.1;
const SPARK_DEFAULT_ALPHA: f32 = 1.0;

/// Reads the plain `ALSModel` directory `dir` with what the operator stated;
/// `stored` (the store's ratings) settles implicit or explicit when neither
/// the files nor the operator say it.
pub fn read(
    dir: &Path,
    stated: &Stated,
    stored: &[RatingRecord],
) -> Result<PlainModel, SparkModelError> {
    let unfinished = unfinished_folders(dir);
    if !unfinished.is_empty() {
        return Err(SparkModelError::Unfinished {
            dir: dir.to_path_buf(),
            unfinished,
        });
    }
    let metadata = read_spark_metadata(dir).map_err(SparkModelError::Metadata)?;
    let (mut model, extras) = load_model(dir).map_err(|source| SparkModelError::Load {
        dir: dir.to_path_buf(),
        source,
    })?;
    let (params, origins, inferred) = match &extras.params {
        Some(recorded) => {
            let (params, origins) = recorded_params(recorded, stated, dir)?;
            (params, origins, None)
        }
        None => {
            let infer = || infer_kind(&model, stored.iter().map(|r| (r.user, r.movie, r.rating)));
            spark_params(&metadata, stated, dir, infer)?
        }
    };
    model.params = Some(params);
    Ok(PlainModel {
        source: dir.to_path_buf(),
        model,
        metadata,
        extras,
        origins,
        inferred,
    })
}

/// A model movierec saved: its params are in movierec/model.json; a stated
/// value that contradicts them is refused.
fn recorded_params(
    recorded: &AlsParams,
    stated: &Stated,
    dir: &Path,
) -> Result<(AlsParams, BTreeMap<&'static str, String>), SparkModelError> {
    let contradicts = stated.implicit.is_some_and(|i| i != recorded.implicit)
        || stated.reg.is_some_and(|r| r != recorded.reg)
        || stated.alpha.is_some_and(|a| a != recorded.alpha);
    if contradicts {
        return Err(SparkModelError::ContradictsRecorded {
            dir: dir.to_path_buf(),
            recorded: recorded.clone(),
        });
    }
    let origin = || "movierec/model.json".to_string();
    let origins = ["rank", "implicitPrefs", "regParam", "alpha", "maxIter"]
        .into_iter()
        .map(|name| (name, origin()))
        .collect();
    Ok((recorded.clone(), origins))
}

/// The params [`spark_params`] resolves, where each came from, and the
/// figures implicit or explicit was inferred from, when it was.
type SparkParams = (
    AlsParams,
    BTreeMap<&'static str, String>,
    Option<KindEvidence>,
);

/// A model Spark saved: the rank from its metadata, the rest from the
/// metadata if it has it, else as stated, else Spark's default; implicit or
/// explicit has no default: unrecorded and unstated, it is inferred (`infer`,
/// see [`infer_kind`]), and refused if the figures say neither.
fn spark_params(
    meta: &SparkMetadata,
    stated: &Stated,
    dir: &Path,
    infer: impl FnOnce() -> KindEvidence,
) -> Result<SparkParams, SparkModelError> {
    let mut origins = BTreeMap::new();
    let mut inferred = None;
    origins.insert("rank", "metadata".to_string());
    let implicit = match (meta.param_bool("implicitPrefs"), stated.implicit) {
        (Some(recorded), Some(said)) if recorded != said => {
            return Err(SparkModelError::ContradictsMetadata {
                dir: dir.to_path_buf(),
                recorded,
                said,
            })
        }
        (Some(recorded), _) => {
            origins.insert("implicitPrefs", "metadata".into());
            recorded
        }
        (None, Some(said)) => {
            let flag = if said { "--implicit" } else { "--explicit" };
            origins.insert("implicitPrefs", format!("stated ({flag})"));
            said
        }
        (None, None) => {
            let evidence = infer();
            let Some(implicit) = evidence.implicit else {
                let figures = if evidence.ratings_known == 0 {
                    "no stored rating is of a user and a movie it knows".to_string()
                } else {
                    format!("{} ({})", evidence.figures(), evidence.reading())
                };
                return Err(SparkModelError::KindUnsettled {
                    dir: dir.to_path_buf(),
                    summary: spark_summary(meta),
                    figures,
                });
            };
            origins.insert(
                "implicitPrefs",
                format!(
                    "inferred from the stored ratings: {} ({})",
                    evidence.figures(),
                    evidence.reading()
                ),
            );
            inferred = Some(evidence);
            implicit
        }
    };
    if !implicit && stated.alpha.is_some() {
        return Err(SparkModelError::AlphaOnExplicit {
            dir: dir.to_path_buf(),
        });
    }
    let reg = number(
        meta,
        "regParam",
        stated.reg,
        SPARK_DEFAULT_REG,
        "--reg-param",
        &mut origins,
    );
    let alpha = number(
        meta,
        "alpha",
        stated.alpha,
        SPARK_DEFAULT_ALPHA,
        "--alpha",
        &mut origins,
    );
    if !implicit {
        origins.remove("alpha");
    }
    let iterations = meta.param_f64("maxIter").map(|n| n as usize);
    origins.insert(
        "maxIter",
        match iterations {
            Some(_) => "metadata".into(),
            None => "unknown: the metadata does not record it".into(),
        },
    );
    let nonnegative = meta.param_bool("nonnegative");
    if nonnegative.is_some() {
        origins.insert("nonnegative", "metadata".into());
    }
    let params = AlsParams {
        rank: meta.rank,
        iterations: iterations.unwrap_or(AlsParams::default().iterations),
        reg,
        alpha,
        implicit,
        nonnegative: nonnegative.unwrap_or(false),
        ..AlsParams::default()
    };
    Ok((params, origins, inferred))
}

/// A training number: from the metadata, else stated, else Spark's default.
fn number(
    meta: &SparkMetadata,
    name: &'static str,
    stated: Option<f32>,
    default: f32,
    flag: &str,
    origins: &mut BTreeMap<&'static str, String>,
) -> f32 {
    let (value, origin) = match (meta.param_f64(name), stated) {
        (Some(v), _) => (v as f32, "metadata".to_string()),
        (None, Some(v)) => (v, format!("stated ({flag})")),
        (None, None) => (
            default,
            "assumed: Spark's default, the metadata does not record it".to_string(),
        ),
    };
    origins.insert(name, origin);
    value
}

/// "rank 10, Spark 4.0.1" from the metadata.
fn spark_summary(meta: &SparkMetadata) -> String {
    format!(
        "rank {}, Spark {}",
        meta.rank,
        meta.spark_version.as_deref().unwrap_or("version unknown")
    )
}

impl PlainModel {
    pub fn implicit(&self) -> bool {
        self.params().implicit
    }

    pub fn params(&self) -> &AlsParams {
        self.model.params.as_ref().expect("read sets the params")
    }

    /// The version's models: it orders the lists, and an explicit model also
    /// predicts the ratings; an implicit one has no rating model.
    pub fn models(&self) -> VersionModels {
        VersionModels {
            ranking: self.model.clone(),
            rating: (!self.implicit()).then(|| self.model.clone()),
        }
    }

    /// "Spark ALSModel (rank 10, explicit, Spark 4.0.1)".
    pub fn describe(&self) -> String {
        let kind = if self.implicit() {
            "implicit"
        } else {
            "explicit"
        };
        let saved_by = if self.extras.params.is_some() {
            " saved by movierec"
        } else {
            ""
        };
        format!(
            "Spark ALSModel{saved_by} (rank {}, {kind}, Spark {})",
            self.params().rank,
            self.metadata
                .spark_version
                .as_deref()
                .unwrap_or("version unknown")
        )
    }

    /// "explicit inferred from the stored ratings (...)" when implicit or
    /// explicit was inferred, else `None`.
    pub fn inference(&self) -> Option<String> {
        let evidence = self.inferred.as_ref()?;
        let kind = if self.implicit() {
            "implicit"
        } else {
            "explicit"
        };
        Some(format!(
            "{kind} inferred from the stored ratings, as Spark's metadata does not record implicitPrefs: {} ({})",
            evidence.figures(),
            evidence.reading()
        ))
    }

    /// The values an operator should know were assumed, in words (empty when none).
    pub fn assumptions(&self) -> Vec<String> {
        let p = self.params();
        self.origins
            .iter()
            .filter(|(_, origin)| origin.starts_with("assumed"))
            .map(|(&name, _)| match name {
                "regParam" => format!("regParam {}", p.reg),
                "alpha" => format!("alpha {}", p.alpha),
                other => other.to_string(),
            })
            .collect()
    }

    /// The version's `params` as the registry records them: the same
    /// `ranking`/`rating`/`trainer`/`source` as a job folder's, plus what
    /// Spark's metadata says and where each training param came from.
    pub fn params_record(&self) -> serde_json::Value {
        let meta = &self.metadata;
        let rating = (!self.implicit()).then(|| self.params());
        serde_json::json!({
            "ranking": self.params(),
            "rating": rating,
            "trainer": self.describe(),
            "source": self.source.display().to_string(),
            "spark": {
                "sparkVersion": meta.spark_version,
                "uid": meta.uid,
                "timestamp": meta.timestamp,
                "rank": meta.rank,
                "userCol": meta.param_str("userCol"),
                "itemCol": meta.param_str("itemCol"),
                "params": meta.params,
            },
            "origins": self.origins,
            "inferred": self.inferred,
        })
    }
}

#[cfg(test)]
mod tests {
    use movierec_core::als::train;
    use movierec_core::data::{RatingMatrix, Ratings};
    use movierec_core::model_files::save_model;
    use movierec_core::NoProgress;

    use super::*;

    /// The ratings the test models are trained on: 1 to 5 stars, mean 3.
    fn triples() -> Vec<(i32, i32, f32)> {
        (0..6)
            .flat_map(|u| (0..5).map(move |i| (u, 10 * i, 1.0 + ((u + i) % 5) as f32)))
            .collect()
    }

    /// [`triples`] as the store keeps them.
    fn stored() -> Vec<RatingRecord> {
        triples()
            .into_iter()
            .map(|(user, movie, rating)| RatingRecord {
                user,
                movie,
                rating,
                timestamp: 0,
            })
            .collect()
    }

    fn trained(implicit: bool) -> AlsModel {
        let triples = triples();
        let params = AlsParams {
            rank: 2,
            iterations: 2,
            implicit,
            ..AlsParams::default()
        };
        let matrix = RatingMatrix::build(&Ratings::from_triples(&triples));
        train(&matrix, &params, &NoProgress).unwrap()
    }

    /// A model directory as Spark writes it: no movierec/model.json, and
    /// Spark's own metadata line.
    fn spark_dir(dir: &Path) -> PathBuf {
        let path = dir.join("als");
        save_model(&trained(false), &ModelExtras::default(), &path).unwrap();
        std::fs::remove_dir_all(path.join("movierec")).unwrap();
        std::fs::write(
            path.join("metadata/part-00000"),
            r#"{"class":"org.apache.spark.ml.recommendation.ALSModel","sparkVersion":"3.5.1","paramMap":{"userCol":"userId","itemCol":"movieId"},"defaultParamMap":{},"rank":2}"#,
        )
        .unwrap();
        path
    }

    #[test]
    fn implicit_or_explicit_is_inferred_from_the_mean_prediction_against_the_mean_rating() {
        let explicit = infer_kind(&trained(false), triples());
        assert_eq!(explicit.ratings_known, 30);
        assert!((explicit.mean_rating - 3.0).abs() < 1e-9, "{explicit:?}");
        assert!(
            (explicit.mean_prediction - 3.0).abs() < 0.75,
            "{explicit:?}"
        );
        assert_eq!(explicit.implicit, Some(false), "{explicit:?}");

        let implicit = infer_kind(&trained(true), triples());
        assert!(implicit.mean_prediction <= 1.3, "{implicit:?}");
        assert_eq!(implicit.implicit, Some(true), "{implicit:?}");

        // Ambiguous: predictions twice the ratings (neither near them nor
        // at most 1.3); ratings on a 0/1 scale (mean below 2, where a
        // preference and a rating look alike); no rating the model knows.
        let mut doubled = trained(false);
        doubled.user_factors.mapv_inplace(|x| 2.0 * x);
        let neither = infer_kind(&doubled, triples());
        assert!(neither.mean_prediction > 4.5, "{neither:?}");
        assert_eq!(neither.implicit, None, "{neither:?}");
        let binary = triples()
            .into_iter()
            .map(|(u, m, r)| (u, m, (r > 3.0) as u8 as f32));
        assert_eq!(infer_kind(&trained(false), binary).implicit, None);
        let unknown = infer_kind(&trained(false), [(99, 10, 4.0), (0, 99, 4.0)]);
        assert_eq!((unknown.ratings_known, unknown.implicit), (0, None));
        assert!(explicit.reading().contains("within 25%"));
        assert!(neither.reading().contains("at most 1.3"));
    }

    #[test]
    fn implicit_or_explicit_is_stated_or_inferred_and_the_rest_is_assumed_out_loud() {
        let dir = tempfile::tempdir().unwrap();
        let path = spark_dir(dir.path());
        // Nothing stored to infer from: refused, asking for the flag.
        let err = read(&path, &Stated::default(), &[]).unwrap_err();
        assert!(matches!(err, SparkModelError::KindUnsettled { .. }));
        let err = err.to_string();
        assert!(
            err.contains("does not record whether it was trained with implicitPrefs")
                && err.contains("no stored rating is of a user and a movie it knows")
                && err.contains("--explicit")
                && err.contains("rank 2, Spark 3.5.1"),
            "{err}"
        );
        // Ratings it does not fit: refused, with both means.
        let mut far = stored();
        far.iter_mut().for_each(|r| r.rating *= 3.0);
        let err = read(&path, &Stated::default(), &far)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("its mean prediction on the 30 stored ratings it knows is")
                && err.contains("their mean rating 9.000")
                && err.contains("--implicit"),
            "{err}"
        );
        // The ratings it was trained on: explicit, inferred and said so.
        let plain = read(&path, &Stated::default(), &stored()).unwrap();
        assert!(!plain.implicit());
        assert!(
            plain.origins["implicitPrefs"].starts_with("inferred from the stored ratings"),
            "{:?}",
            plain.origins
        );
        let said = plain.inference().unwrap();
        assert!(
            said.starts_with("explicit inferred from the stored ratings")
                && said.contains("their mean rating 3.000"),
            "{said}"
        );
        assert_eq!(plain.params_record()["inferred"]["ratings_known"], 30);

        let explicit = Stated {
            implicit: Some(false),
            ..Stated::default()
        };
        let plain = read(&path, &explicit, &stored()).unwrap();
        assert!(plain.inferred.is_none() && plain.inference().is_none());
        assert_eq!(
            plain.describe(),
            "Spark ALSModel (rank 2, explicit, Spark 3.5.1)"
        );
        assert_eq!(plain.params().reg, 0.1);
        assert_eq!(plain.assumptions(), ["regParam 0.1"]);
        assert_eq!(plain.origins["implicitPrefs"], "stated (--explicit)");
        let models = plain.models();
        assert!(models.rating.is_some());
        assert_eq!(models.ranking.user_factors, trained(false).user_factors);
        let record = plain.params_record();
        assert_eq!(record["spark"]["userCol"], "userId");
        assert_eq!(record["rating"]["implicit"], false);

        let implicit = Stated {
            implicit: Some(true),
            alpha: Some(40.0),
            ..Stated::default()
        };
        let plain = read(&path, &implicit, &stored()).unwrap();
        assert!(plain.models().rating.is_none());
        assert_eq!(plain.params().alpha, 40.0);
        assert_eq!(plain.origins["alpha"], "stated (--alpha)");
        assert!(plain.params_record()["rating"].is_null());

        std::fs::remove_file(path.join("itemFactors/_SUCCESS")).unwrap();
        let err = read(&path, &explicit, &[]).unwrap_err().to_string();
        assert!(err.contains("itemFactors/ has no _SUCCESS"), "{err}");
    }

    #[test]
    fn a_model_movierec_saved_records_its_params_and_is_not_contradicted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ours");
        save_model(&trained(true), &ModelExtras::default(), &path).unwrap();
        let plain = read(&path, &Stated::default(), &[]).unwrap();
        assert!(plain.implicit() && plain.inferred.is_none());
        assert!(plain.assumptions().is_empty());
        assert_eq!(
            plain.describe(),
            "Spark ALSModel saved by movierec (rank 2, implicit, Spark 4.0.1)"
        );
        let err = read(
            &path,
            &Stated {
                implicit: Some(false),
                ..Stated::default()
            },
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("contradict"), "{err}");
    }
}
