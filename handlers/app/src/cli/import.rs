//! `movierec import movies FILE`: a movie catalogue into the store
//! MOVIEREC_STORE names (SQLite or Cosmos DB). Idempotent: movies are
//! replaced by id, and a hidden movie stays hidden. Rows that cannot be read
//! are listed with their line numbers; the others load, unless
//! `--on-error fail` asks for all or nothing.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use movierec::catalogue::{import_file, read_catalogue, CatalogueFile};

/// Bad rows listed in full; more are counted.
const BAD_ROWS_LISTED: usize = 20;

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    what: ImportWhat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OnError {
    /// Load the good rows and list the bad ones (exit 0).
    Skip,
    /// Load nothing if any row is bad (exit 1).
    Fail,
}

#[derive(Debug, Subcommand)]
enum ImportWhat {
    /// Movies: MovieLens movies.csv, movies.dat or u.item, or an id,title,genres CSV.
    Movies {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = OnError::Skip)]
        on_error: OnError,
    },
}

fn bad_rows(path: &std::path::Path, file: &CatalogueFile) -> String {
    let mut out: Vec<String> = file
        .bad
        .iter()
        .take(BAD_ROWS_LISTED)
        .map(|b| format!("{}:{}: {}", path.display(), b.line, b.reason))
        .collect();
    if file.bad.len() > BAD_ROWS_LISTED {
        out.push(format!("... and {} more", file.bad.len() - BAD_ROWS_LISTED));
    }
    out.join("\n")
}

pub fn run(args: ImportArgs) -> anyhow::Result<()> {
    let ImportWhat::Movies {
        file: path,
        on_error,
    } = args.what;
    let file = read_catalogue(&path)?;
    if !file.bad.is_empty() {
        eprintln!("{}", bad_rows(&path, &file));
        if on_error == OnError::Fail {
            bail!(
                "{}: {} bad row(s); nothing was loaded (fix them, or pass --on-error skip to load the {} good ones)",
                path.display(),
                file.bad.len(),
                file.movies.len()
            );
        }
    }
    let (format, skipped) = (file.format, file.bad.len());
    let written =
        super::on_the_store(
            |state| async move { Ok(import_file(state.store.as_ref(), &file).await?) },
        )?;
    println!(
        "imported {written} movies from {} ({format:?} format); {skipped} bad row(s) skipped",
        path.display(),
    );
    Ok(())
}
