//! `movierec synth`: synthetic MovieLens-shaped ratings, for benchmarks.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use movierec_core::data::synth::{generate, SynthSpec};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Shape {
    /// 162,541 users, 59,047 items, 25,000,095 ratings (MovieLens 25M).
    Ml25m,
    /// 1,000 users, 500 items, 50,000 ratings.
    Small,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Output CSV: userId,movieId,rating,timestamp.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "ml25m")]
    shape: Shape,
    /// Override the shape's number of users.
    #[arg(long)]
    users: Option<usize>,
    /// Override the shape's number of items.
    #[arg(long)]
    items: Option<usize>,
    /// Override the shape's number of ratings.
    #[arg(long)]
    ratings: Option<usize>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

pub fn run(args: SynthArgs) -> anyhow::Result<()> {
    let mut spec = match args.shape {
        Shape::Ml25m => SynthSpec::movielens_25m(args.seed),
        Shape::Small => SynthSpec::small(args.seed),
    };
    spec.users = args.users.unwrap_or(spec.users);
    spec.items = args.items.unwrap_or(spec.items);
    spec.ratings = args.ratings.unwrap_or(spec.ratings);
    anyhow::ensure!(
        spec.users > 0 && spec.items > 0,
        "--users and --items must be positive"
    );
    let file =
        File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    writeln!(w, "userId,movieId,rating,timestamp")?;
    let mut count = 0usize;
    let mut result = Ok(());
    generate(&spec, |rows| {
        for r in rows {
            if result.is_ok() {
                result = writeln!(
                    w,
                    "{},{},{:.1},{}",
                    r.user,
                    r.item,
                    r.rating,
                    r.timestamp.unwrap_or(0)
                );
            }
        }
        count += rows.len();
    });
    result
        .and_then(|_| w.flush())
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "wrote {count} ratings ({} users, {} items) to {}",
        spec.users,
        spec.items,
        args.out.display()
    );
    Ok(())
}
