//! Option groups shared by several commands: how to read a ratings file, and
//! the model parameters.

use std::path::Path;

use anyhow::Context;
use clap::{Args, ValueEnum};
use movierec_core::als::AlsParams;
use movierec_core::data::{load_ratings, LoadOptions, OnError, Ratings, RatingsFormat};

use super::progress::TerminalProgress;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// From the file name (.data tab, .dat `::`), else from the first line.
    Auto,
    /// ml-100k u.data: tab separated.
    Tab,
    /// ml-1m ratings.dat: `::` separated.
    Dat,
    /// user,item,rating[,timestamp], header optional.
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OnErrorArg {
    /// Stop at the first malformed row.
    Fail,
    /// Skip malformed rows, count them and report the first few.
    Skip,
}

#[derive(Debug, Clone, Args)]
pub struct InputOptions {
    /// Format of the ratings files.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: FormatArg,
    /// What to do with a malformed row.
    #[arg(long, value_enum, default_value = "fail")]
    pub on_error: OnErrorArg,
}

impl InputOptions {
    /// Reads a ratings file, printing a warning with the first few skipped rows.
    pub fn load(&self, path: &Path) -> anyhow::Result<Ratings> {
        let options = LoadOptions {
            format: match self.format {
                FormatArg::Auto => RatingsFormat::Auto,
                FormatArg::Tab => RatingsFormat::Tab,
                FormatArg::Dat => RatingsFormat::DoubleColon,
                FormatArg::Csv => RatingsFormat::Csv,
            },
            on_error: match self.on_error {
                OnErrorArg::Fail => OnError::Fail,
                OnErrorArg::Skip => OnError::Skip,
            },
        };
        let report = load_ratings(path, options, &TerminalProgress::new())
            .with_context(|| format!("reading ratings from {}", path.display()))?;
        if let Some(warning) = report.skipped_warning(path) {
            eprintln!("{warning}");
        }
        Ok(report.ratings)
    }
}

/// Model parameters. Unset values take Spark's defaults (rank 10, 10
/// iterations, reg 0.1), or movierec's tuned defaults when --biases (the
/// rating model) or --ranking (the ranking model) is set.
#[derive(Debug, Clone, Args)]
pub struct ModelOptions {
    /// Latent factors (Spark: rank). Default 10, or 32 with --biases.
    #[arg(long)]
    pub rank: Option<usize>,
    /// ALS iterations (Spark: maxIter). Default 10, or 15 with --biases.
    #[arg(long)]
    pub iterations: Option<usize>,
    /// Regularisation, scaled by each row's rating count (Spark: regParam). Default 0.1, or 0.3 with --biases.
    #[arg(long)]
    pub reg: Option<f32>,
    /// Regularisation of the bias terms with --biases. Default 0.2.
    #[arg(long)]
    pub bias_reg: Option<f32>,
    /// Regularisation grows as n^this with a row's rating count n (1 = Spark's ALS-WR). Default 1, or 0.75 with --biases.
    #[arg(long)]
    pub reg_exponent: Option<f32>,
    /// Seed for the initial factors.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Constrain factors to be non-negative (Spark: nonnegative).
    #[arg(long)]
    pub nonnegative: bool,
    /// Learn global, user and item biases, with movierec's tuned defaults for unset options
    /// (the app's rating model).
    #[arg(long, conflicts_with_all = ["implicit", "ranking"])]
    pub biases: bool,
    /// Implicit-feedback mode (Spark: implicitPrefs): ratings are confidence, not targets.
    #[arg(long)]
    pub implicit: bool,
    /// The app's ranking model: implicit mode with movierec's tuned defaults for unset
    /// options (rank 128, 15 iterations, reg 0.01 scaled by n + N, preference r / 5).
    #[arg(long)]
    pub ranking: bool,
    /// Confidence scale in implicit mode: confidence = 1 + alpha * |r| (Spark: alpha). Default 1.
    #[arg(long)]
    pub alpha: Option<f32>,
    /// Implicit mode: weight of an unrated pair (Spark: 1). Default 1.
    #[arg(long)]
    pub unobserved_weight: Option<f32>,
    /// Implicit mode: scale the regularisation by n + unobserved-weight x (other side's rows),
    /// not by n alone (Rendle et al. 2022). Default false, or true with --ranking.
    #[arg(long)]
    pub reg_with_unobserved: Option<bool>,
    /// Implicit mode: conjugate-gradient steps per row and half-iteration. Default 3.
    #[arg(long)]
    pub cg_steps: Option<usize>,
    /// Implicit mode: 0 makes every rating a preference of 1 (Spark); s > 0 makes a
    /// rating r a preference of min(r / s, 1). Default 0, or 5 with --ranking.
    #[arg(long)]
    pub preference_scale: Option<f32>,
}

impl ModelOptions {
    pub fn params(&self) -> AlsParams {
        let base = if self.biases {
            AlsParams::tuned()
        } else if self.ranking {
            AlsParams::ranking()
        } else {
            AlsParams::default()
        };
        AlsParams {
            rank: self.rank.unwrap_or(base.rank),
            iterations: self.iterations.unwrap_or(base.iterations),
            reg: self.reg.unwrap_or(base.reg),
            bias_reg: self.bias_reg.unwrap_or(base.bias_reg),
            reg_exponent: self.reg_exponent.unwrap_or(base.reg_exponent),
            seed: self.seed,
            nonnegative: self.nonnegative,
            biases: self.biases,
            implicit: self.implicit || base.implicit,
            alpha: self.alpha.unwrap_or(base.alpha),
            unobserved_weight: self.unobserved_weight.unwrap_or(base.unobserved_weight),
            reg_with_unobserved: self.reg_with_unobserved.unwrap_or(base.reg_with_unobserved),
            cg_steps: self.cg_steps.unwrap_or(base.cg_steps),
            preference_scale: self.preference_scale.unwrap_or(base.preference_scale),
            rating_offset: base.rating_offset,
        }
    }
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`), if known.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
