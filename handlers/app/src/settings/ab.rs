//! An A/B test of what `GET /recommendations` serves (MOVIEREC_AB_TEST,
//! MOVIEREC_AB_SALT): the arms, each a kind of list and a weight. Which arm a
//! user is in is `crate::serving::ab`'s; what each arm served is told apart in
//! the impressions and the online figures (`crate::impressions`).

use movierec_core::als::AlsParams;

use super::arm_params::{split_arms, ArmParams};
use super::SettingError;

/// What an arm serves.
#[derive(Debug, Clone, PartialEq)]
pub enum ArmKind {
    /// `model`: the published version, as without a test.
    Model,
    /// `popular`: the most-popular list, the user's rated movies left out.
    Popular,
    /// `v7`: model version 7 (a challenger, or an older one), from the user's
    /// current ratings.
    Version(u64),
    /// `rank16(rank=16,reg=0.05)`: a model of its own, trained at each
    /// retrain with these ranking parameters, from the user's current ratings.
    Params(ArmParams),
}

/// One arm: its name as the spec writes it, what it serves and its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    pub name: String,
    pub kind: ArmKind,
    pub weight: u32,
}

/// The arms of a test and the salt of its split.
#[derive(Debug, Clone, PartialEq)]
pub struct AbTest {
    pub arms: Vec<Arm>,
    /// Mixed into each user's hash: a new salt is a new split.
    pub salt: String,
}

/// MOVIEREC_AB_SALT unless set.
pub const AB_SALT: &str = "movierec-ab-1";

const EXPECTED: &str = "arms as NAME:WEIGHT separated by commas, NAME one of model, popular, vN (a model version) or a name of letters, digits, - and _ with ranking parameters of its own in parentheses, e.g. model:1,popular:1 or model:9,v7:1 or model:1,rank16(rank=16,reg=0.05):1";

impl AbTest {
    /// Reads `spec` ("model:1,popular:1"); an empty spec is no test. An
    /// arm's own parameters are read over `ranking` (MOVIEREC_RANKING_*).
    pub fn parse(
        spec: &str,
        salt: &str,
        ranking: &AlsParams,
    ) -> Result<Option<AbTest>, SettingError> {
        if spec.trim().is_empty() {
            return Ok(None);
        }
        let bad = |why: String| SettingError {
            name: "MOVIEREC_AB_TEST",
            value: spec.to_string(),
            expected: format!("{EXPECTED} ({why})").into(),
        };
        let mut arms: Vec<Arm> = Vec::new();
        for part in split_arms(spec).map_err(bad)? {
            let (name, weight) = part
                .trim()
                .rsplit_once(':')
                .ok_or_else(|| bad(format!("{part:?} has no weight")))?;
            let name = name.trim();
            let weight: u32 = weight
                .trim()
                .parse()
                .ok()
                .filter(|&w| w > 0)
                .ok_or_else(|| {
                    bad(format!(
                        "{part:?}: the weight must be a whole number above 0"
                    ))
                })?;
            let (name, kind) = match name.split_once('(') {
                Some((arm, written)) => {
                    let written = written.strip_suffix(')').ok_or_else(|| {
                        bad(format!("{name:?}: the weight follows the parentheses"))
                    })?;
                    let arm = arm.trim();
                    if !is_arm_name(arm) {
                        return Err(bad(format!(
                            "{arm:?} cannot name an arm with parameters: use letters, digits, - and _, not model, popular or vN"
                        )));
                    }
                    let params = ArmParams::parse(written, ranking)
                        .map_err(|why| bad(format!("arm {arm}: {why}")))?;
                    (arm, ArmKind::Params(params))
                }
                None => (
                    name,
                    plain_kind(name).ok_or_else(|| bad(format!("{name:?} is not an arm")))?,
                ),
            };
            if arms.iter().any(|a| a.name == name) {
                return Err(bad(format!("{name} is named twice")));
            }
            arms.push(Arm {
                name: name.to_string(),
                kind,
                weight,
            });
        }
        if arms.len() < 2 {
            return Err(bad("a test needs two arms at least".into()));
        }
        Ok(Some(AbTest {
            arms,
            salt: salt.to_string(),
        }))
    }

    /// The arms that serve a model of their own, with their parameters.
    pub fn params_arms(&self) -> impl Iterator<Item = (&str, &ArmParams)> {
        self.arms.iter().filter_map(|arm| match &arm.kind {
            ArmKind::Params(params) => Some((arm.name.as_str(), params)),
            _ => None,
        })
    }
}

/// `model`, `popular` or `vN`.
fn plain_kind(name: &str) -> Option<ArmKind> {
    match name {
        "model" => Some(ArmKind::Model),
        "popular" => Some(ArmKind::Popular),
        v => v
            .strip_prefix('v')
            .and_then(|n| n.parse().ok())
            .filter(|&n| n > 0)
            .map(ArmKind::Version),
    }
}

/// A name an arm with parameters may have: one that reads as no other arm
/// and can stand in a marker's name and a dashboard's column.
fn is_arm_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && plain_kind(name).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_reads_into_arms_and_a_bad_one_says_what_is_wrong() {
        let ranking = AlsParams::ranking();
        let test = AbTest::parse("model:9, v7:1", "s", &ranking)
            .unwrap()
            .unwrap();
        assert_eq!(test.arms[0].kind, ArmKind::Model);
        assert_eq!(test.arms[1].kind, ArmKind::Version(7));
        assert_eq!((test.arms[0].weight, test.arms[1].weight), (9, 1));
        let test = AbTest::parse("model:1, rank16(rank=16,reg=0.5):3", "s", &ranking)
            .unwrap()
            .unwrap();
        let (name, params) = test.params_arms().next().unwrap();
        assert_eq!(
            (name, params.ranking.rank, params.ranking.reg),
            ("rank16", 16, 0.5)
        );
        assert_eq!(test.arms[1].weight, 3);
        assert_eq!(AbTest::parse("  ", "s", &ranking).unwrap(), None);
        for (spec, why) in [
            ("model", "has no weight"),
            ("model:0,popular:1", "above 0"),
            ("model:1,best:1", "\"best\" is not an arm"),
            ("model:1", "two arms"),
            ("model:1,model:2", "named twice"),
            ("model:1,v2(rank=4):1", "\"v2\" cannot name an arm"),
            ("model:1,a b(rank=4):1", "cannot name an arm"),
            ("model:1,small(rank=0):1", "arm small: rank=0"),
            ("model:1,small(rank=4:1", "never closed"),
            ("model:1,small(rank=4)x:1", "the weight follows"),
        ] {
            let e = AbTest::parse(spec, "s", &ranking).unwrap_err().to_string();
            assert!(
                e.contains(why) && e.contains("MOVIEREC_AB_TEST"),
                "{spec}: {e}"
            );
        }
    }
}
