//! Which arm of the A/B test (`crate::settings::AbTest`) a user is in: a
//! hash of the test's salt and the user's id against the arms' weights. It
//! reads nothing but the two, so a user stays in their arm across restarts
//! and on every instance, and a new salt is a new split.

use crate::settings::{AbTest, Arm};

/// The arm `user` is in.
pub fn arm_of(test: &AbTest, user: i32) -> &Arm {
    let total: u64 = test.arms.iter().map(|a| u64::from(a.weight)).sum();
    let mut key = Vec::with_capacity(test.salt.len() + 4);
    key.extend_from_slice(test.salt.as_bytes());
    key.extend_from_slice(&user.to_le_bytes());
    let mut at = twox_hash::XxHash64::oneshot(0, &key) % total;
    for arm in &test.arms {
        let weight = u64::from(arm.weight);
        if at < weight {
            return arm;
        }
        at -= weight;
    }
    unreachable!("the weights add up to the total")
}

#[cfg(test)]
mod tests {
    use super::*;
    use movierec_core::als::AlsParams;

    #[test]
    fn users_split_by_weight_and_each_stays_in_their_arm() {
        let test = AbTest::parse("model:3,popular:1", "salt-a", &AlsParams::ranking())
            .unwrap()
            .unwrap();
        let in_model = (1..=20_000)
            .filter(|&u| arm_of(&test, u).name == "model")
            .count();
        assert!(
            (14_500..15_500).contains(&in_model),
            "{in_model} of 20,000 at 3:1"
        );
        assert!((1..=1000).all(|u| arm_of(&test, u).name == arm_of(&test, u).name));
        // another salt, another split
        let other = AbTest::parse("model:3,popular:1", "salt-b", &AlsParams::ranking())
            .unwrap()
            .unwrap();
        let moved = (1..=1000)
            .filter(|&u| arm_of(&test, u).name != arm_of(&other, u).name)
            .count();
        assert!(moved > 200, "{moved} of 1,000 moved");
    }
}
