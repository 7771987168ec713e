//! "Served, then liked": of the movies a group of answers served, the share
//! their users rated 4 or more within a window after they were served.
//!
//! The unit is a served movie: a (user, movie) pair counts once per group
//! (model version, list source, arm), from the first time the group served
//! it, however often the user reloaded the list. It is liked when the user's
//! rating of it is at least [`RELEVANT`], timestamped from that moment to
//! the end of the window. Pairs whose window is still open count as not
//! (yet) liked, so a group's figure rises as its windows close; two groups
//! served over the same days compare fairly.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use movierec_store::{RatingRecord, ServedList, Store, StoreError};
use serde::Serialize;

use super::liked::{first_served, Liked, LikedShare};
use super::timeline::{timeline, Timeline};

/// One group's figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OnlineFigure {
    pub version: u64,
    pub source: String,
    pub arm: String,
    #[serde(flatten)]
    pub share: LikedShare,
}

/// The figures of every kept impression: by group, and over time.
#[derive(Debug, Clone, Default)]
pub struct OnlineFigures {
    pub groups: Vec<OnlineFigure>,
    pub timeline: Timeline,
}

/// Every kept impression's figures: the impressions read from `store`, with
/// the ratings of each user in them (one read per user, 16 at a time).
pub async fn read_figures(
    store: &dyn Store,
    within: Duration,
) -> Result<OnlineFigures, StoreError> {
    let lists = store.served_since(0).await?;
    let users: BTreeSet<i32> = lists.iter().map(|l| l.user).collect();
    let ratings: HashMap<i32, Vec<RatingRecord>> = futures::stream::iter(users)
        .map(|user| async move { Ok::<_, StoreError>((user, store.user_ratings(user).await?)) })
        .buffer_unordered(16)
        .try_collect()
        .await?;
    let liked = Liked::new(&ratings, within);
    Ok(OnlineFigures {
        groups: served_then_liked(&lists, &liked),
        timeline: timeline(&lists, &liked),
    })
}

/// The figure of each group in `lists`, ordered by version, source and arm.
/// `liked` holds the liked ratings of (at least) every user in `lists`.
pub fn served_then_liked(lists: &[ServedList], liked: &Liked) -> Vec<OnlineFigure> {
    first_served(lists, |l| (l.version, l.source.as_str(), l.arm.as_str()))
        .into_iter()
        .map(|((version, source, arm), pairs)| {
            let served = pairs.len() as u64;
            let liked = pairs
                .iter()
                .filter(|(&pair, &(at, _))| liked.after(pair, at))
                .count() as u64;
            OnlineFigure {
                version,
                source: source.to_string(),
                arm: arm.to_string(),
                share: LikedShare::of(liked, served),
            }
        })
        .collect()
}

/// Served pairs each arm needs before [`verdict`] calls a winner.
pub const MIN_SERVED_PER_ARM: u64 = 500;

/// The rule [`verdict`] applies, in words (the dashboard and the README say it).
pub const WINNER_RULE: &str = "an arm wins once every arm has served at least 500 pairs and its 95% interval lies wholly above every other arm's; until then, none has";

/// One arm's figure, summed over its versions and sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmFigure {
    pub arm: String,
    #[serde(flatten)]
    pub share: LikedShare,
}

/// An A/B test's standing: each arm's figure and the winner by [`WINNER_RULE`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbVerdict {
    pub arms: Vec<ArmFigure>,
    pub winner: Option<String>,
    pub rule: &'static str,
}

