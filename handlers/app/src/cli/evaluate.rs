//! `movierec evaluate`: train on one file, measure on another.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use movierec_core::als::train;
use movierec_core::als::AlsParams;
use movierec_core::data::RatingMatrix;
use movierec_core::metrics::FoldInMetrics;
use movierec_core::metrics::{
    catalogue_coverage, fold_in_metrics, popular_ranking_metrics, popularity_order,
    ranking_metrics, rating_metrics,
};
use movierec_core::topn::recommend_all;
use movierec_core::tuning::tune_reg;
use movierec_core::tuning::RegCandidate;
use movierec_core::NoProgress;
use serde::Serialize;

use super::options::{peak_rss_mib, InputOptions, ModelOptions};
use super::progress::TerminalProgress;
use movierec::models::metrics::{list_quality, ListQuality};

/// What `--json` prints. The lists' figures are [`ListQuality`], as a
/// retrain records them (`movierec::models::ModelMetrics`); the other names are
/// the ones the peers' scripts print (`bench/peers.py`, `bench/explicit_peers.py`:
/// `train_seconds`, `n_test`), so that one report reads beside theirs.
#[derive(Debug, Serialize)]
struct EvaluateReport {
    rmse: Option<f64>,
    mae: Option<f64>,
    train_seconds: f64,
    recommend_all_seconds: Option<f64>,
    n_train: usize,
    n_users: usize,
    n_items: usize,
    n_test: usize,
    n_test_scored: usize,
    n_cold_start: usize,
    k: usize,
    #[serde(flatten)]
    lists: ListQuality,
    coverage_at_k: f64,
    n_ranking_users: usize,
    popular: ListQuality,
    fold_in: Option<FoldInMetrics>,
    reg_candidates: Option<Vec<RegCandidate>>,
    peak_rss_mib: Option<f64>,
    threads: usize,
    params: AlsParams,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Training ratings file.
    #[arg(long)]
    train: PathBuf,
    /// Held-out ratings file.
    #[arg(long)]
    test: PathBuf,
    /// Strong generalisation: ratings of users absent from --train, folded in
    /// (their --test ratings are the targets). Adds recall@20 and NDCG@100.
    #[arg(long)]
    foldin: Option<PathBuf>,
    #[command(flatten)]
    input: InputOptions,
    #[command(flatten)]
    model: ModelOptions,
    /// Cut-off for the ranking metrics.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// A held-out rating at or above this counts as relevant.
    #[arg(long, default_value_t = 4.0)]
    relevant: f32,
    /// Also time top-N (N = k) for every training user, seen items left out.
    #[arg(long)]
    recommend_all: bool,
    /// Choose the regularisation first, as the app's retrain does: the best of
    /// 0.5x, 1x, 2x --reg by NDCG@k on a 10% validation split of --train (seed + 1).
    #[arg(long)]
    tune_reg: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: EvaluateArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.k >= 1, "--k must be at least 1");
    let train_ratings = args.input.load(&args.train)?;
    let test = args.input.load(&args.test)?;
    let mut params = args.model.params();
    let tuned = if args.tune_reg {
        let tuned = tune_reg(
            &train_ratings,
            &params,
            0.1,
            params.seed.wrapping_add(1),
            args.k,
            args.relevant,
            &NoProgress,
        )
        .context("tuning the regularisation failed")?;
        params = tuned.params;
        Some(tuned.candidates)
    } else {
        None
    };
    let matrix = RatingMatrix::build(&train_ratings);
    drop(train_ratings);
    let started = Instant::now();
    let model = train(&matrix, &params, &TerminalProgress::new()).context("training failed")?;
    let train_seconds = started.elapsed().as_secs_f64();

    let rating = rating_metrics(&model, &test);
    let ranking = ranking_metrics(&model, &matrix.by_user, &test, args.k, args.relevant);
    let coverage = catalogue_coverage(&model, &matrix.by_user, args.k);
    let popular = popular_ranking_metrics(
        &matrix.users,
        &matrix.items,
        &popularity_order(&matrix.by_item, args.relevant),
        &matrix.by_user,
        &test,
        args.k,
        args.relevant,
    );
    let strong = match &args.foldin {
        Some(path) => Some(fold_in_metrics(
            &model,
            &args.input.load(path)?,
            &test,
            args.relevant,
        )),
        None => None,
    };
    let recommend_all_seconds = args.recommend_all.then(|| {
        let started = Instant::now();
        let mut lists = 0usize;
        recommend_all(&model, &matrix.by_user, args.k, &NoProgress, |batch| {
            lists += batch.len()
        });
        debug_assert_eq!(lists, model.users.len());
        started.elapsed().as_secs_f64()
    });

    let report = EvaluateReport {
        rmse: rating.rmse,
        mae: rating.mae,
        train_seconds,
        recommend_all_seconds,
        n_train: matrix.nnz(),
        n_users: matrix.users.len(),
        n_items: matrix.items.len(),
        n_test: rating.n_test,
        n_test_scored: rating.n_scored,
        n_cold_start: rating.n_cold_start,
        k: args.k,
        lists: list_quality(ranking.clone()),
        coverage_at_k: coverage,
        n_ranking_users: ranking.n_users,
        popular: list_quality(popular.clone()),
        fold_in: strong.clone(),
        reg_candidates: tuned,
        peak_rss_mib: peak_rss_mib(),
        threads: rayon::current_num_threads(),
        params: params.clone(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        let f = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_else(|| "n/a".into());
        println!(
            "train: {} ratings, {} users, {} items, {:.2} s",
            matrix.nnz(),
            matrix.users.len(),
            matrix.items.len(),
            train_seconds
        );
        println!(
            "test:  {} ratings, {} scored, {} cold-start (dropped)",
            rating.n_test, rating.n_scored, rating.n_cold_start
        );
        println!("RMSE {}   MAE {}", f(rating.rmse), f(rating.mae));
        println!(
            "@{}: precision {}  recall {}  NDCG {}  MAP {}  ({} users with a relevant held-out item)",
            args.k,
            f(ranking.precision),
            f(ranking.recall),
            f(ranking.ndcg),
            f(ranking.map),
            ranking.n_users
        );
        println!(
            "most popular @{}: precision {}  recall {}  NDCG {}  MAP {};  model coverage {:.3}",
            args.k,
            f(popular.precision),
            f(popular.recall),
            f(popular.ndcg),
            f(popular.map),
            coverage
        );
        if let Some(s) = &strong {
            println!(
                "fold-in of {} new users: recall@20 {}  NDCG@100 {}",
                s.n_users,
                f(s.recall_at_20),
                f(s.ndcg_at_100)
            );
        }
        if let Some(s) = recommend_all_seconds {
            println!(
                "top-{} for all {} users: {:.2} s",
                args.k,
                model.users.len(),
                s
            );
        }
    }
    Ok(())
}
