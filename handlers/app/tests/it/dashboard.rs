//! The dashboard as its users meet it: `movierec serve` on 127.0.0.1 with the
//! bundled data, the page fetched over HTTP, then opened in Debian's chromium
//! (headless, driven by testsupport/browser/dashboard.mjs with playwright-core).
//!
//! The browser part needs /usr/bin/chromium (or `CHROMIUM`), Node.js and
//! `npm ci` in testsupport/browser; without them it skips with a message,
//! unless `MOVIEREC_REQUIRE_BROWSER=1` (CI), where that is a failure.
//! Screenshots are kept in `target/tmp/dashboard/` as the run's artefacts.

use std::path::PathBuf;
use std::process::Command;

use crate::common::*;

/// The whole page must stay under this (issue: under 300 KB).
const PAGE_BUDGET: usize = 300 * 1024;

fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let script = root().join("testsupport/browser/dashboard.mjs");
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !chromium.is_file() {
        return missing_peer(
            "MOVIEREC_REQUIRE_BROWSER",
            &format!(
                "no browser at {} (apt install chromium, or set CHROMIUM)",
                chromium.display()
            ),
        );
    }
    if !node_ok
        || !root()
            .join("testsupport/browser/node_modules/playwright-core")
            .is_dir()
    {
        return missing_peer(
            "MOVIEREC_REQUIRE_BROWSER",
            "no Node.js or no playwright-core (run `npm ci` in testsupport/browser)",
        );
    }
    Some((chromium, script))
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_renders_and_follows_the_chosen_user_in_a_browser() {
    let store = tempfile::tempdir().unwrap();
    let serve = start_serve(store.path(), &[]);

    // Over plain HTTP: the heaviest user with the longest list stays in budget,
    // and the page asks for nothing beyond itself.
    let (status, html) = get(&format!("{}/dashboard?user=414&n=100", serve.url)).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.len() < PAGE_BUDGET,
        "the page for user 414 with n=100 is {} bytes",
        html.len()
    );
    for outside in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
        "<script",
    ] {
        assert!(
            !html.contains(outside),
            "the page must work offline and script-free, found {outside:?}"
        );
    }
    // Each listed movie links to the movies like it, and that link answers;
    // each recommendation says which of the user's movies it comes from.
    let (_, list) = get(&format!("{}/recommendations/414?n=100", serve.url)).await;
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let first = &list["items"][0];
    let link = format!("href=\"/movies/{}/similar\"", first["movie_id"]);
    assert!(html.contains(&link), "no {link} on the page");
    assert!(html.contains("Because you rated"));
    let because = first["because"]["title"]
        .as_str()
        .expect("a reason for user 414's first item");
    assert!(
        html.contains(&format!("<td class=\"because\">{because}</td>")) || because.contains('&'),
        "{because}"
    );
    let (status, similar) = get(&format!(
        "{}/movies/{}/similar",
        serve.url, first["movie_id"]
    ))
    .await;
    assert_eq!(status, 200, "{similar}");
    let (status, root_page) = get(&format!("{}/", serve.url)).await;
    assert_eq!(status, 200);
    assert!(
        root_page.contains("Ratings by user"),
        "/ serves the dashboard"
    );

    let Some((chromium, script)) = browser() else {
        return;
    };
    let artefacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    let out = Command::new("node")
        .arg(&script)
        .arg(&serve.url)
        .arg(&artefacts)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("the script's report");
    eprintln!(
        "dashboard in chromium: {} (screenshots in {})",
        report["first_load"],
        artefacts.display()
    );
    assert!(report["failures"].as_array().unwrap().is_empty());
    assert!(
        report["first_load"]["first_contentful_paint_ms"]
            .as_f64()
            .unwrap()
            < 1000.0
    );
    assert!(report["first_load"]["html_bytes"].as_u64().unwrap() < PAGE_BUDGET as u64);
    assert_eq!(report["new_user"]["source"], "popular");
    for shot in ["dashboard.png", "dashboard-phone.png"] {
        let bytes = std::fs::metadata(artefacts.join(shot)).unwrap().len();
        assert!(bytes > 10_000, "{shot} is {bytes} bytes");
    }
}
