//! `movierec package`: lay out the Functions app folder and zip it.

use std::path::PathBuf;

use clap::Args;
use movierec::package::{package, PackageOptions};

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// The app folder to create (replaced if it exists).
    #[arg(long, default_value = "dist/app")]
    out: PathBuf,
    /// Also write this zip of the folder (what Azure runs).
    #[arg(long)]
    zip: Option<PathBuf>,
    /// The executable to ship (default: this one).
    #[arg(long)]
    binary: Option<PathBuf>,
    /// The project root holding host.json and functions/.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Ship data/ml-latest-small too, so `func start` can bootstrap the embedded store.
    #[arg(long)]
    with_data: bool,
}

pub fn run(args: PackageArgs) -> anyhow::Result<()> {
    let binary = match args.binary {
        Some(b) => b,
        None => std::env::current_exe()?,
    };
    let report = package(&PackageOptions {
        root: args.root,
        out_dir: args.out.clone(),
        zip: args.zip.clone(),
        binary,
        with_data: args.with_data,
    })?;
    println!(
        "app folder {} with {} and functions {}",
        args.out.display(),
        report.executable,
        report.functions.join(", ")
    );
    if let Some(zip) = args.zip {
        println!("zip {} ({} files)", zip.display(), report.files);
    }
    Ok(())
}
