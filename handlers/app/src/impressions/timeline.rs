//! "Served, then liked" over time: the same figure as [`super::online`], by
//! the time a pair was first served, in buckets sized to the impressions
//! kept (a minute for a ten-minute run, a day for a month), one series per
//! A/B arm, or per list source when no test ran. Each point names the newest
//! model version that served in its bucket, for the offline NDCG@K beside it.

use movierec_store::ServedList;
use serde::Serialize;

use super::liked::{first_served, Liked, LikedShare};

/// Bucket widths to choose from, in seconds: the first that covers the
/// impressions in at most [`MAX_BUCKETS`] is used.
const WIDTHS: [i64; 6] = [60, 300, 900, 3_600, 21_600, 86_400];
const MAX_BUCKETS: i64 = 30;

/// The figure by bucket, per series.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Timeline {
    pub bucket_seconds: i64,
    /// Each bucket's start, Unix seconds, oldest first.
    pub buckets: Vec<i64>,
    pub series: Vec<Series>,
}

/// One arm's (or source's) figure in each bucket; `None` where it served nothing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub name: String,
    pub points: Vec<Option<Point>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    #[serde(flatten)]
    pub share: LikedShare,
    /// The newest model version this series served in the bucket.
    pub version: u64,
}

/// The timeline of `lists`; `liked` holds the liked ratings of every user in them.
pub fn timeline(lists: &[ServedList], liked: &Liked) -> Timeline {
    let Some((first, last)) = lists.iter().map(|l| l.served_at_ms.div_euclid(1000)).fold(
        None,
        |span: Option<(i64, i64)>, at| {
            Some(span.map_or((at, at), |(lo, hi)| (lo.min(at), hi.max(at))))
        },
    ) else {
        return Timeline::default();
    };
    let width = WIDTHS
        .into_iter()
        .find(|w| (last - first) / w < MAX_BUCKETS)
        .unwrap_or(WIDTHS[WIDTHS.len() - 1]);
    let start = first - first.rem_euclid(width);
    let count = ((last - start) / width + 1) as usize;
    let by_arm = lists.iter().any(|l| !l.arm.is_empty());
    let series = first_served(lists, |l| {
        if by_arm {
            l.arm.as_str()
        } else {
            l.source.as_str()
        }
    })
    .into_iter()
    .map(|(name, pairs)| {
        // bucket -> (served, liked, newest version)
        let mut tally = vec![(0u64, 0u64, 0u64); count];
        for (&pair, &(at, version)) in &pairs {
            let bucket = &mut tally[((at - start) / width) as usize];
            bucket.0 += 1;
            bucket.1 += u64::from(liked.after(pair, at));
            bucket.2 = bucket.2.max(version);
        }
        Series {
            name: name.to_string(),
            points: tally
                .into_iter()
                .map(|(served, liked, version)| {
                    (served > 0).then(|| Point {
                        share: LikedShare::of(liked, served),
                        version,
                    })
                })
                .collect(),
        }
    })
    .collect();
    Timeline {
        bucket_seconds: width,
        buckets: (0..count as i64).map(|i| start + i * width).collect(),
        series,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use movierec_store::RatingRecord;

    use super::*;

    fn list(user: i32, at_s: i64, arm: &str, version: u64, movies: &[i32]) -> ServedList {
        ServedList {
            user,
            served_at_ms: at_s * 1000,
            version,
            source: "batch".into(),
            arm: arm.into(),
            movies: movies.to_vec(),
        }
    }

    fn liked(user: i32, movie: i32, timestamp: i64) -> RatingRecord {
        RatingRecord {
            user,
            movie,
            rating: 4.5,
            timestamp,
        }
    }

    #[test]
    fn each_arm_is_counted_in_the_minute_it_first_served_a_pair() {
        // 10 minutes of impressions: one-minute buckets from 1,200 (= 20 × 60).
        let lists = [
            list(1, 1_210, "model", 1, &[10, 11]),
            list(1, 1_290, "model", 1, &[10]), // a reload: still the first minute's
            list(2, 1_270, "popular", 1, &[20]),
            list(3, 1_799, "model", 2, &[30, 31]),
        ];
        let ratings = HashMap::from([
            (1, vec![liked(1, 10, 1_300)]),
            (3, vec![liked(3, 30, 1_800), liked(3, 31, 1_700)]), // 31 before it was served
        ]);
        let t = timeline(&lists, &Liked::new(&ratings, Duration::from_secs(3_600)));
        assert_eq!(t.bucket_seconds, 60);
        assert_eq!(t.buckets.first(), Some(&1_200));
        assert_eq!(t.buckets.len(), 10);
        let model = t.series.iter().find(|s| s.name == "model").unwrap();
        let first = model.points[0].unwrap();
        assert_eq!(
            (first.share.served, first.share.liked, first.version),
            (2, 1, 1)
        );
        assert_eq!(model.points[1], None);
        let last = model.points[9].unwrap();
        assert_eq!(
            (last.share.served, last.share.liked, last.version),
            (2, 1, 2)
        );
        let popular = t.series.iter().find(|s| s.name == "popular").unwrap();
        assert_eq!(popular.points[1].unwrap().share.served, 1);
        assert_eq!(popular.points[1].unwrap().share.liked, 0);
    }

    #[test]
    fn a_month_of_impressions_is_bucketed_by_day_and_none_is_empty() {
        let day = 86_400;
        let lists = [list(1, 0, "", 1, &[1]), list(2, 29 * day + 5, "", 1, &[2])];
        let t = timeline(
            &lists,
            &Liked::new(&HashMap::new(), Duration::from_secs(60)),
        );
        assert_eq!((t.bucket_seconds, t.buckets.len()), (day, 30));
        assert_eq!(t.series.len(), 1, "no arm: one series per source");
        assert_eq!(t.series[0].name, "batch");
        assert_eq!(
            timeline(&[], &Liked::new(&HashMap::new(), Duration::ZERO)),
            Timeline::default()
        );
    }
}
