//! Which events travel together: consecutive runs of one user (by key), or
//! all events of one partition in order (by hash, the partition picked here
//! from the user id). Pure: no connection, no sending.

use std::collections::BTreeMap;

use super::Partitioning;
use crate::event::OutgoingEvent;

/// Events of one batch group: the group's key (partition key or id), and
/// each event with its index in the batch being sent.
pub type Group<'a> = (Option<String>, Vec<(usize, &'a OutgoingEvent)>);

/// A stable partition for a user (FNV-1a of the id), so the choice does not
/// change between runs or builds.
pub fn partition_for(user: i32, partitions: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in user.to_le_bytes() {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x100_0000_01b3);
    }
    (hash % partitions as u64) as usize
}

/// The events by group, each with its index.
pub fn groups<'a>(
    events: &'a [OutgoingEvent],
    partitioning: Partitioning,
    partition_ids: &[String],
) -> Vec<Group<'a>> {
    let key_of = |e: &OutgoingEvent| -> Option<String> {
        let user = e.user?;
        Some(match partitioning {
            Partitioning::Key => user.to_string(),
            Partitioning::Hash => partition_ids[partition_for(user, partition_ids.len())].clone(),
        })
    };
    let mut groups: Vec<Group> = Vec::new();
    match partitioning {
        Partitioning::Key => {
            for (i, e) in events.iter().enumerate() {
                let key = key_of(e);
                match groups.last_mut() {
                    Some((k, members)) if *k == key => members.push((i, e)),
                    _ => groups.push((key, vec![(i, e)])),
                }
            }
        }
        Partitioning::Hash => {
            let mut by_partition: BTreeMap<Option<String>, Vec<(usize, &OutgoingEvent)>> =
                BTreeMap::new();
            for (i, e) in events.iter().enumerate() {
                by_partition.entry(key_of(e)).or_default().push((i, e));
            }
            groups.extend(by_partition);
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::rating_event;

    #[test]
    fn a_user_always_maps_to_the_same_partition_and_users_spread() {
        assert_eq!(partition_for(42, 4), partition_for(42, 4));
        let mut counts = [0usize; 4];
        for user in 1..=4000 {
            counts[partition_for(user, 4)] += 1;
        }
        assert!(counts.iter().all(|&c| c > 800), "{counts:?}");
    }

    #[test]
    fn by_key_a_run_of_one_user_is_one_group_and_by_hash_a_partition_is() {
        let events: Vec<_> = [1, 1, 2, 1]
            .into_iter()
            .map(|user| rating_event(user, 10, 4.0, 0))
            .collect();
        let keys = |groups: Vec<Group>| -> Vec<(Option<String>, Vec<usize>)> {
            groups
                .into_iter()
                .map(|(k, members)| (k, members.into_iter().map(|(i, _)| i).collect()))
                .collect()
        };
        assert_eq!(
            keys(groups(&events, Partitioning::Key, &[])),
            vec![
                (Some("1".into()), vec![0, 1]),
                (Some("2".into()), vec![2]),
                (Some("1".into()), vec![3]),
            ]
        );
        let ids = vec!["0".to_string()];
        assert_eq!(
            keys(groups(&events, Partitioning::Hash, &ids)),
            vec![(Some("0".into()), vec![0, 1, 2, 3])]
        );
    }
}
