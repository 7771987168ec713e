//! The users the dashboard's picker offers: a handful across the range of
//! activity, and one with no ratings. Read by the figures cache and shown by
//! the views; it reads nothing itself.

use movierec_store::RatingSummary;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SampleUser {
    pub user: i32,
    pub ratings: u64,
    /// Why this user is offered: "most active", "median", "new user", ...
    pub label: String,
}

/// Up to six users to offer in the picker: the most active, users at the
/// quartiles of activity, the least active, and a user with no ratings (who
/// is answered from the popular list).
pub fn sample_users(summary: &RatingSummary) -> Vec<SampleUser> {
    let mut by_activity: Vec<(i32, u64)> = summary.by_user.iter().map(|(&u, &n)| (u, n)).collect();
    // most ratings first; ties by id so the choice is stable
    by_activity.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut samples: Vec<SampleUser> = Vec::new();
    if !by_activity.is_empty() {
        let last = by_activity.len() - 1;
        let picks = [
            (0, "most active"),
            (last / 4, "upper quartile"),
            (last / 2, "median"),
            (last * 3 / 4, "lower quartile"),
            (last, "least active"),
        ];
        for (index, label) in picks {
            let (user, ratings) = by_activity[index];
            if !samples.iter().any(|s| s.user == user) {
                samples.push(SampleUser {
                    user,
                    ratings,
                    label: label.into(),
                });
            }
        }
    }
    let newest_id = summary.by_user.keys().max().copied().unwrap_or(0);
    if let Some(user) = newest_id.checked_add(1) {
        samples.push(SampleUser {
            user,
            ratings: 0,
            label: "new user".into(),
        });
    }
    samples
}

/// A summary of `(user, rating, timestamp)` ratings, for the dashboard's tests.
#[cfg(test)]
pub(crate) fn summary(ratings: &[(i32, f32, i64)]) -> RatingSummary {
    let mut s = RatingSummary::default();
    for &(u, r, t) in ratings {
        s.add(u, r, t);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_users_span_activity_and_add_a_new_user() {
        let mut ratings = Vec::new();
        for user in 1..=9 {
            for i in 0..user * 2 {
                ratings.push((user, 4.0, i as i64));
            }
        }
        let samples = sample_users(&summary(&ratings));
        let picked: Vec<(i32, u64, &str)> = samples
            .iter()
            .map(|s| (s.user, s.ratings, s.label.as_str()))
            .collect();
        assert_eq!(
            picked,
            vec![
                (9, 18, "most active"),
                (7, 14, "upper quartile"),
                (5, 10, "median"),
                (3, 6, "lower quartile"),
                (1, 2, "least active"),
                (10, 0, "new user"),
            ]
        );
        assert_eq!(
            sample_users(&RatingSummary::default()),
            vec![SampleUser {
                user: 1,
                ratings: 0,
                label: "new user".into()
            }]
        );
    }
}
