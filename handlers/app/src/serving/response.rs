//! What a GET of a user's recommendations answers: the list, where it came
//! from, and the model version it was computed under.

use std::sync::Arc;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// JSON text an answer writes as it is: a title or a genre list, made once per
/// catalogue (`Catalogue::json_of`), so an answer shares it instead of
/// copying and escaping the strings again for every request.
#[derive(Debug, Clone)]
pub struct JsonText(Arc<RawValue>);

impl JsonText {
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Self {
        let raw = serde_json::value::to_raw_value(value).expect("titles and genres serialise");
        JsonText(Arc::from(raw))
    }

    /// The JSON text itself.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The value it was made of (for pages that show it otherwise than as JSON).
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(self.0.get()).expect("made by JsonText::of from such a value")
    }
}

impl Serialize for JsonText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.as_ref().serialize(serializer)
    }
}

/// Where a list came from (the answer's `source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The user's list published by RecommendAllUsers.
    Batch,
    /// Computed now from the user's row of the ranking model.
    Model,
    /// Computed now from a vector folded in from the user's ratings.
    FoldIn,
    /// The most liked movies (the user has no usable ratings).
    Popular,
}

impl Source {
    pub const ALL: [Source; 4] = [
        Source::Batch,
        Source::Model,
        Source::FoldIn,
        Source::Popular,
    ];

    /// The name the answer and the CLI use: `batch`, `model`, `fold-in`, `popular`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Batch => "batch",
            Source::Model => "model",
            Source::FoldIn => "fold-in",
            Source::Popular => "popular",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub movie_id: i32,
    /// The title (a JSON string), `None` when the catalogue lacks the movie.
    pub title: Option<JsonText>,
    /// The genres (a JSON array of strings).
    pub genres: JsonText,
    /// The ranking model's score (the list's order; for `popular`, how many
    /// users rated the movie 4 or more).
    pub score: f32,
    /// The rating model's prediction of this user's rating, when it has one.
    pub predicted_rating: Option<f32>,
    /// The liked movie this one is closest to, when there is one.
    pub because: Option<Because>,
}

/// "Because you rated ...": the movie of the user's rated 4 or more that
/// this one is closest to in the ranking model.
#[derive(Debug, Clone, Serialize)]
pub struct Because {
    pub movie_id: i32,
    pub title: Option<JsonText>,
}

/// What `GET /movies/{id}/similar` answers.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarMovies {
    pub movie_id: i32,
    pub title: Option<JsonText>,
    pub genres: JsonText,
    pub model_version: u64,
    pub items: Vec<SimilarItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SimilarItem {
    pub movie_id: i32,
    pub title: Option<JsonText>,
    pub genres: JsonText,
    /// Cosine similarity of the item vectors (-1 to 1), best first.
    pub similarity: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recommendations {
    pub user: i32,
    pub source: Source,
    pub model_version: u64,
    /// The A/B arm the user is in, when a test runs (MOVIEREC_AB_TEST).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arm: Option<String>,
    /// When the list was computed (RFC 3339).
    pub generated_at: String,
    pub items: Vec<Item>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names_are_the_serialised_ones() {
        for s in [
            Source::Batch,
            Source::Model,
            Source::FoldIn,
            Source::Popular,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }

    #[test]
    fn json_text_is_written_as_the_value_it_was_made_of() {
        let title = JsonText::of("Amélie \"Le fabuleux\" (2001)");
        let genres = JsonText::of(&["Comedy", "Romance"]);
        assert_eq!(title.get(), r#""Amélie \"Le fabuleux\" (2001)""#);
        let item = Because {
            movie_id: 1,
            title: Some(title),
        };
        assert_eq!(
            serde_json::to_string(&item).unwrap(),
            r#"{"movie_id":1,"title":"Amélie \"Le fabuleux\" (2001)"}"#
        );
        assert_eq!(
            serde_json::to_string(&genres).unwrap(),
            r#"["Comedy","Romance"]"#
        );
    }
}
