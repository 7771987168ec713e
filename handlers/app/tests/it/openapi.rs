//! The API description (handlers/app/openapi.json) cannot drift from the app:
//! it is a valid OpenAPI 3 document (Python's `openapi-spec-validator`, as
//! .ci/run installs it), it names exactly the HTTP routes of functions/ (and
//! the standalone-only ones, marked `x-standalone-only`) with the query
//! parameters the code reads, and every route answers a real request on the
//! bundled data with a status the document lists and a body its schema
//! accepts (required fields, no fields it does not describe, types).

use std::collections::BTreeSet;
use std::process::Command;

use crate::common::*;
use serde_json::{json, Value};

fn document() -> Value {
    serde_json::from_str(movierec::http::OPENAPI_DOCUMENT).expect("openapi.json is JSON")
}

fn read_json(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(rel)).unwrap()).unwrap()
}

#[test]
fn the_document_is_valid_openapi_3() {
    let python = root().join(".venv/bin/python");
    let have = Command::new(&python)
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        missing_peer::<()>(
            "MOVIEREC_REQUIRE_OPENAPI_VALIDATOR",
            "no openapi-spec-validator in .venv (run .ci/run, or pip install -r tools/requirements-test.txt)",
        );
        return;
    }
    let out = Command::new(&python)
        .args([
            "-c",
            "import json, sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('valid')",
        ])
        .arg(root().join("handlers/app/openapi.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "valid");
}

/// The OpenAPI paths a function.json route template stands for.
fn openapi_paths(template: &str) -> Vec<String> {
    if template == "{page:regex(^dashboard$)?}" {
        return vec!["/".into(), "/dashboard".into()];
    }
    vec![format!("/{template}")]
}

#[test]
fn the_document_names_every_route_and_the_parameters_the_code_reads() {
    let doc = document();
    let mut described = BTreeSet::new();
    let mut standalone_only = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let route = (method.to_uppercase(), path.clone());
            if operation["x-standalone-only"] == true {
                standalone_only.insert(route);
            } else {
                described.insert(route);
            }
        }
    }
    let mut declared = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("functions")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let trigger = read_json(&format!("functions/{name}/function.json"))["bindings"][0].clone();
        if trigger["type"] != "httpTrigger" {
            continue;
        }
        for path in openapi_paths(trigger["route"].as_str().unwrap()) {
            for method in trigger["methods"].as_array().unwrap() {
                let method = method.as_str().unwrap().to_uppercase();
                let operation = &doc["paths"][&path][method.to_lowercase()];
                if path != "/dashboard" {
                    assert_eq!(operation["operationId"], name.as_str(), "{method} {path}");
                }
                declared.insert((method, path.clone()));
            }
        }
    }
    assert_eq!(described, declared, "the document and functions/ disagree");
    assert_eq!(
        standalone_only,
        BTreeSet::from([
            ("GET".to_string(), "/healthz".to_string()),
            ("POST".to_string(), "/events".to_string())
        ])
    );

    let names = |path: &str| -> BTreeSet<String> {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let p = match p.get("$ref") {
                    Some(r) => {
                        let name = r.as_str().unwrap().rsplit('/').next().unwrap();
                        doc["components"]["parameters"][name].clone()
                    }
                    None => p.clone(),
                };
                p["name"].as_str().unwrap().to_string()
            })
            .collect()
    };
    let mut code_reads: BTreeSet<String> = movierec::serving::filters::PARAMETERS
        .iter()
        .map(|s| s.to_string())
        .collect();
    code_reads.insert("user".into());
    assert_eq!(names("/recommendations/{user}"), code_reads);
    assert_eq!(
        names("/movies/{movie}/similar"),
        BTreeSet::from(["movie".into(), "n".into(), "code".into()])
    );
}

