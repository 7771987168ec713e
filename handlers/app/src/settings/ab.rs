//! An A/B test of what `GET /recommendations` serves (MOVIEREC_AB_TEST,
//! MOVIEREC_AB_SALT): the arms, each a kind of list and a weight. Which arm a
//! user is in is `crate::serving::ab`'s; what each arm served is told apart in
//! the impressions and the online figures (`crate::impressions`).

use super::SettingError;

/// What an arm serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArmKind {
    /// `model`: the published version, as without a test.
    Model,
    /// `popular`: the most-popular list, the user's rated movies left out.
    Popular,
    /// `v7`: model version 7 (a challenger, or an older one), from the user's
    /// current ratings.
    Version(u64),
}

/// One arm: its name as the spec writes it, what it serves and its weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arm {
    pub name: String,
    pub kind: ArmKind,
    pub weight: u32,
}

/// The arms of a test and the salt of its split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbTest {
    pub arms: Vec<Arm>,
    /// Mixed into each user's hash: a new salt is a new split.
    pub salt: String,
}

/// MOVIEREC_AB_SALT unless set.
pub const AB_SALT: &str = "movierec-ab-1";

const EXPECTED: &str = "arms as NAME:WEIGHT separated by commas, NAME one of model, popular or vN (a model version), e.g. model:1,popular:1 or model:9,v7:1";

impl AbTest {
    /// Reads `spec` ("model:1,popular:1"); an empty spec is no test.
    pub fn parse(spec: &str, salt: &str) -> Result<Option<AbTest>, SettingError> {
        if spec.trim().is_empty() {
            return Ok(None);
        }
        let bad = |why: String| SettingError {
            name: "MOVIEREC_AB_TEST",
            value: spec.to_string(),
            expected: format!("{EXPECTED} ({why})").into(),
        };
        let mut arms: Vec<Arm> = Vec::new();
        for part in spec.split(',') {
            let (name, weight) = part
                .trim()
                .split_once(':')
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
            let kind = match name {
                "model" => ArmKind::Model,
                "popular" => ArmKind::Popular,
                v => v
                    .strip_prefix('v')
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .map(ArmKind::Version)
                    .ok_or_else(|| bad(format!("{name:?} is not an arm")))?,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_reads_into_arms_and_a_bad_one_says_what_is_wrong() {
        let test = AbTest::parse("model:9, v7:1", "s").unwrap().unwrap();
        assert_eq!(test.arms[0].kind, ArmKind::Model);
        assert_eq!(test.arms[1].kind, ArmKind::Version(7));
        assert_eq!((test.arms[0].weight, test.arms[1].weight), (9, 1));
        assert_eq!(AbTest::parse("  ", "s").unwrap(), None);
        for (spec, why) in [
            ("model", "has no weight"),
            ("model:0,popular:1", "above 0"),
            ("model:1,best:1", "\"best\" is not an arm"),
            ("model:1", "two arms"),
            ("model:1,model:2", "named twice"),
        ] {
            let e = AbTest::parse(spec, "s").unwrap_err().to_string();
            assert!(
                e.contains(why) && e.contains("MOVIEREC_AB_TEST"),
                "{spec}: {e}"
            );
        }
    }
}
