//! Records kept by the store. Ids are MovieLens' (positive `i32`); times are
//! Unix seconds unless a name says otherwise.

use serde::{Deserialize, Serialize};

/// One user's rating of one movie.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RatingRecord {
    pub user: i32,
    pub movie: i32,
    pub rating: f32,
    /// When the user rated (the event's Timestamp): decides which rating is newest.
    pub timestamp: i64,
}

/// What an ingest did with its ratings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct IngestOutcome {
    /// Ratings that were new, or newer than the stored one (one per user and
    /// movie: of several events for the same rating in a batch, only the newest counts).
    pub written: usize,
    /// Events that changed nothing: duplicates, late older events, and events
    /// superseded by a newer one in the same batch.
    pub unchanged: usize,
    /// Dead letters recorded (a retried batch's already recorded ones are not counted twice).
    pub dead_lettered: usize,
}

/// Where a dead-lettered event came from, as far as known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventOrigin {
    pub partition: Option<String>,
    pub sequence_number: Option<i64>,
    pub offset: Option<String>,
    pub enqueued_time: Option<String>,
}

/// An event that could not be stored as a rating, kept with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Stable for the same event (partition and sequence number when known), so a
    /// retried batch does not record it twice.
    pub id: String,
    pub received_at: i64,
    pub reason: String,
    /// The event as it arrived.
    pub raw: String,
    pub origin: EventOrigin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movie {
    pub id: i32,
    pub title: String,
    pub genres: Vec<String>,
    /// Never recommended, in any answer, from the moment it is stored.
    #[serde(default)]
    pub hidden: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelStatus {
    /// Good enough: becomes (or became) the model recommendations are made with.
    Promoted,
    /// Trained and evaluated, but worse than the promoted model by more than the margin.
    Rejected,
    /// Trained with an A/B test arm's own parameters and served to that arm
    /// only; never promoted (calling the test is a person's decision).
    Challenger,
}

impl ModelStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelStatus::Promoted => "promoted",
            ModelStatus::Rejected => "rejected",
            ModelStatus::Challenger => "challenger",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "promoted" => Some(ModelStatus::Promoted),
            "rejected" => Some(ModelStatus::Rejected),
            "challenger" => Some(ModelStatus::Challenger),
            _ => None,
        }
    }
}

/// One trained model version in the registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord {
    pub version: u64,
    pub created_at: i64,
    pub status: ModelStatus,
    /// Why it was promoted or rejected, in words.
    pub decision: String,
    /// How it was trained, as its trainer describes it: movierec's own
    /// parameters, or a Spark model's metadata, whose param map is Spark's.
    pub params: serde_json::Value,
    /// Its figures (read back typed: a record that does not read is an error
    /// naming the version).
    pub metrics: crate::ModelMetrics,
}

/// One file of a saved model directory, by its path inside the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RecommendedItem {
    pub movie: i32,
    /// The ranking model's score: what the list is ordered by.
    pub score: f32,
    /// The rating model's predicted rating, when it has one for this user and movie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_rating: Option<f32>,
    /// The movie the user liked that this one is closest to ("because you rated").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub because: Option<i32>,
}

/// A user's top-N list as written by one model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecommendations {
    pub user: i32,
    pub version: u64,
    pub generated_at: i64,
    pub items: Vec<RecommendedItem>,
    /// The user's rating mark ([`RatingStore::rating_marks`](crate::RatingStore::rating_marks)),
    /// read before the ratings this list leaves out: the list is current
    /// while the user's mark is still this one. `None`: they had no mark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating_mark: Option<i64>,
}

/// What a GET reads of one user at once: the published list and the
/// user's current rating mark, which tells whether they rated since.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserView {
    /// The list under the serving version, if the user has one.
    pub list: Option<UserRecommendations>,
    /// Replaced by every ingest that stores a rating of theirs.
    pub rating_mark: Option<i64>,
    /// The catalogue's revision ([`CatalogStore::catalogue_revision`](crate::CatalogStore::catalogue_revision))
    /// as of the same read, so a GET learns whether its catalogue snapshot is
    /// still current without a read of its own.
    pub catalogue_revision: Option<String>,
}

impl UserView {
    /// The published list while it still reflects every stored rating of
    /// the user (none stored since it was made).
    pub fn current_list(self) -> Option<UserRecommendations> {
        self.list.filter(|l| l.rating_mark == self.rating_mark)
    }

    /// Whether the user stored a rating after their published list was made
    /// (false when they have no list).
    pub fn rated_since_list(&self) -> bool {
        self.list
            .as_ref()
            .is_some_and(|l| l.rating_mark != self.rating_mark)
    }
}

/// The stored ratings at a glance, for the dashboard: every figure comes from
/// one pass over the ratings ([`RatingSummary::add`]), the same on every backend.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RatingSummary {
    pub ratings: u64,
    /// Ratings per value, keyed by half stars (1 = 0.5 stars ... 10 = 5 stars).
    pub by_half_stars: std::collections::BTreeMap<u8, u64>,
    /// Ratings per UTC day of their Timestamp, keyed by days since 1970-01-01.
    /// The generator stamps events with the time it sends them, so for a live
    /// stream this is the number of ratings received per day.
    pub by_day: std::collections::BTreeMap<i64, u64>,
    /// Ratings per user.
    pub by_user: std::collections::HashMap<i32, u64>,
}

impl RatingSummary {
    pub const SECONDS_PER_DAY: i64 = 86_400;

    /// Counts one stored rating.
    pub fn add(&mut self, user: i32, rating: f32, timestamp: i64) {
        self.ratings += 1;
        let half_stars = (rating * 2.0).round().clamp(0.0, 255.0) as u8;
        *self.by_half_stars.entry(half_stars).or_default() += 1;
        *self
            .by_day
            .entry(timestamp.div_euclid(Self::SECONDS_PER_DAY))
            .or_default() += 1;
        *self.by_user.entry(user).or_default() += 1;
    }
}

/// One list an answer served (an impression): who saw which movies, in
/// which order, from which model version, list source and A/B arm. What
/// online figures such as "served, then liked" are measured on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedList {
    pub user: i32,
    /// When it was served, in milliseconds since the Unix epoch. With
    /// `user`, its key: two answers to one user in one millisecond are one.
    pub served_at_ms: i64,
    /// The model version behind the list (the popular list's version too).
    pub version: u64,
    /// The list's source, as the answer names it (`batch`, `fold-in`, ...).
    pub source: String,
    /// The A/B arm the user is in (`""` when no test runs).
    pub arm: String,
    /// The movies shown, the first ranked first.
    pub movies: Vec<i32>,
}