/// `value` against `schema` (the subset of OpenAPI 3.0 schemas the document
/// uses); the first mismatch, by JSON path.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        return check(doc, &doc["components"]["schemas"][name], value, at);
    }
    if value.is_null() {
        return if schema["nullable"] == true {
            Ok(())
        } else {
            Err(format!("{at}: null where the document says not nullable"))
        };
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            check(doc, s, value, at)?;
        }
    }
    if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
        if !one.iter().any(|s| check(doc, s, value, at).is_ok()) {
            return Err(format!("{at}: matches none of oneOf"));
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        if !values.contains(value) {
            return Err(format!("{at}: {value} is not one of {values:?}"));
        }
    }
    let fits = match schema["type"].as_str() {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some(other) => return Err(format!("{at}: type {other} is not checked here")),
    };
    if !fits {
        return Err(format!("{at}: {value} is not of type {}", schema["type"]));
    }
    if let (Some(object), Some(properties)) = (value.as_object(), schema["properties"].as_object())
    {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !object.contains_key(name) {
                return Err(format!("{at}: required field {name} is missing"));
            }
        }
        for (name, field) in object {
            match properties.get(name) {
                Some(s) => check(doc, s, field, &format!("{at}.{name}"))?,
                None if schema["additionalProperties"] == false => {
                    return Err(format!("{at}: field {name} is not in the document"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(schema)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(doc, schema, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Checks a live answer against the document's response for its status.
fn conforms(doc: &Value, method: &str, path: &str, status: u16, content_type: &str, body: &str) {
    let responses = &doc["paths"][path][method]["responses"];
    let response = &responses[status.to_string()];
    assert!(
        response.is_object(),
        "{method} {path} answered {status}, which the document does not list: {body}"
    );
    let media = content_type.split(';').next().unwrap().trim();
    let schema = &response["content"][media]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {status}: the document has no {media} answer"
    );
    if media == "application/json" {
        let value: Value = serde_json::from_str(body).unwrap();
        if let Err(e) = check(doc, schema, &value, "$") {
            panic!("{method} {path} {status}: {e}\n{body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_as_the_document_describes() {
    let store = tempfile::tempdir().unwrap();
    let serve = start_serve(
        store.path(),
        &[
            ("MOVIEREC_RANKING_RANK", "16"),
            ("MOVIEREC_RANKING_ITERATIONS", "5"),
            ("MOVIEREC_RANKING_TUNE", "false"),
            ("MOVIEREC_RANK", "8"),
            ("MOVIEREC_ITERATIONS", "5"),
        ],
    );
    let doc = document();
    let http = reqwest::Client::new();

    let served = http
        .get(format!("{}/openapi.json", serve.url))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    let served: Value = served.json().await.unwrap();
    assert_eq!(
        served, doc,
        "GET /openapi.json serves the checked-in document"
    );

    // (document path, request path and query), each answered once.
    let gets = [
        ("/recommendations/{user}", "/recommendations/1"),
        (
            "/recommendations/{user}",
            "/recommendations/1?n=5&offset=5&genre=Comedy,Drama&exclude=1,2",
        ),
        ("/recommendations/{user}", "/recommendations/99999"),
        (
            "/recommendations/{user}",
            "/recommendations/1?genre=NoSuchGenre",
        ),
        ("/recommendations/{user}", "/recommendations/1?offset=-1"),
        ("/movies/{movie}/similar", "/movies/1/similar?n=5"),
        ("/movies/{movie}/similar", "/movies/424242/similar"),
        ("/movies/{movie}/similar", "/movies/1/similar?n=0"),
        ("/", "/"),
        ("/dashboard", "/dashboard?user=1&n=5"),
        ("/dashboard/{view}", "/dashboard/summary"),
        ("/dashboard/{view}", "/dashboard/ratings?days=30"),
        ("/dashboard/{view}", "/dashboard/recommended?n=5"),
        ("/dashboard/{view}", "/dashboard/models"),
        ("/dashboard/{view}", "/dashboard/user?user=1&n=5&limit=3"),
        ("/dashboard/{view}", "/dashboard/online"),
        ("/dashboard/{view}", "/dashboard/nope"),
        ("/openapi.json", "/openapi.json"),
        ("/healthz", "/healthz"),
        ("/metrics", "/metrics"),
    ];
    let mut answered = BTreeSet::new();
    for (path, request) in gets {
        let r = http
            .get(format!("{}{request}", serve.url))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
        let body = r.text().await.unwrap();
        conforms(&doc, "get", path, status, &content_type, &body);
        answered.insert(("get".to_string(), path.to_string(), status));
    }
    for (path, status) in [
        ("/recommendations/{user}", 200),
        ("/recommendations/{user}", 400),
        ("/movies/{movie}/similar", 200),
        ("/movies/{movie}/similar", 404),
        ("/movies/{movie}/similar", 400),
        ("/dashboard/{view}", 404),
    ] {
        assert!(
            answered.contains(&("get".to_string(), path.to_string(), status)),
            "no request of GET {path} answered {status}: {answered:?}"
        );
    }

    let posts = [
        (
            "/movies",
            json!([{"movie_id": 1, "genres": ["Comedy"]}, {"movie_id": 1_000_001}]),
        ),
        ("/movies", json!({"movie_id": 1})),
        (
            "/events",
            json!({"UserId": 1, "MovieId": 31, "Rating": 2.5, "Timestamp": 1_523_000_000}),
        ),
    ];
    for (path, body) in posts {
        let r = http
            .post(format!("{}{path}", serve.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
        let text = r.text().await.unwrap();
        conforms(&doc, "post", path, status, &content_type, &text);
    }
}
