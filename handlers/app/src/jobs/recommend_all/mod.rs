//! RecommendAllUsers and RecommendShard: every user's top-N (rated movies
//! left out) under the promoted version, written by shards that any number
//! of instances work at once, published when the last shard is written.
//!
//! - RecommendAllUsers (`coordinate`, the coordinator, under the job lease): for
//!   a promoted version not yet published, cuts the ranking model's users
//!   into shards of `MOVIEREC_SHARD_USERS` ([`plan`]), writes the popular list
//!   for users with no ratings, and returns one [`ShardMessage`] per shard:
//!   the Functions host puts them on the `recommend-shards` queue (the
//!   timer's queue output binding), the standalone app on its local queue.
//!   On a later run it sends again every shard still not written
//!   `MOVIEREC_SHARD_RESEND_SECONDS` after the last send (a lost message),
//!   and publishes if every shard is written but nobody published. A version
//!   promoted meanwhile is planned once the one in progress is published (or
//!   its shards have been out past the resend time).
//! - RecommendShard ([`shard::run`], queue-triggered, no lease): writes one
//!   shard's lists and, when every shard is written, publishes: readers
//!   switch to the new version at once, never seeing part of it.
//! - Both in one process (`serve`'s bootstrap, tests): the job runtime's
//!   `publish_here`, the shards on a pool of `MOVIEREC_SHARD_WORKERS`
//!   (`left_to_work` says which), through the same code.
//!
//! Before planning, movies rated since the promoted version was trained are
//! folded into a new promoted version ([`super::new_movies`]), so that they
//! are published within one cycle without a retrain.
//!
//! The ranking model orders the lists; the rating model adds each item's
//! predicted rating ([`lists`]).

mod error;
pub mod lists;
pub mod plan;
pub mod shard;

use movierec_store::{Store, StoreError};
use serde::Serialize;

use super::{JobCancel, JobOutcome, Skip};
use crate::state::AppState;
pub use error::PublishError;
use lists::{LikedCounts, POPULAR_LEN};
pub use plan::{Plan, ShardMessage};
pub use shard::ShardOutcome;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecommendReport {
    pub version: u64,
    pub users: u32,
    pub shards: u32,
    /// Shards written so far.
    pub written: u32,
    /// Shards this run sent (to the queue, or to the local pool).
    pub sent: u32,
    pub published: bool,
    pub top_n: usize,
    pub seconds: f64,
    /// The messages to send, one per shard sent.
    #[serde(skip)]
    pub messages: Vec<ShardMessage>,
}

impl std::fmt::Display for RecommendReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (v, users, top_n) = (self.version, self.users, self.top_n);
        if self.published {
            return write!(
                f,
                "published top-{top_n} for {users} users under model version {v} ({} shards) in {:.2} s",
                self.shards, self.seconds
            );
        }
        write!(
            f,
            "version {v}: {} of {} shards written ({users} users); sent {} shards",
            self.written, self.shards, self.sent
        )
    }
}

impl super::Report for RecommendReport {
    const JOB: &'static str = "recommend-for-all";
}

/// Why the coordinator has nothing to do, if it has nothing: checked before
/// the runtime takes the lease for [`coordinate`].
///
/// Most runs find the promoted version published already; they say so
/// without taking the lease, which a retrain timed for the same second (the
/// default schedules meet every six hours) would otherwise find taken and skip.
pub(crate) async fn nothing_to_do(state: &AppState) -> Result<Option<Skip>, StoreError> {
    let store = state.store.as_ref();
    match version_to_publish(store).await? {
        Err(reason) if !super::new_movies::worth_a_look(store).await? => Ok(Some(reason)),
        _ => Ok(None),
    }
}

/// The coordinator, under the lease: plans, resends or publishes (see the
/// module doc).
pub(crate) async fn coordinate(
    state: AppState,
    _cancel: JobCancel,
) -> Result<JobOutcome<RecommendReport>, PublishError> {
    // Movies rated since the promoted version get in first, as a new
    // version that this run then publishes. A failure there must not hold
    // up publishing what is promoted: it is logged, and the next run
    // looks again.
    if let Err(e) = super::new_movies::fold_in(&state).await {
        tracing::warn!(
            error = &e as &dyn std::error::Error,
            "folding in new movies failed; publishing without them"
        );
    }
    plan_or_publish(state).await
}

