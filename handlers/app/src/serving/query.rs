//! The query values a GET reads (a user id, a list length, a bounded count),
//! each refused with its name, the value given and what would be accepted.
//!
//! Shared by the recommendations route and the dashboard; it knows nothing of
//! HTTP: a refusal is a [`QueryError`], which the HTTP layer answers with 400.

/// The longest list `n` may ask for.
pub const MAX_N: usize = 100;
/// A list's length when `n` is not given.
pub const DEFAULT_N: usize = 10;

/// A query value that cannot be used, and how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    pub message: String,
    pub hint: String,
}

impl QueryError {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        QueryError {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// `raw` as a whole number from 1 to `max`, or `default` when absent.
pub fn count(
    name: &str,
    raw: Option<&str>,
    default: usize,
    max: usize,
) -> Result<usize, QueryError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    raw.parse::<usize>()
        .ok()
        .filter(|v| (1..=max).contains(v))
        .ok_or_else(|| {
            QueryError::new(
                format!("{name}={raw:?} is out of range"),
                format!("{name} must be a whole number from 1 to {max}"),
            )
        })
}

/// A user id: a positive 32-bit integer.
pub fn parse_user(raw: &str) -> Result<i32, QueryError> {
    raw.parse::<i32>().ok().filter(|&u| u > 0).ok_or_else(|| {
        QueryError::new(
            format!("user id {raw:?} is not a positive 32-bit integer"),
            "use e.g. /recommendations/42",
        )
    })
}

/// A list length `n` (default [`DEFAULT_N`], 1..=[`MAX_N`]).
pub fn parse_n(raw: Option<&str>) -> Result<usize, QueryError> {
    count("n", raw, DEFAULT_N, MAX_N)
}

/// A movie id: a 32-bit integer.
pub fn parse_movie(raw: &str) -> Result<i32, QueryError> {
    raw.parse::<i32>().map_err(|_| {
        QueryError::new(
            format!("movie id {raw:?} is not a 32-bit integer"),
            "use e.g. /movies/31/similar",
        )
    })
}

/// A query of `n` alone (and the host's `code`): the length it asks.
pub fn only_n(pairs: &[(String, String)]) -> Result<usize, QueryError> {
    let mut n = None;
    for (name, value) in pairs {
        match name.as_str() {
            "n" if n.is_some() => return Err(QueryError::new("n is given twice", "give n once")),
            "n" => n = Some(parse_n(Some(value))?),
            "code" => {}
            other => {
                return Err(QueryError::new(
                    format!(
                        "unknown query parameter {:?}",
                        other.chars().take(40).collect::<String>()
                    ),
                    "the only parameter is n",
                ))
            }
        }
    }
    Ok(n.unwrap_or(DEFAULT_N))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_default_accept_the_range_and_name_what_is_wrong() {
        assert_eq!(count("n", None, 10, 100).unwrap(), 10);
        assert_eq!(count("n", Some("100"), 10, 100).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            let e = count("n", Some(bad), 10, 100).unwrap_err().to_string();
            assert!(e.contains("n=") && e.contains("out of range"), "{bad}: {e}");
        }
    }

    #[test]
    fn user_ids_are_positive_32_bit_integers() {
        assert_eq!(parse_user("42").unwrap(), 42);
        for bad in ["0", "-3", "abc", "4294967296"] {
            let e = parse_user(bad).unwrap_err();
            assert!(e.message.contains("positive 32-bit"), "{bad}: {e}");
        }
    }
}
