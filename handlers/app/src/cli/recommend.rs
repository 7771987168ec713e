//! `movierec recommend`: top-N lists from a saved model.
//!
//! The ratings file says what each user has already rated (left out of their
//! list). A user absent from the model but present in the ratings file is
//! folded in from those ratings, so they still get a personal list: the same
//! decision a GET makes ([`movierec::serving::personal_list`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use movierec::serving::{personal_list, UserRow};
use movierec_core::data::RatingMatrix;
use movierec_core::model_files::load_model;
use movierec_core::topn::{recommend_all, Scored};

use super::options::InputOptions;
use super::progress::TerminalProgress;

#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// Model directory (movierec's or Spark's ALSModel layout).
    #[arg(long)]
    model: PathBuf,
    /// Ratings file: items a user rated are left out of their list.
    #[arg(long)]
    ratings: PathBuf,
    /// Recommend for this user id.
    #[arg(long, conflicts_with = "all", required_unless_present = "all")]
    user: Option<i32>,
    /// Recommend for every user of the model (needs --out).
    #[arg(long, requires = "out")]
    all: bool,
    /// CSV file for --all: user,rank,item,score.
    #[arg(long)]
    out: Option<PathBuf>,
    /// List length.
    #[arg(short = 'n', long = "top", default_value_t = 10)]
    n: usize,
    #[command(flatten)]
    input: InputOptions,
}

pub fn run(args: RecommendArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=10_000).contains(&args.n),
        "-n must be between 1 and 10000, got {}",
        args.n
    );
    let (model, _) = load_model(&args.model)
        .with_context(|| format!("loading the model from {}", args.model.display()))?;
    let ratings = args.input.load(&args.ratings)?;
    match (args.user, args.out) {
        (Some(user), _) => {
            let mine: Vec<(i32, f32)> = ratings
                .rows
                .iter()
                .filter(|r| r.user == user)
                .map(|r| (r.item, r.rating))
                .collect();
            let Some(list) =
                personal_list(&model, user, &mine, args.n, UserRow::Trained, |_| true)?
            else {
                bail!(
                    "user {user} is not in the model and has no ratings of known items in {}: nothing to recommend from",
                    args.ratings.display()
                )
            };
            println!(
                "# user {user} ({}, {} rated items left out)",
                list.source.as_str(),
                list.left_out
            );
            println!("rank,item,score");
            print_list(
                &mut std::io::stdout().lock(),
                None,
                &model.items,
                &list.items,
            )?;
        }
        (None, Some(out)) => {
            let seen = RatingMatrix::seen_under(
                ratings.rows.iter().map(|r| (r.user, r.item)),
                &model.users,
                &model.items,
            );
            drop(ratings);
            let file = File::create(&out).with_context(|| format!("creating {}", out.display()))?;
            let mut w = BufWriter::new(file);
            writeln!(w, "user,rank,item,score")?;
            let started = Instant::now();
            let mut result = Ok(());
            recommend_all(&model, &seen, args.n, &TerminalProgress::new(), |batch| {
                for list in batch {
                    if result.is_ok() {
                        result = print_list(
                            &mut w,
                            Some(model.users.id(list.user)),
                            &model.items,
                            &list.items,
                        );
                    }
                }
            });
            result
                .and_then(|_| w.flush())
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!();
            println!(
                "wrote top-{} for {} users to {} in {:.2} s",
                args.n,
                model.users.len(),
                out.display(),
                started.elapsed().as_secs_f64()
            );
        }
        (None, None) => bail!("give --user ID, or --all --out FILE"),
    }
    Ok(())
}

fn print_list(
    w: &mut impl Write,
    user: Option<i32>,
    items: &movierec_core::data::IdMap,
    list: &[Scored],
) -> std::io::Result<()> {
    for (rank, s) in list.iter().enumerate() {
        if let Some(u) = user {
            write!(w, "{u},")?;
        }
        writeln!(w, "{},{},{:.5}", rank + 1, items.id(s.item), s.score)?;
    }
    Ok(())
}
