//! Replay benchmark of the promotion gate (not a test): the bundled
//! ml-latest-small, in timestamp order, arrives in `--steps` (10) growing
//! steps; after each step RetrainModel runs with the app's default settings
//! (the challenger) and then once more with a deliberately broken candidate
//! (the ranking model at rank 1). Run with `bash bench/replay.sh` or
//! `cargo bench -p movierec --bench replay -- --steps 10`.
//!
//! A user of the gate expects: no step's retrain with the same settings is
//! rejected (the population grows and shifts, and the serving version is
//! scored on the same holdout, so it is not mistaken for a regression), and
//! the broken candidate is rejected at every step. The table (step, ratings,
//! users, champion NDCG@10, challenger NDCG@10, most popular, decision,
//! seconds) goes to stdout; the exit status is 1 if either expectation fails.
//!
//! Runs the jobs through the library on a fresh SQLite store in a temp
//! directory, as `serve`'s timers would; `--ratings FILE` replays another
//! ratings file.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use movierec::jobs::retrain::RetrainReport;
use movierec::jobs::runtime;
use movierec::jobs::JobOutcome;
use movierec::settings::Settings;
use movierec::state::AppState;
use movierec_core::data::{load_ratings, LoadOptions};
use movierec_core::NoProgress;
use movierec_store::{ModelStatus, RatingRecord, SqliteStore, Store};

struct Args {
    steps: usize,
    ratings: PathBuf,
    /// Instead of the replay: all ratings, a retrain, then this many sparse
    /// new users and a new movie, and a retrain.
    shift: Option<usize>,
}

fn args() -> Args {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut a = Args {
        steps: 10,
        ratings: root.join("data/ml-latest-small/ratings.csv"),
        shift: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--steps" => a.steps = it.next().and_then(|v| v.parse().ok()).expect("--steps N"),
            "--ratings" => a.ratings = it.next().map(PathBuf::from).expect("--ratings FILE"),
            "--shift" => a.shift = it.next().and_then(|v| v.parse().ok()),
            "--bench" => {}
            other => panic!("unknown argument {other}; expected --steps N or --ratings FILE"),
        }
    }
    a
}

async fn retrain(state: &AppState) -> (RetrainReport, f64) {
    let started = Instant::now();
    match runtime::retrain(state).await.expect("the retrain runs") {
        JobOutcome::Done(report) => (report, started.elapsed().as_secs_f64()),
        other => panic!("the retrain did not run: {other:?}"),
    }
}

fn figure(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.4}")).unwrap_or_else(|| "–".into())
}

