//! Query parameters shared by the routes: whole numbers in a range, each
//! refused with its name, the value given and the range it must be in.

use super::ApiError;

/// `raw` as a whole number from 1 to `max`, or `default` when absent.
pub fn count(name: &str, raw: Option<&str>, default: usize, max: usize) -> Result<usize, ApiError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    raw.parse::<usize>()
        .ok()
        .filter(|v| (1..=max).contains(v))
        .ok_or_else(|| {
            ApiError::bad_request(
                format!("{name}={raw:?} is out of range"),
                format!("{name} must be a whole number from 1 to {max}"),
            )
        })
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
}