/// The standing of the arms in `figures`; `None` when no impression names an
/// arm (no test ran while they were kept).
pub fn verdict(figures: &[OnlineFigure]) -> Option<AbVerdict> {
    let mut totals: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for f in figures.iter().filter(|f| !f.arm.is_empty()) {
        let total = totals.entry(&f.arm).or_default();
        total.0 += f.share.served;
        total.1 += f.share.liked;
    }
    if totals.is_empty() {
        return None;
    }
    let arms: Vec<ArmFigure> = totals
        .into_iter()
        .map(|(arm, (served, liked))| ArmFigure {
            arm: arm.to_string(),
            share: LikedShare::of(liked, served),
        })
        .collect();
    let enough = arms.len() >= 2 && arms.iter().all(|a| a.share.served >= MIN_SERVED_PER_ARM);
    let winner = arms
        .iter()
        .find(|a| {
            enough
                && arms
                    .iter()
                    .all(|b| b.arm == a.arm || a.share.low > b.share.high)
        })
        .map(|a| a.arm.clone());
    Some(AbVerdict {
        arms,
        winner,
        rule: WINNER_RULE,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(user: i32, at_s: i64, source: &str, movies: &[i32]) -> ServedList {
        ServedList {
            user,
            served_at_ms: at_s * 1000 + 123,
            version: 2,
            source: source.into(),
            arm: String::new(),
            movies: movies.to_vec(),
        }
    }

    fn rating(user: i32, movie: i32, rating: f32, timestamp: i64) -> RatingRecord {
        RatingRecord {
            user,
            movie,
            rating,
            timestamp,
        }
    }

    #[test]
    fn a_served_movie_counts_once_and_is_liked_only_when_rated_well_within_the_window() {
        let lists = [
            list(1, 1_000, "batch", &[10, 11, 12, 13]),
            // a reload: the same pairs, later; they count from the first serve
            list(1, 1_500, "batch", &[10, 11]),
            list(2, 1_000, "batch", &[10, 20]),
            list(3, 1_000, "popular", &[30]),
        ];
        let ratings = HashMap::from([
            (
                1,
                vec![
                    rating(1, 10, 4.5, 1_100),         // liked, in the window
                    rating(1, 11, 3.0, 1_100),         // rated, not liked
                    rating(1, 12, 5.0, 1_000 + 3_601), // liked, after the window
                    rating(1, 99, 5.0, 1_100),         // not served
                ],
            ),
            (2, vec![rating(2, 20, 4.0, 999)]), // before it was served
            (3, vec![rating(3, 30, 4.0, 4_600)]), // the window's last second
        ]);
        let liked = Liked::new(&ratings, Duration::from_secs(3_600));
        let figures = served_then_liked(&lists, &liked);
        assert_eq!(figures.len(), 2);
        let batch = &figures[0];
        assert_eq!(
            (batch.source.as_str(), batch.share.served, batch.share.liked),
            ("batch", 6, 1)
        );
        assert!((batch.share.rate - 1.0 / 6.0).abs() < 1e-12);
        assert!(batch.share.low < batch.share.rate && batch.share.rate < batch.share.high);
        let popular = &figures[1];
        assert_eq!(
            (
                popular.source.as_str(),
                popular.share.served,
                popular.share.liked
            ),
            ("popular", 1, 1)
        );
    }

    fn figure(arm: &str, source: &str, served: u64, liked: u64) -> OnlineFigure {
        OnlineFigure {
            version: 1,
            source: source.into(),
            arm: arm.into(),
            share: LikedShare::of(liked, served),
        }
    }

    #[test]
    fn an_arm_wins_only_with_enough_pairs_and_an_interval_above_the_others() {
        assert_eq!(verdict(&[figure("", "batch", 1000, 100)]), None);
        // model: 120 of 600 (20%, over two sources); popular: 30 of 600 (5%)
        let clear = [
            figure("model", "batch", 400, 80),
            figure("model", "fold-in", 200, 40),
            figure("popular", "popular", 600, 30),
        ];
        let v = verdict(&clear).unwrap();
        assert_eq!(
            (
                v.arms[0].arm.as_str(),
                v.arms[0].share.served,
                v.arms[0].share.liked
            ),
            ("model", 600, 120)
        );
        assert!(WINNER_RULE.contains(&MIN_SERVED_PER_ARM.to_string()));
        assert_eq!(v.winner.as_deref(), Some("model"));
        // the same rates on too few pairs: no winner yet
        let early = [
            figure("model", "batch", 60, 12),
            figure("popular", "popular", 600, 30),
        ];
        assert_eq!(verdict(&early).unwrap().winner, None);
        // enough pairs, overlapping intervals: no winner
        let close = [
            figure("model", "batch", 600, 40),
            figure("popular", "popular", 600, 30),
        ];
        assert_eq!(verdict(&close).unwrap().winner, None);
    }
}
