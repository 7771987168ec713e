//! An A/B arm that serves its own model (`rank16(rank=16,reg=0.05):1` in
//! MOVIEREC_AB_TEST): the ranking parameters it writes, over the ranking
//! model's settings (MOVIEREC_RANKING_*). Each retrain trains the arm's model
//! beside the candidate (`crate::jobs::arm_models`); serving finds its newest
//! version by the arm's name (`crate::models::arms`).

use movierec_core::als::AlsParams;

/// The keys an arm may set, as `MOVIEREC_RANKING_*` names them, lowercased.
pub const ARM_PARAM_KEYS: &str = "rank, iterations, reg, alpha, unobserved_weight";

/// An arm's ranking parameters and the text it wrote them in (recorded with
/// each version it trains, and shown as is).
#[derive(Debug, Clone, PartialEq)]
pub struct ArmParams {
    pub ranking: AlsParams,
    pub written: String,
}

impl ArmParams {
    /// `written` ("rank=16,reg=0.05") over `base`; the error says which
    /// key or value is wrong.
    pub fn parse(written: &str, base: &AlsParams) -> Result<ArmParams, String> {
        let mut ranking = base.clone();
        let mut set = false;
        for pair in written.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not key=value"))?;
            let (key, value) = (key.trim(), value.trim());
            let number = |kind: &str| format!("{key}={value:?} is not {kind}");
            match key {
                "rank" => ranking.rank = value.parse().map_err(|_| number("a whole number"))?,
                "iterations" => {
                    ranking.iterations = value.parse().map_err(|_| number("a whole number"))?
                }
                "reg" => ranking.reg = value.parse().map_err(|_| number("a number"))?,
                "alpha" => ranking.alpha = value.parse().map_err(|_| number("a number"))?,
                "unobserved_weight" => {
                    ranking.unobserved_weight = value.parse().map_err(|_| number("a number"))?
                }
                other => return Err(format!("{other:?} is not one of {ARM_PARAM_KEYS}")),
            }
            set = true;
        }
        if !set {
            return Err(format!(
                "no parameter given (set one or more of {ARM_PARAM_KEYS})"
            ));
        }
        ranking.validate().map_err(|e| format!("{written}: {e}"))?;
        Ok(ArmParams {
            ranking,
            written: written.trim().to_string(),
        })
    }
}

/// `spec` cut at the commas outside parentheses, so that an arm's own
/// parameters ("rank16(rank=16,reg=0.05):1") stay in one piece.
pub fn split_arms(spec: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (at, c) in spec.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| format!("a ')' at character {at} closes nothing"))?
            }
            ',' if depth == 0 => {
                parts.push(&spec[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err("a '(' is never closed".into());
    }
    parts.push(&spec[start..]);
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arms_parameters_override_the_ranking_settings_and_are_checked() {
        let base = AlsParams::ranking();
        let arm = ArmParams::parse(" rank=16, reg=0.5 ", &base).unwrap();
        assert_eq!((arm.ranking.rank, arm.ranking.reg), (16, 0.5));
        assert_eq!(arm.ranking.iterations, base.iterations);
        assert!(arm.ranking.implicit, "still the ranking model");
        assert_eq!(arm.written, "rank=16, reg=0.5");
        for (written, why) in [
            ("rank=0", "rank"),
            ("rank=x", "not a whole number"),
            ("depth=3", "\"depth\" is not one of rank"),
            ("rank", "not key=value"),
            ("", "no parameter given"),
        ] {
            let e = ArmParams::parse(written, &base).unwrap_err();
            assert!(e.contains(why), "{written}: {e}");
        }
    }

    #[test]
    fn arms_split_at_commas_outside_parentheses() {
        assert_eq!(
            split_arms("model:1,r16(rank=16,reg=0.1):2").unwrap(),
            vec!["model:1", "r16(rank=16,reg=0.1):2"]
        );
        assert!(split_arms("a(rank=1:1")
            .unwrap_err()
            .contains("never closed"));
        assert!(split_arms("a)").unwrap_err().contains("closes nothing"));
    }
}
