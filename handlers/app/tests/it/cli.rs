//! The `movierec` command line, driven as a user would: real files in, output checked.

use std::collections::{HashMap, HashSet};

use crate::common::*;

#[test]
fn every_command_has_help() {
    for cmd in ["train", "evaluate", "recommend", "split", "synth"] {
        let out = movierec_ok(&[cmd, "--help"]);
        assert!(out.contains("Usage: movierec"), "{cmd}: {out}");
    }
    assert!(movierec_ok(&["train", "--help"]).contains("--nonnegative"));
}

#[test]
fn evaluate_json_reports_spark_like_rmse_and_ranking_metrics_on_bundled_data() {
    let dir = tempfile::tempdir().unwrap();
    let (train, test) = split_bundled(dir.path(), "1");
    let v = evaluate_json(&train, &test, &["--seed", "1"]);
    let rmse = v["rmse"].as_f64().unwrap();
    assert!((0.82..0.92).contains(&rmse), "rmse {rmse}");
    assert!(v["mae"].as_f64().unwrap() < rmse);
    let (n_test, scored, cold) = (
        v["n_test"].as_u64().unwrap(),
        v["n_test_scored"].as_u64().unwrap(),
        v["n_cold_start"].as_u64().unwrap(),
    );
    assert_eq!(n_test, scored + cold);
    assert!(
        cold > 0,
        "ml-latest-small has items rated once, so some test pairs are cold-start"
    );
    assert_eq!(v["n_train"].as_u64().unwrap() + n_test, 100_836);
    assert!(
        v["precision_at_k"].as_f64().unwrap() >= 0.0 && v["ndcg_at_k"].as_f64().unwrap() >= 0.0
    );
    assert!(v["train_seconds"].as_f64().unwrap() > 0.0);
}

#[test]
fn biases_beat_plain_als_on_held_out_ratings() {
    let dir = tempfile::tempdir().unwrap();
    let (train, test) = split_bundled(dir.path(), "3");
    let rmse = |extra: &[&str]| {
        evaluate_json(&train, &test, extra)["rmse"]
            .as_f64()
            .unwrap()
    };
    let plain = rmse(&[]);
    let biased = rmse(&["--biases"]);
    assert!(biased < plain - 0.01, "biased {biased} vs plain {plain}");
}

#[test]
fn the_ranking_model_beats_the_most_popular_list_and_folds_in_new_users() {
    let dir = tempfile::tempdir().unwrap();
    let (train, test) = split_bundled(dir.path(), "5");
    let v = evaluate_json(&train, &test, &["--ranking", "--rank", "32"]);
    let ndcg = v["ndcg_at_k"].as_f64().unwrap();
    let popular = v["popular"]["ndcg_at_k"].as_f64().unwrap();
    assert!(
        ndcg > popular * 1.3,
        "ranking {ndcg} vs most popular {popular}"
    );
    let coverage = v["coverage_at_k"].as_f64().unwrap();
    assert!(coverage > 0.01 && coverage <= 1.0, "{coverage}");
    assert_eq!(v["params"]["implicit"], true);

    // Strong generalisation: users 1-60 leave training; half of each one's
    // ratings folds them in, the other half is what they should be shown.
    let rows = rated_pairs(&train);
    let write = |name: &str, keep: &dyn Fn(usize, i32) -> bool| {
        let path = dir.path().join(name);
        let mut text = String::from("user,item,rating\n");
        for (i, (u, m, r)) in rows.iter().enumerate() {
            if keep(i, *u) {
                text.push_str(&format!("{u},{m},{r}\n"));
            }
        }
        std::fs::write(&path, text).unwrap();
        path
    };
    let rest = write("rest.csv", &|_, u| u > 60);
    let foldin = write("foldin.csv", &|i, u| u <= 60 && i % 2 == 0);
    let target = write("target.csv", &|i, u| u <= 60 && i % 2 == 1);
    let v = evaluate_json(
        &rest,
        &target,
        &["--ranking", "--rank", "32", "--foldin", s(&foldin)],
    );
    let folded = &v["fold_in"];
    assert!(folded["n_users"].as_u64().unwrap() > 40, "{folded}");
    let recall = folded["recall_at_20"].as_f64().unwrap();
    assert!(recall > 0.1, "new users' recall@20 {recall}");
    assert!(folded["ndcg_at_100"].as_f64().unwrap() > 0.1, "{folded}");
}

