//! NCRONTAB, the Functions host's 6-field timer format
//! (`second minute hour day month day-of-week`), into the `cron` crate's
//! schedules. The one difference that matters: NCRONTAB numbers days of the
//! week 0-6 from Sunday (7 also Sunday), `cron` 1-7 from Sunday.

use std::str::FromStr;

use cron::Schedule;

#[derive(Debug, thiserror::Error)]
#[error("timer schedule {expression:?} is not a 6-field NCRONTAB expression ({reason}); e.g. \"0 0 */6 * * *\" is every 6 hours")]
pub struct ScheduleError {
    pub expression: String,
    pub reason: String,
}

pub fn parse(expression: &str) -> Result<Schedule, ScheduleError> {
    let err = |reason: String| ScheduleError {
        expression: expression.to_string(),
        reason,
    };
    let fields: Vec<&str> = expression.split_whitespace().collect();
    if fields.len() != 6 {
        return Err(err(format!("it has {} fields", fields.len())));
    }
    let dow = translate_day_of_week(fields[5]).map_err(err)?;
    let translated = format!(
        "{} {} {} {} {} {}",
        fields[0], fields[1], fields[2], fields[3], fields[4], dow
    );
    Schedule::from_str(&translated).map_err(|e| err(e.to_string()))
}

fn translate_day_of_week(field: &str) -> Result<String, String> {
    let shift = |d: &str| -> Result<String, String> {
        match d.parse::<u32>() {
            Ok(n @ 0..=6) => Ok((n + 1).to_string()),
            Ok(7) => Ok("1".to_string()),
            Ok(n) => Err(format!("day of week {n} is not 0-7")),
            Err(_) => Ok(d.to_string()), // names (Mon) and * pass through
        }
    };
    field
        .split(',')
        .map(|part| {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (part, None),
            };
            let range = match range.split_once('-') {
                Some((a, b)) => format!("{}-{}", shift(a)?, shift(b)?),
                None => shift(range)?,
            };
            Ok(match step {
                Some(s) => format!("{range}/{s}"),
                None => range,
            })
        })
        .collect::<Result<Vec<_>, String>>()
        .map(|parts| parts.join(","))
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, TimeZone, Timelike, Utc, Weekday};

    use super::*;

    fn next(expr: &str, after: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
        parse(expr).unwrap().after(&after).next().unwrap()
    }

    #[test]
    fn every_six_hours() {
        let t = Utc.with_ymd_and_hms(2026, 11, 26, 7, 30, 0).unwrap();
        assert_eq!(
            next("0 0 */6 * * *", t),
            Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
        );
    }

    #[test]
    fn day_of_week_numbers_follow_ncrontab() {
        let wednesday = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        assert_eq!(next("0 0 9 * * 0", wednesday).weekday(), Weekday::Sun);
        assert_eq!(next("0 0 9 * * 1", wednesday).weekday(), Weekday::Mon);
        assert_eq!(next("0 0 9 * * 7", wednesday).weekday(), Weekday::Sun);
        let weekdays = next(
            "0 30 9 * * 1-5",
            Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap(),
        );
        assert_eq!((weekdays.weekday(), weekdays.minute()), (Weekday::Mon, 30));
        assert_eq!(next("0 0 9 * * Sat", wednesday).weekday(), Weekday::Sat);
    }

    #[test]
    fn bad_expressions_say_what_is_wrong() {
        assert!(parse("0 */5 * * *")
            .unwrap_err()
            .to_string()
            .contains("has 5 fields"));
        assert!(parse("0 0 9 * * 8")
            .unwrap_err()
            .to_string()
            .contains("day of week 8"));
        assert!(parse("0 0 25 * * *").is_err());
    }
}
