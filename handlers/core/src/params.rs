//! The parameters of an ALS model, with Spark's defaults and movierec's tuned
//! defaults, and their validation.
//!
//! Owns [`AlsParams`] and [`ParamsError`]: plain values that training
//! ([`crate::als`]) reads in full and a fitted model ([`crate::model`]) keeps,
//! because fold-in solves one row of the same loss. It must not depend on
//! either of them (both depend on it); the app names these types through
//! their re-export as `movierec_core::als::AlsParams`.

use serde::{Deserialize, Serialize};

/// The knobs of [`crate::als::train`]. `Default` is Spark MLlib's `ALS()`:
/// rank 10, 10 iterations, regParam 0.1, explicit, no biases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlsParams {
    /// Number of latent factors (Spark's `rank`), 1..=256.
    pub rank: usize,
    /// Number of iterations (Spark's `maxIter`), each solving items then users.
    pub iterations: usize,
    /// Regularisation (Spark's `regParam`); a row with n ratings gets `reg * n^reg_exponent`
    /// (implicit mode with `reg_with_unobserved`: `reg * (n + unobserved_weight * N)^reg_exponent`).
    pub reg: f32,
    /// Regularisation of the bias entries in biased mode, also scaled by n^reg_exponent.
    pub bias_reg: f32,
    /// How the regularisation grows with a row's rating count n: `reg * n^reg_exponent`.
    /// 1.0 is Spark's ALS-WR; smaller values shrink heavy raters less.
    pub reg_exponent: f32,
    /// Seed for the initial factors.
    pub seed: u64,
    /// Constrain latent factors to be non-negative (Spark's `nonnegative`).
    pub nonnegative: bool,
    /// Learn a global mean plus user and item biases (explicit mode only).
    pub biases: bool,
    /// Implicit-feedback mode (Spark's `implicitPrefs`).
    pub implicit: bool,
    /// Confidence scale in implicit mode: confidence = 1 + alpha * |r| (Spark's `alpha`).
    pub alpha: f32,
    /// Conjugate-gradient steps per row and half-iteration in implicit mode.
    pub cg_steps: usize,
    /// Implicit mode: the weight of a pair the user never rated (Spark: 1).
    /// Below 1 it trusts "not rated" less as "not liked" (Rendle et al. 2022).
    pub unobserved_weight: f32,
    /// Implicit mode: scale the regularisation by `n + unobserved_weight * N`
    /// (N the other side's rows) instead of by `n` alone: Rendle's
    /// frequency-scaled regularisation. Spark: false.
    pub reg_with_unobserved: bool,
    /// Implicit mode: 0 states a preference of 1 for every positive rating
    /// (Spark); s > 0 states `min(r / s, 1)`: graded by the rating.
    pub preference_scale: f32,
    /// Implicit mode: subtracted from every rating before it becomes a
    /// confidence and a preference, so a rating at or below it states "not
    /// liked" with confidence `1 + alpha * |r - offset|`. 0 in the app's own
    /// models; the Spark job (tools/spark) trains on `r - 1.5` and records it
    /// here so fold-in solves the loss Spark fitted.
    pub rating_offset: f32,
}

impl Default for AlsParams {
    fn default() -> Self {
        AlsParams {
            rank: 10,
            iterations: 10,
            reg: 0.1,
            bias_reg: 0.1,
            reg_exponent: 1.0,
            seed: 42,
            nonnegative: false,
            biases: false,
            implicit: false,
            alpha: 1.0,
            cg_steps: 3,
            unobserved_weight: 1.0,
            reg_with_unobserved: false,
            preference_scale: 0.0,
            rating_offset: 0.0,
        }
    }
}

impl AlsParams {
    /// movierec's defaults for explicit ratings: biases on, and a rank and
    /// regularisation tuned on MovieLens 1M (see the README's quality section).
    pub fn tuned() -> Self {
        AlsParams {
            rank: 32,
            iterations: 15,
            reg: 0.3,
            bias_reg: 0.2,
            reg_exponent: 0.75,
            biases: true,
            ..AlsParams::default()
        }
    }

    /// movierec's defaults for the ranking model: implicit ALS on who rated
    /// what, tuned for NDCG@10 of the served lists on a validation split of
    /// MovieLens 1M (see the README's quality section).
    pub fn ranking() -> Self {
        AlsParams {
            rank: 128,
            iterations: 15,
            reg: 0.01,
            reg_exponent: 1.0,
            implicit: true,
            alpha: 1.0,
            unobserved_weight: 1.0,
            reg_with_unobserved: true,
            preference_scale: 5.0,
            ..AlsParams::default()
        }
    }

    pub fn validate(&self) -> Result<(), ParamsError> {
        if !(1..=256).contains(&self.rank) {
            return Err(ParamsError::Rank(self.rank));
        }
        if self.iterations == 0 {
            return Err(ParamsError::Iterations);
        }
        if !(self.reg.is_finite() && self.reg >= 0.0) {
            return Err(ParamsError::Reg("reg", self.reg));
        }
        if !(self.bias_reg.is_finite() && self.bias_reg >= 0.0) {
            return Err(ParamsError::Reg("bias_reg", self.bias_reg));
        }
        if !(self.reg_exponent.is_finite() && (0.0..=1.0).contains(&self.reg_exponent)) {
            return Err(ParamsError::RegExponent(self.reg_exponent));
        }
        if self.implicit && self.biases {
            return Err(ParamsError::ImplicitWithBiases);
        }
        if self.implicit && !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(ParamsError::Alpha(self.alpha));
        }
        if self.implicit && !(self.unobserved_weight.is_finite() && self.unobserved_weight > 0.0) {
            return Err(ParamsError::UnobservedWeight(self.unobserved_weight));
        }
        if !(self.preference_scale.is_finite() && self.preference_scale >= 0.0) {
            return Err(ParamsError::PreferenceScale(self.preference_scale));
        }
        if !self.rating_offset.is_finite() {
            return Err(ParamsError::RatingOffset(self.rating_offset));
        }
        if self.implicit && self.cg_steps == 0 {
            return Err(ParamsError::CgSteps);
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamsError {
    #[error("rank {0} is out of range: use 1 to 256")]
    Rank(usize),
    #[error("iterations must be at least 1")]
    Iterations,
    #[error("{0} must be a finite number >= 0, got {1}")]
    Reg(&'static str, f32),
    #[error("reg_exponent must be between 0 and 1, got {0}")]
    RegExponent(f32),
    #[error("biases apply to explicit ratings only: drop --biases or --implicit")]
    ImplicitWithBiases,
    #[error("alpha must be a finite number > 0, got {0}")]
    Alpha(f32),
    #[error("unobserved_weight must be a finite number > 0, got {0}")]
    UnobservedWeight(f32),
    #[error("preference_scale must be 0 (binary) or a finite rating > 0, got {0}")]
    PreferenceScale(f32),
    #[error("rating_offset must be a finite number, got {0}")]
    RatingOffset(f32),
    #[error("cg_steps must be at least 1")]
    CgSteps,
}
