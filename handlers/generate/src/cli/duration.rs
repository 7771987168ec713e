//! Durations on the command line: `90` or `90s`, `15m`, `2h`, fractions allowed.
//! Parsing only: no defaults, no clock.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("{0:?} is not a duration; use e.g. 90s, 15m or 2h")]
    NotANumber(String),
    #[error("{0:?}: the unit must be s, m or h")]
    Unit(String),
    #[error("{0:?}: a duration must be positive")]
    NotPositive(String),
}

pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| DurationError::NotANumber(text.into()))?;
    let seconds = match unit {
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(DurationError::Unit(text.into())),
    };
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(DurationError::NotPositive(text.into()));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_seconds_minutes_and_hours() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert!(matches!(
            parse_duration("soon"),
            Err(DurationError::NotANumber(_))
        ));
        assert!(matches!(parse_duration("5d"), Err(DurationError::Unit(_))));
        assert!(matches!(
            parse_duration("0"),
            Err(DurationError::NotPositive(_))
        ));
    }
}
