//! What the app keeps of the lists it served (impressions) and how the online
//! figures read them ([`Online`]). Each default is defined here once
//! ([`Online::default`]); [`super::defaults::table`] lists them.

use std::time::Duration;

use super::{check, SettingError, Source};

#[derive(Debug, Clone, PartialEq)]
pub struct Online {
    /// Share of `GET /recommendations` answers recorded as impressions,
    /// 0 to 1 (MOVIEREC_IMPRESSIONS_SAMPLE; 0 records none). A tenth by
    /// default: on Cosmos DB each recorded list is a write of about 6 RU
    /// beside the GET's 1 RU read.
    pub impressions_sample: f64,
    /// At most this many lists are recorded per second on each instance
    /// (MOVIEREC_IMPRESSIONS_PER_SECOND): the sample's cost stays bounded
    /// however many GETs arrive. At a tenth of 60,000 GETs/s (6,000 SQLite
    /// inserts a second) the GETs lost 6% of their throughput; 200 lists a
    /// second are 720,000 an hour, ample for the figures.
    pub impressions_per_second: u32,
    /// Impressions older than this are deleted at each retrain
    /// (MOVIEREC_IMPRESSIONS_RETENTION_DAYS).
    pub impressions_retention: Duration,
    /// A served movie counts as liked when its user rates it 4 or more
    /// within this long after it was served (MOVIEREC_LIKED_WITHIN_MINUTES).
    pub liked_within: Duration,
}

impl Default for Online {
    fn default() -> Self {
        Online {
            impressions_sample: 0.1,
            impressions_per_second: 200,
            impressions_retention: Duration::from_secs(30 * 86_400),
            liked_within: Duration::from_secs(7 * 86_400),
        }
    }
}

impl Online {
    pub(super) fn read(src: &Source) -> Result<Self, SettingError> {
        let d = Online::default();
        let sample = src.parse(
            "MOVIEREC_IMPRESSIONS_SAMPLE",
            d.impressions_sample,
            "a share from 0 to 1",
        )?;
        let per_second = src.parse(
            "MOVIEREC_IMPRESSIONS_PER_SECOND",
            d.impressions_per_second,
            "a whole number of lists per second",
        )?;
        let days = src.parse(
            "MOVIEREC_IMPRESSIONS_RETENTION_DAYS",
            d.impressions_retention.as_secs() / 86_400,
            "a whole number of days",
        )?;
        let minutes = src.parse(
            "MOVIEREC_LIKED_WITHIN_MINUTES",
            d.liked_within.as_secs() / 60,
            "a whole number of minutes",
        )?;
        Ok(Online {
            impressions_sample: check(
                "MOVIEREC_IMPRESSIONS_SAMPLE",
                sample,
                |s| (0.0..=1.0).contains(&s),
                "a share from 0 to 1",
            )?,
            impressions_per_second: check(
                "MOVIEREC_IMPRESSIONS_PER_SECOND",
                per_second,
                |n| n >= 1,
                "at least 1 (MOVIEREC_IMPRESSIONS_SAMPLE=0 records none)",
            )?,
            impressions_retention: Duration::from_secs(
                check(
                    "MOVIEREC_IMPRESSIONS_RETENTION_DAYS",
                    days,
                    |d| d >= 1,
                    "at least 1 day",
                )? * 86_400,
            ),
            liked_within: Duration::from_secs(
                check(
                    "MOVIEREC_LIKED_WITHIN_MINUTES",
                    minutes,
                    |m| m >= 1,
                    "at least 1 minute",
                )? * 60,
            ),
        })
    }
}
