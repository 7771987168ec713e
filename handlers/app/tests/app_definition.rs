//! The function definitions and host.json are what Azure runs: their names,
//! triggers and settings are checked here, and `movierec package` is checked
//! to lay them out as the host expects.

mod common;

use std::io::Read;

use common::*;
use serde_json::Value;

fn read_json(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(rel)).unwrap()).unwrap()
}

#[test]
fn functions_have_the_names_triggers_and_policies_the_app_expects() {
    let ingest = read_json("functions/IngestRatings/function.json");
    let t = &ingest["bindings"][0];
    assert_eq!(t["type"], "eventHubTrigger");
    assert_eq!(t["cardinality"], "many");
    assert_eq!(t["eventHubName"], "ratings");
    assert_eq!(t["name"], "events", "the handler reads Data.events");
    assert_eq!(
        ingest["retry"]["maxRetryCount"], -1,
        "a failing batch is retried, not skipped"
    );

    for timer in ["RetrainModel", "RecommendAllUsers"] {
        let f = read_json(&format!("functions/{timer}/function.json"));
        assert_eq!(f["bindings"][0]["type"], "timerTrigger");
        let schedule = f["bindings"][0]["schedule"].as_str().unwrap();
        assert!(
            schedule.starts_with("%MOVIEREC_") && schedule.ends_with("_SCHEDULE%"),
            "{schedule}"
        );
    }

    let get = read_json("functions/GetRecommendations/function.json");
    let bindings = get["bindings"].as_array().unwrap();
    assert_eq!(
        bindings.len(),
        2,
        "forwarding needs exactly an httpTrigger and an http out"
    );
    assert_eq!(bindings[0]["authLevel"], "function");
    assert_eq!(bindings[0]["route"], "recommendations/{user}");
    assert_eq!(bindings[1]["type"], "http");

    let host = read_json("host.json");
    assert_eq!(host["customHandler"]["enableForwardingHttpRequest"], true);
    assert_eq!(host["extensions"]["http"]["routePrefix"], "");
    assert_eq!(
        host["customHandler"]["description"]["arguments"][0],
        "serve"
    );
    assert!(
        host["extensions"]["eventHubs"]["maxEventBatchSize"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn package_lays_out_the_app_folder_and_zip_the_host_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("app");
    let zip_path = dir.path().join("app.zip");
    let stdout = movierec_ok(&[
        "package",
        "--root",
        s(&root()),
        "--out",
        s(&out),
        "--zip",
        s(&zip_path),
    ]);
    assert!(
        stdout.contains(
            "functions GetRecommendations, IngestRatings, RecommendAllUsers, RetrainModel"
        ),
        "{stdout}"
    );
    assert!(out.join("local.settings.json").is_file());

    let host: Value = read_json("host.json");
    let exe = host["customHandler"]["description"]["defaultExecutablePath"]
        .as_str()
        .unwrap();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    assert!(names.contains(&"host.json".to_string()), "{names:?}");
    for f in [
        "IngestRatings",
        "RetrainModel",
        "RecommendAllUsers",
        "GetRecommendations",
    ] {
        assert!(
            names.contains(&format!("{f}/function.json")),
            "{f} missing: {names:?}"
        );
    }
    assert!(
        !names.iter().any(|n| n.contains("local.settings")),
        "local settings stay out of the zip"
    );
    let mut bin = archive
        .by_name(exe)
        .expect("the executable host.json names");
    assert_eq!(
        bin.unix_mode().unwrap() & 0o111,
        0o111,
        "executable bit set"
    );
    let mut head = [0u8; 4];
    bin.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"\x7fELF", "a Linux executable");
}