#[tokio::main]
async fn main() {
    let a = args();
    let mut rows = load_ratings(&a.ratings, LoadOptions::default(), &NoProgress)
        .unwrap_or_else(|e| panic!("{}: {e}", a.ratings.display()))
        .ratings
        .rows;
    rows.sort_by_key(|r| (r.timestamp, r.user, r.item));
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let store_dir = dir.path().display().to_string();
    let lookup = |name: &str| match name {
        "MOVIEREC_STORE" => Some(store_dir.clone()),
        _ => std::env::var(name).ok(),
    };
    let settings = Settings::from_vars(lookup).expect("settings");
    let mut broken_settings = settings.clone();
    broken_settings.ranking_params.rank = 1;
    let state = AppState::new(settings, store.clone());
    let broken = AppState::new(broken_settings, store.clone());
    if let Some(new_users) = a.shift {
        return population_shift(&state, &rows, new_users).await;
    }

    println!(
        "=== movierec replay: the promotion gate on {} ===",
        a.ratings.display()
    );
    println!(
        "{} ratings in timestamp order, {} steps; margin and holdout: the app's defaults",
        rows.len(),
        a.steps
    );
    println!();
    println!("| step | ratings | users | candidate | champion NDCG@10 | challenger NDCG@10 | most popular | decision | seconds |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let (mut same_rejected, mut broken_promoted) = (0, 0);
    let mut users = std::collections::HashSet::new();
    for step in 1..=a.steps {
        let (from, to) = (
            (step - 1) * rows.len() / a.steps,
            step * rows.len() / a.steps,
        );
        let batch: Vec<RatingRecord> = rows[from..to]
            .iter()
            .map(|r| RatingRecord {
                user: r.user,
                movie: r.item,
                rating: r.rating,
                timestamp: r.timestamp.unwrap_or_default(),
            })
            .collect();
        users.extend(batch.iter().map(|r| r.user));
        for chunk in batch.chunks(10_000) {
            store.ingest(chunk, &[]).await.expect("ingest");
        }
        for (name, state) in [("same settings", &state), ("rank 1 (broken)", &broken)] {
            let (report, seconds) = retrain(state).await;
            let m = &report.metrics;
            let champion = m.champion.as_ref().and_then(|c| c.lists.ndcg_at_k);
            let promoted = report.status == ModelStatus::Promoted;
            match (name, promoted) {
                ("same settings", false) => same_rejected += 1,
                ("rank 1 (broken)", true) => broken_promoted += 1,
                _ => {}
            }
            println!(
                "| {step} | {to} | {} | {name} | {} | {} | {} | {} | {seconds:.1} |",
                users.len(),
                figure(champion),
                figure(m.lists.ndcg_at_k),
                figure(m.popular.ndcg_at_k),
                report.status.as_str(),
            );
        }
    }
    println!();
    println!("same settings rejected: {same_rejected} of {}; broken candidate promoted: {broken_promoted} of {}", a.steps, a.steps);
    if same_rejected > 0 || broken_promoted > 0 {
        std::process::exit(1);
    }
}

fn record(r: &movierec_core::data::Rating) -> RatingRecord {
    RatingRecord {
        user: r.user,
        movie: r.item,
        rating: r.rating,
        timestamp: r.timestamp.unwrap_or_default(),
    }
}

/// The population shift: every rating, a retrain; then `new_users`
/// users with 5 ratings each, copied from a random known user's (seeded),
/// and a new movie rated 5 stars by 150 known and 150 new users; a retrain.
async fn population_shift(
    state: &AppState,
    rows: &[movierec_core::data::Rating],
    new_users: usize,
) {
    use rand::seq::IndexedRandom;
    use rand::SeedableRng;
    let store = state.store.clone();
    let all: Vec<RatingRecord> = rows.iter().map(record).collect();
    for chunk in all.chunks(10_000) {
        store.ingest(chunk, &[]).await.expect("ingest");
    }
    let (first, seconds) = retrain(state).await;
    println!(
        "| stage | champion NDCG@10 | challenger NDCG@10 | most popular | decision | seconds |"
    );
    println!("|---|---|---|---|---|---|");
    let line = |stage: &str, r: &RetrainReport, seconds: f64| {
        let m = &r.metrics;
        println!(
            "| {stage} | {} | {} | {} | {} | {seconds:.1} |",
            figure(m.champion.as_ref().and_then(|c| c.lists.ndcg_at_k)),
            figure(m.lists.ndcg_at_k),
            figure(m.popular.ndcg_at_k),
            r.decision
        );
    };
    line("all bundled ratings", &first, seconds);
    let mut by_user: std::collections::BTreeMap<i32, Vec<&RatingRecord>> = Default::default();
    for r in &all {
        by_user.entry(r.user).or_default().push(r);
    }
    let known: Vec<i32> = by_user.keys().copied().collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let (new_movie, stamp) = (999_999, 1_760_000_000);
    let mut events = Vec::new();
    for j in 0..new_users as i32 {
        let source = &by_user[known.choose(&mut rng).unwrap()];
        for r in source.choose_multiple(&mut rng, 5) {
            events.push(RatingRecord {
                user: 100_000 + j,
                timestamp: stamp,
                ..**r
            });
        }
    }
    let fans = known
        .choose_multiple(&mut rng, 150)
        .copied()
        .chain(100_000..100_150);
    events.extend(fans.map(|user| RatingRecord {
        user,
        movie: new_movie,
        rating: 5.0,
        timestamp: stamp,
    }));
    for chunk in events.chunks(10_000) {
        store.ingest(chunk, &[]).await.expect("ingest");
    }
    let (second, seconds) = retrain(state).await;
    line(
        &format!("+{new_users} sparse users, a new movie rated by 300"),
        &second,
        seconds,
    );
    if second.status != ModelStatus::Promoted {
        std::process::exit(1);
    }
}
