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

use movierec::jobs::retrain::{self, RetrainReport};
use movierec::jobs::JobOutcome;
use movierec::settings::Settings;
use movierec::state::AppState;
use movierec_core::data::{load_ratings, LoadOptions};
use movierec_core::NoProgress;
use movierec_store::{ModelStatus, RatingRecord, SqliteStore, Store};

struct Args {
    steps: usize,
    ratings: PathBuf,
}

fn args() -> Args {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut a = Args {
        steps: 10,
        ratings: root.join("data/ml-latest-small/ratings.csv"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--steps" => a.steps = it.next().and_then(|v| v.parse().ok()).expect("--steps N"),
            "--ratings" => a.ratings = it.next().map(PathBuf::from).expect("--ratings FILE"),
            "--bench" => {}
            other => panic!("unknown argument {other}; expected --steps N or --ratings FILE"),
        }
    }
    a
}

async fn retrain(state: &AppState) -> (RetrainReport, f64) {
    let started = Instant::now();
    match retrain::run(state).await.expect("the retrain runs") {
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