#[test]
fn recommend_leaves_out_rated_items_for_one_user_and_for_all() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let ratings = bundled_ratings();
    movierec_ok(&[
        "train",
        "--ratings",
        s(&ratings),
        "--save",
        s(&model),
        "--iterations",
        "5",
    ]);
    let pairs = rated_pairs(&ratings);
    let mut rated: HashMap<i32, HashSet<i32>> = HashMap::new();
    for &(u, i, _) in &pairs {
        rated.entry(u).or_default().insert(i);
    }

    let out = movierec_ok(&[
        "recommend",
        "--model",
        s(&model),
        "--ratings",
        s(&ratings),
        "--user",
        "1",
        "-n",
        "7",
    ]);
    let items: Vec<i32> = out
        .lines()
        .skip(2)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(items.len(), 7, "{out}");
    assert!(
        items.iter().all(|i| !rated[&1].contains(i)),
        "user 1 got an item they rated: {items:?}"
    );

    let csv = dir.path().join("all.csv");
    movierec_ok(&[
        "recommend",
        "--model",
        s(&model),
        "--ratings",
        s(&ratings),
        "--all",
        "--out",
        s(&csv),
        "-n",
        "5",
    ]);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut per_user: HashMap<i32, Vec<i32>> = HashMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        per_user
            .entry(f[0].parse().unwrap())
            .or_default()
            .push(f[2].parse().unwrap());
    }
    assert_eq!(per_user.len(), 610);
    for (user, items) in &per_user {
        assert_eq!(items.len(), 5);
        assert!(
            items.iter().all(|i| !rated[user].contains(i)),
            "user {user}: {items:?}"
        );
    }
}

#[test]
fn a_user_missing_from_the_model_is_folded_in_from_their_ratings() {
    let dir = tempfile::tempdir().unwrap();
    let all = bundled_ratings();
    let without = dir.path().join("without-user-414.csv");
    let text = std::fs::read_to_string(&all).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("414,")).collect();
    std::fs::write(&without, kept.join("\n")).unwrap();
    let model = dir.path().join("model");
    movierec_ok(&[
        "train",
        "--ratings",
        s(&without),
        "--save",
        s(&model),
        "--iterations",
        "5",
    ]);
    let out = movierec_ok(&[
        "recommend",
        "--model",
        s(&model),
        "--ratings",
        s(&all),
        "--user",
        "414",
    ]);
    assert!(out.starts_with("# user 414 (fold-in"), "{out}");
    assert_eq!(out.lines().count(), 12);

    let err = movierec(&[
        "recommend",
        "--model",
        s(&model),
        "--ratings",
        s(&without),
        "--user",
        "414",
    ]);
    assert!(!err.status.success());
    assert!(String::from_utf8_lossy(&err.stderr).contains("user 414 is not in the model"));
}

#[test]
fn malformed_rows_fail_with_file_and_line_or_are_skipped_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "user,item,rating\n1,10,4\n1,11,five\n2,10,3\n2,12,2\n",
    )
    .unwrap();
    let model = dir.path().join("m");
    let out = movierec(&[
        "train",
        "--ratings",
        s(&bad),
        "--save",
        s(&model),
        "--rank",
        "2",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv:3")
            && err.contains("rating \"five\" is not a number")
            && err.contains("--on-error skip"),
        "{err}"
    );
    assert!(!model.exists(), "nothing saved on failure");

    let out = movierec(&[
        "train",
        "--ratings",
        s(&bad),
        "--save",
        s(&model),
        "--rank",
        "2",
        "--on-error",
        "skip",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped 1 malformed rows"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("trained on 3 ratings"));
}

#[test]
fn bad_parameters_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let out = movierec(&[
        "train",
        "--ratings",
        s(&bundled_ratings()),
        "--save",
        s(&model),
        "--rank",
        "300",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("rank 300 is out of range"));
    assert!(!model.exists(), "nothing saved");
}

#[test]
fn reads_movielens_100k_and_1m_formats() {
    let (Some(u_data), Some(dat)) = (
        shared_data("ml-100k/u.data"),
        shared_data("ml-1m/partial/ratings.dat.users-1-2999"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = movierec_ok(&[
        "train",
        "--ratings",
        s(&u_data),
        "--save",
        s(&dir.path().join("a")),
        "--iterations",
        "2",
    ]);
    assert!(
        out.contains("trained on 100000 ratings (943 users, 1682 items)"),
        "{out}"
    );
    let out = movierec_ok(&[
        "train",
        "--ratings",
        s(&dat),
        "--format",
        "dat",
        "--save",
        s(&dir.path().join("b")),
        "--iterations",
        "1",
    ]);
    assert!(
        out.contains("trained on 487650 ratings (2999 users"),
        "{out}"
    );
}
