//! The closed loop: synthetic users who fetch their lists from the app
//! (`GET /recommendations/{user}`) and rate what they look at as their hidden
//! taste says, so that impressions, the online figures and an A/B test run
//! end to end on one machine.
//!
//! A user looks at the item at rank r (from 0) with probability
//! [`LOOK_FIRST`] / (r + 1): the position bias. An item looked at is watched,
//! and rated, when the user expects to like it (`TasteModel::would_watch`),
//! as people rate what they chose to watch; the rating comes from the world's
//! taste model, the same one `--synthetic` streams from with the same seed,
//! so a user rates alike in the warm-up and in the loop.
//!
//! Owns the users' behaviour and its tally ([`LoopSummary`]: what each arm
//! served and what the users then did, counted here, beside what the app
//! measures). Must not read the app's store: it sees the app only through its
//! HTTP API, as a user does.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use movierec_core::data::synth::{SynthSpec, TasteModel, UserTaste};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::SendError;
use crate::event::{rating_event, unix_now};
use crate::http::HttpTarget;

/// The chance a user looks at the first item of a list; the item at rank r
/// is looked at with this over r + 1.
pub const LOOK_FIRST: f64 = 0.8;
/// A rating at or above this is a movie the user liked (the app's threshold).
pub const LIKED: f64 = 4.0;

pub struct LoopOptions {
    /// The app, `http://HOST:PORT` (standalone mode).
    pub base_url: String,
    /// The world: users, movies, seed.
    pub spec: SynthSpec,
    pub duration: Duration,
    /// Lists fetched per second at most.
    pub rate: f64,
}

/// What one arm served and what the users did with it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ArmTally {
    pub lists: u64,
    pub items_shown: u64,
    pub looked_at: u64,
    /// Looked at and watched, so rated.
    pub watched: u64,
    pub liked: u64,
}

/// The loop's figures, by arm (`""` when the app runs no test).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoopSummary {
    pub seconds: f64,
    pub arms: BTreeMap<String, ArmTally>,
}

/// The part of `GET /recommendations` a user reads.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    arm: Option<String>,
    items: Vec<AnswerItem>,
}

#[derive(Deserialize)]
struct AnswerItem {
    movie_id: i32,
}

/// Runs the loop for `options.duration`.
pub async fn run_loop(options: &LoopOptions) -> Result<LoopSummary, SendError> {
    let mut rng = ChaCha8Rng::seed_from_u64(options.spec.seed);
    // The world as `RatingStream::new` draws it from the same seed.
    let world = TasteModel::new(&options.spec, &mut rng);
    let mut users: HashMap<usize, UserTaste> = HashMap::new();
    let mut choose = ChaCha8Rng::seed_from_u64(options.spec.seed ^ 0xC105_ED10);
    let client = reqwest::Client::new();
    let base = options.base_url.trim_end_matches('/');
    let events_target = HttpTarget::new(&format!("{base}/events"));
    let mut summary = LoopSummary::default();
    let started = Instant::now();
    let every = Duration::from_secs_f64(1.0 / options.rate);
    let mut next = Instant::now();
    while started.elapsed() < options.duration {
        tokio::time::sleep_until(next.into()).await;
        next += every;
        let u = choose.random_range(0..options.spec.users);
        let user = u as i32 + 1;
        let url = format!("{base}/recommendations/{user}");
        let answer = client
            .get(&url)
            .send()
            .await
            .map_err(|source| SendError::Get {
                url: url.clone(),
                source,
            })?;
        if !answer.status().is_success() {
            // Nothing published yet, or the app is busy: this user comes back later.
            continue;
        }
        let answer: Answer = answer.json().await.map_err(|source| SendError::Get {
            url: url.clone(),
            source,
        })?;
        let tally = summary
            .arms
            .entry(answer.arm.unwrap_or_default())
            .or_default();
        tally.lists += 1;
        tally.items_shown += answer.items.len() as u64;
        let taste = users.entry(u).or_insert_with(|| world.user(u));
        let now = unix_now();
        let mut events = Vec::new();
        for (rank, item) in answer.items.iter().enumerate() {
            if !choose.random_bool(LOOK_FIRST / (rank + 1) as f64) {
                continue;
            }
            let movie = item.movie_id as usize;
            if movie == 0 || movie > options.spec.items {
                continue; // not a movie of this world
            }
            tally.looked_at += 1;
            if !world.would_watch(taste, movie - 1) {
                continue;
            }
            let rating = world.rate(taste, movie - 1);
            tally.watched += 1;
            tally.liked += u64::from(f64::from(rating) >= LIKED);
            events.push(rating_event(user, item.movie_id, rating, now));
        }
        if !events.is_empty() {
            events_target.post(&events).await?;
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
