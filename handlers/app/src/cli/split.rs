//! `movierec split`: a seeded random train/test split of a ratings file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use movierec_core::data::{random_split, Ratings};

use super::options::InputOptions;

#[derive(Debug, Args)]
pub struct SplitArgs {
    /// Ratings file to split.
    #[arg(long)]
    ratings: PathBuf,
    /// Where to write the training part (CSV with header).
    #[arg(long)]
    train_out: PathBuf,
    /// Where to write the held-out part (CSV with header).
    #[arg(long)]
    test_out: PathBuf,
    /// Share of ratings held out.
    #[arg(long, default_value_t = 0.1)]
    test_fraction: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[command(flatten)]
    input: InputOptions,
}

pub fn run(args: SplitArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.test_fraction > 0.0 && args.test_fraction < 1.0,
        "--test-fraction must be between 0 and 1 (exclusive), got {}",
        args.test_fraction
    );
    let ratings = args.input.load(&args.ratings)?;
    let (train, test) = random_split(&ratings, args.test_fraction, args.seed);
    write_csv(&args.train_out, &train)?;
    write_csv(&args.test_out, &test)?;
    println!("{} train and {} test ratings", train.len(), test.len());
    Ok(())
}

/// Writes ratings as `user,item,rating[,timestamp]` CSV with a header.
pub fn write_csv(path: &Path, ratings: &Ratings) -> anyhow::Result<()> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = BufWriter::new(file);
    let write = |w: &mut BufWriter<File>| -> std::io::Result<()> {
        writeln!(w, "user,item,rating,timestamp")?;
        for r in &ratings.rows {
            match r.timestamp {
                Some(t) => writeln!(w, "{},{},{},{}", r.user, r.item, r.rating, t)?,
                None => writeln!(w, "{},{},{}", r.user, r.item, r.rating)?,
            }
        }
        w.flush()
    };
    write(&mut w).with_context(|| format!("writing {}", path.display()))
}