/// The promoted version if it is not published yet, else why there is nothing to do.
async fn version_to_publish(store: &dyn Store) -> Result<Result<u64, Skip>, StoreError> {
    let Some(promoted) = store.promoted_model().await? else {
        return Ok(Err(Skip::NothingPromoted));
    };
    if store.serving_version().await? == Some(promoted.version) {
        return Ok(Err(Skip::AlreadyPublished(promoted.version)));
    }
    Ok(Ok(promoted.version))
}

async fn plan_or_publish(state: AppState) -> Result<JobOutcome<RecommendReport>, PublishError> {
    let started = std::time::Instant::now();
    let store = state.store.as_ref();
    // Again under the lease: a retrain or a shard may have changed it since.
    let version = match version_to_publish(store).await? {
        Ok(version) => version,
        Err(reason) => return Ok(JobOutcome::Skipped { reason }),
    };
    let now = chrono::Utc::now().timestamp();
    let resend_after = state.settings.shards.resend_after.as_secs() as i64;
    let (plan, to_send) = match Plan::current_or_replan(store).await? {
        // A version promoted while an older one is being published waits for
        // it, unless the older one's shards have been out past the resend time:
        // retrains more frequent than a publication would otherwise replace
        // every plan before its last shard lands, and nothing would publish.
        Some(plan)
            if plan.version == version
                || (plan.version < version && now - plan.sent_at < resend_after) =>
        {
            let written = plan.written(store).await?;
            let missing: Vec<u32> = (0..plan.shards)
                .filter(|&k| written[k as usize].is_none())
                .collect();
            let due = now - plan.sent_at >= resend_after;
            if missing.is_empty() {
                shard::publish_if_complete(&state, &plan).await?;
                (plan, Vec::new())
            } else if due {
                let plan = Plan {
                    sent_at: now,
                    ..plan
                };
                plan.save(store).await?;
                (plan, missing)
            } else {
                (plan, Vec::new())
            }
        }
        older => {
            if let Some(older) = older {
                older.clear(store).await?;
            }
            let plan = new_plan(&state, version, now).await?;
            let all = (0..plan.shards).collect();
            (plan, all)
        }
    };
    report(&state, plan, to_send, started)
        .await
        .map(JobOutcome::Done)
}

/// Cuts `version` into shards, writes its popular list, records the plan.
async fn new_plan(state: &AppState, version: u64, now: i64) -> Result<Plan, PublishError> {
    let store = state.store.as_ref();
    let model = state.serving.model_version(version).await?;
    let models = &model.models;
    let mut liked = LikedCounts::default();
    store.each_rating_page(&mut |page| liked.add(&page)).await?;
    store
        .write_popular(version, &liked.popular(models, POPULAR_LEN))
        .await?;
    let users = models.ranking.users.len() as u32;
    let per_shard = state.settings.shards.users.min(u32::MAX as usize) as u32;
    let plan = Plan {
        version,
        shards: users.div_ceil(per_shard).max(1),
        users_per_shard: per_shard,
        users,
        generated_at: now,
        sent_at: now,
    };
    plan.save(store).await?;
    tracing::info!(
        version,
        shards = plan.shards,
        users,
        "planned recommend-for-all"
    );
    Ok(plan)
}

async fn report(
    state: &AppState,
    plan: Plan,
    to_send: Vec<u32>,
    started: std::time::Instant,
) -> Result<RecommendReport, PublishError> {
    let published = state.store.serving_version().await? == Some(plan.version);
    let written = if published {
        plan.shards
    } else {
        plan.written(state.store.as_ref())
            .await?
            .iter()
            .filter(|w| w.is_some())
            .count() as u32
    };
    Ok(RecommendReport {
        version: plan.version,
        users: plan.users,
        shards: plan.shards,
        written,
        sent: to_send.len() as u32,
        published,
        top_n: state.settings.top_n,
        seconds: started.elapsed().as_secs_f64(),
        messages: to_send.into_iter().map(|k| plan.message(k)).collect(),
    })
}

/// The shards of `report`'s version still to work in this process: the ones
/// it sent, or, when it sent none and nothing is published, every shard not
/// written yet (sent earlier to a queue this process does not work: worked
/// here rather than waiting for the resend).
pub(crate) async fn left_to_work(
    state: &AppState,
    report: &RecommendReport,
) -> Result<Vec<ShardMessage>, PublishError> {
    if !report.messages.is_empty() || report.published {
        return Ok(report.messages.clone());
    }
    let store = state.store.as_ref();
    let Some(plan) = Plan::current(store).await? else {
        return Ok(Vec::new());
    };
    let written = plan.written(store).await?;
    Ok((0..plan.shards)
        .filter(|&k| written[k as usize].is_none())
        .map(|k| plan.message(k))
        .collect())
}
