//! How a list's items are kept in SQLite: a BLOB of 16-byte records, one per
//! item, little-endian: movie (`i32`), score (`f32`), predicted rating (`f32`,
//! NaN for none), because (`i32`, 0 for none: movie ids are positive).
//!
//! Why not JSON: a GET decodes its user's whole list (50 items by default),
//! and parsing them as JSON took about 13% of a plain GET's CPU under load
//! (`perf record` on `bench/serve_ceiling.sh`'s plain path); these records
//! decode in one pass with no allocation but the vector. Lists written as
//! JSON text by earlier versions are still read.

use rusqlite::types::ValueRef;

use crate::types::RecommendedItem;
use crate::StoreError;

const RECORD: usize = 16;

pub fn encode(items: &[RecommendedItem]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.len() * RECORD);
    for item in items {
        out.extend_from_slice(&item.movie.to_le_bytes());
        out.extend_from_slice(&item.score.to_le_bytes());
        out.extend_from_slice(&item.predicted_rating.unwrap_or(f32::NAN).to_le_bytes());
        out.extend_from_slice(&item.because.unwrap_or(0).to_le_bytes());
    }
    out
}

/// The items of column value `value` of list `what` (a BLOB of records, or
/// JSON text from an earlier version).
pub fn decode(what: &'static str, value: ValueRef<'_>) -> Result<Vec<RecommendedItem>, StoreError> {
    match value {
        ValueRef::Blob(bytes) if bytes.len() % RECORD == 0 => Ok(bytes
            .chunks_exact(RECORD)
            .map(|r| {
                let word = |at: usize| [r[at], r[at + 1], r[at + 2], r[at + 3]];
                let predicted = f32::from_le_bytes(word(8));
                let because = i32::from_le_bytes(word(12));
                RecommendedItem {
                    movie: i32::from_le_bytes(word(0)),
                    score: f32::from_le_bytes(word(4)),
                    predicted_rating: (!predicted.is_nan()).then_some(predicted),
                    because: (because != 0).then_some(because),
                }
            })
            .collect()),
        ValueRef::Blob(bytes) => Err(StoreError::corrupt(
            what,
            format!(
                "{} bytes is not a whole number of {RECORD}-byte items",
                bytes.len()
            ),
        )),
        ValueRef::Text(text) => {
            serde_json::from_slice(text).map_err(|e| StoreError::corrupt(what, e))
        }
        other => Err(StoreError::corrupt(
            what,
            format!("items stored as {:?}, not a BLOB", other.data_type()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_json_rows_are_still_read() {
        let items = vec![
            RecommendedItem {
                movie: 7,
                score: 0.5,
                predicted_rating: Some(4.25),
                because: Some(3),
            },
            RecommendedItem {
                movie: 193_609,
                score: -1.0,
                predicted_rating: None,
                because: None,
            },
        ];
        let blob = encode(&items);
        assert_eq!(blob.len(), 32);
        assert_eq!(decode("list", ValueRef::Blob(&blob)).unwrap(), items);
        let json = serde_json::to_string(&items).unwrap();
        assert_eq!(
            decode("list", ValueRef::Text(json.as_bytes())).unwrap(),
            items
        );
        let error = decode("list", ValueRef::Blob(&blob[..20])).unwrap_err();
        assert!(error.to_string().contains("20 bytes"), "{error}");
    }
}
