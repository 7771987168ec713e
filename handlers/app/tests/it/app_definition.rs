//! The function definitions and host.json are what Azure runs: their names,
//! triggers and settings are checked here, and `movierec package` is checked
//! to lay them out as the host expects.

use std::io::Read;

use crate::common::*;
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

    // RecommendAllUsers hands its shards to RecommendShard through one queue.
    let coordinator = read_json("functions/RecommendAllUsers/function.json");
    let output = &coordinator["bindings"][1];
    assert_eq!(output["type"], "queue");
    assert_eq!(output["direction"], "out");
    assert_eq!(output["name"], movierec::functions::timers::SHARDS_OUTPUT);
    let shard = read_json("functions/RecommendShard/function.json");
    let trigger = &shard["bindings"][0];
    assert_eq!(trigger["type"], "queueTrigger");
    assert_eq!(
        trigger["name"],
        movierec::functions::recommend_shard::BINDING
    );
    assert_eq!(trigger["queueName"], output["queueName"]);
    assert_eq!(trigger["connection"], "AzureWebJobsStorage");
    let storage = std::fs::read_to_string(root().join("infra/modules/storage.bicep")).unwrap();
    assert!(
        storage.contains(&format!(
            "name: '{}'",
            output["queueName"].as_str().unwrap()
        )),
        "infra declares the shard queue"
    );

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

    for page in ["Dashboard", "DashboardData"] {
        let f = read_json(&format!("functions/{page}/function.json"));
        let bindings = f["bindings"].as_array().unwrap();
        assert_eq!(
            bindings.len(),
            2,
            "{page}: forwarding needs an httpTrigger and an http out"
        );
        assert_eq!(bindings[0]["methods"], serde_json::json!(["get"]), "{page}");
        assert_eq!(bindings[1]["type"], "http");
    }

    let host = read_json("host.json");
    assert_eq!(host["customHandler"]["enableForwardingHttpRequest"], true);
    assert_eq!(host["extensions"]["http"]["routePrefix"], "");
    assert_eq!(
        host["customHandler"]["description"]["arguments"][0],
        "serve"
    );
    assert_eq!(
        host["extensions"]["queues"]["batchSize"], 1,
        "a shard uses every core of its instance: one at a time"
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
            "functions Dashboard, DashboardData, GetRecommendations, IngestRatings, Metrics, OpenApi, RecommendAllUsers, RecommendShard, RetrainModel, SimilarMovies, UpsertMovies"
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
        "Dashboard",
        "DashboardData",
        "IngestRatings",
        "RetrainModel",
        "RecommendAllUsers",
        "RecommendShard",
        "GetRecommendations",
        "SimilarMovies",
        "UpsertMovies",
        "OpenApi",
        "Metrics",
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

/// Whether an ASP.NET route template, as the host reads it from function.json,
/// matches `path`. Handles what our routes use: literal segments, `{name}`, and
/// an optional last `{name:regex(^literal$)?}` (the host's way to serve `/`).
fn template_matches(template: &str, path: &str) -> bool {
    let path: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let template: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let mut i = 0;
    for (t, part) in template.iter().enumerate() {
        let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) else {
            if path.get(i) != Some(part) {
                return false;
            }
            i += 1;
            continue;
        };
        let optional = inner.ends_with('?');
        let inner = inner.trim_end_matches('?');
        let literal = inner
            .split_once(":regex(^")
            .map(|(_, rest)| rest.strip_suffix("$)").expect("regex(^literal$) only"));
        match path.get(i) {
            None if optional && t + 1 == template.len() => return true,
            None => return false,
            Some(segment) => {
                if literal.is_some_and(|l| l != *segment) {
                    return false;
                }
                i += 1;
            }
        }
    }
    i == path.len()
}

#[test]
fn route_templates_match_like_the_host_reads_them() {
    let dashboard = "{page:regex(^dashboard$)?}";
    assert!(template_matches(dashboard, "/"));
    assert!(template_matches(dashboard, "/dashboard"));
    assert!(!template_matches(dashboard, "/admin"));
    assert!(!template_matches(dashboard, "/dashboard/summary"));
    assert!(template_matches("dashboard/{view}", "/dashboard/summary"));
    assert!(!template_matches("dashboard/{view}", "/dashboard"));
    assert!(template_matches(
        "recommendations/{user}",
        "/recommendations/42"
    ));
    assert!(!template_matches(
        "recommendations/{user}",
        "/recommendations"
    ));
}

/// Every HTTP function's route, as function.json declares it, reaches a
/// handler of the app (the host forwards the request path unchanged), and
/// every path a user is told about belongs to exactly one function.
#[test]
fn every_http_route_in_function_json_is_served() {
    let paths = [
        "/",
        "/dashboard",
        "/dashboard/summary",
        "/dashboard/ratings",
        "/dashboard/recommended",
        "/dashboard/models",
        "/dashboard/user?user=1",
        "/recommendations/1",
        "/movies/1/similar",
        "/openapi.json",
        "/metrics",
    ];
    let mut routes = Vec::new();
    for entry in std::fs::read_dir(root().join("functions")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let f = read_json(&format!("functions/{name}/function.json"));
        let trigger = &f["bindings"][0];
        if trigger["type"] == "httpTrigger" {
            let methods: Vec<String> = trigger["methods"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_string())
                .collect();
            routes.push((
                name,
                trigger["route"].as_str().unwrap().to_string(),
                methods,
            ));
        }
    }
    assert_eq!(routes.len(), 7, "{routes:?}");
    let owners_of = |method: &str, path: &str| -> Vec<String> {
        let bare = path.split('?').next().unwrap();
        routes
            .iter()
            .filter(|(_, route, methods)| {
                template_matches(route, bare) && methods.iter().any(|m| m == method)
            })
            .map(|(name, _, _)| name.clone())
            .collect()
    };
    for path in paths {
        let owners = owners_of("get", path);
        assert_eq!(owners.len(), 1, "GET {path} is routed to {owners:?}");
    }
    assert_eq!(owners_of("post", "/movies"), ["UpsertMovies"]);
    let store = tempfile::tempdir().unwrap();
    let serve = start_serve(store.path(), &[("MOVIEREC_BOOTSTRAP", "false")]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for path in paths {
        let status = runtime.block_on(async {
            reqwest::get(format!("{}{path}", serve.url))
                .await
                .unwrap()
                .status()
                .as_u16()
        });
        // an empty store: pages answer 200, recommendations 503, never 404/405
        assert!(![404, 405].contains(&status), "GET {path}: {status}");
    }
}
