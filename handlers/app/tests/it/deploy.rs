//! infra/deploy.sh's logic, with `az` stubbed on PATH (no subscription can be
//! reached here): a region without Flex Consumption is refused before
//! anything is created; a publish that fails with 403 while the roles
//! propagate is tried again; a publish that hangs is stopped at its time
//! limit; and the end names the URLs and how to get a key. Then the glibc
//! check infra/package.sh runs on the binary it packages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::root;

/// The stub: answers the calls deploy.sh makes, logs each, and fails or
/// hangs the publish as the STUB_* variables say.
const AZ: &str = r#"#!/usr/bin/env bash
echo "$*" >> "$STUB_LOG"
case "$*" in
  "group exists"*) echo true ;;
  "group show"*) echo "$STUB_GROUP_LOCATION" ;;
  "functionapp list-flexconsumption-locations"*) printf '%s\n' $STUB_FLEX_REGIONS ;;
  "deployment group create"*)
    echo '{"functionAppName":{"value":"mr-app-x1"},"functionAppUrl":{"value":"https://mr-app-x1.azurewebsites.net"},"cosmosEndpoint":{"value":"https://mr-cosmos.documents.azure.com:443/"},"eventHubsNamespace":{"value":"mr-events.servicebus.windows.net"}}' ;;
  "functionapp deployment source config-zip"*)
    n=$(grep -c "config-zip" "$STUB_LOG")
    if [ -n "${STUB_PUBLISH_HANG:-}" ]; then exec sleep 60; fi
    if [ "$n" -le "${STUB_PUBLISH_FAILURES:-0}" ]; then
      echo "ERROR: An error occured during deployment. Status Code: 403, Details: AuthorizationPermissionMismatch" >&2
      exit 1
    fi
    echo '{"status": 4}' ;;
  *) echo "stub az: unexpected call: $*" >&2; exit 3 ;;
esac
"#;

struct Run {
    output: Output,
    calls: Vec<String>,
    took: Duration,
}

impl Run {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    fn publishes(&self) -> usize {
        self.calls
            .iter()
            .filter(|c| c.contains("config-zip"))
            .count()
    }
}

/// Runs deploy.sh for group `rg` with the stub first on PATH and `env`.
fn deploy(env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let az = bin.join("az");
    std::fs::write(&az, AZ).unwrap();
    std::fs::set_permissions(&az, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let zip = dir.path().join("movierec.zip");
    std::fs::write(&zip, b"PK").unwrap();
    let log = dir.path().join("calls");
    std::fs::write(&log, "").unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let started = Instant::now();
    let output = Command::new("bash")
        .arg(root().join("infra/deploy.sh"))
        .arg("rg")
        .env("PATH", path)
        .env("STUB_LOG", &log)
        .env("DEPLOY_ZIP", &zip)
        .env("PUBLISH_RETRY_SECONDS", "0")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    Run {
        output,
        calls,
        took: started.elapsed(),
    }
}

const FLEX: (&str, &str) = ("STUB_FLEX_REGIONS", "eastus northeurope swedencentral");

#[test]
fn a_region_without_flex_consumption_is_refused_before_anything_is_created() {
    let run = deploy(&[FLEX, ("STUB_GROUP_LOCATION", "West Europe")]);
    assert_eq!(run.output.status.code(), Some(1), "{}", run.stderr());
    let err = run.stderr();
    assert!(
        err.contains("region 'West Europe' does not offer Flex Consumption")
            && err.contains("eastus northeurope swedencentral"),
        "{err}"
    );
    assert!(
        !run.calls.iter().any(|c| c.starts_with("deployment")),
        "deployed anyway: {:?}",
        run.calls
    );
}

#[test]
fn a_publish_refused_while_roles_propagate_is_tried_again_and_the_end_says_where_the_app_is() {
    let run = deploy(&[
        FLEX,
        ("STUB_GROUP_LOCATION", "North Europe"),
        ("STUB_PUBLISH_FAILURES", "2"),
    ]);
    assert!(run.output.status.success(), "{}", run.stderr());
    assert_eq!(run.publishes(), 3, "{:?}", run.calls);
    let err = run.stderr();
    assert!(err.contains("Status Code: 403"), "{err}");
    assert!(
        err.contains("publish attempt 1 of 6 failed") && err.contains("attempt 2 of 6"),
        "{err}"
    );
    // the template beside its .bicepparam (the CLI before 2.53 needs both)
    let create = run
        .calls
        .iter()
        .find(|c| c.starts_with("deployment group create"))
        .unwrap();
    assert!(
        create.contains("--template-file infra/main.bicep --parameters infra/main.bicepparam"),
        "{create}"
    );
    // each try bounded: the CLI's own poll too
    assert!(run
        .calls
        .iter()
        .any(|c| c.contains("config-zip") && c.contains("--timeout 570")));
    let out = run.stdout();
    for needle in [
        "deployed mr-app-x1 to northeurope",
        "https://mr-app-x1.azurewebsites.net/recommendations/{user}?code=<key>",
        "https://mr-app-x1.azurewebsites.net/dashboard?code=<key>",
        "az functionapp keys list --resource-group rg --name mr-app-x1 --query functionKeys.default",
    ] {
        assert!(out.contains(needle), "{needle} in:\n{out}");
    }
}

#[test]
fn a_publish_that_keeps_failing_stops_after_its_tries_with_what_to_do() {
    let run = deploy(&[
        FLEX,
        ("STUB_GROUP_LOCATION", "eastus"),
        ("STUB_PUBLISH_FAILURES", "99"),
        ("PUBLISH_TRIES", "3"),
    ]);
    assert_eq!(run.output.status.code(), Some(1));
    assert_eq!(run.publishes(), 3);
    assert!(run.stderr().contains("failed 3 times"), "{}", run.stderr());
    assert!(run
        .stderr()
        .contains("run this script again in a few minutes"));
}

#[test]
fn a_publish_that_hangs_is_stopped_at_its_time_limit() {
    let run = deploy(&[
        FLEX,
        ("STUB_GROUP_LOCATION", "eastus"),
        ("STUB_PUBLISH_HANG", "1"),
        ("PUBLISH_TIMEOUT_SECONDS", "2"),
    ]);
    assert_eq!(run.output.status.code(), Some(1), "{}", run.stderr());
    assert!(run.took < Duration::from_secs(30), "waited {:?}", run.took);
    assert_eq!(run.publishes(), 1, "a hung publish is not retried");
    let err = run.stderr();
    assert!(
        err.contains("took longer than 2 s (PUBLISH_TIMEOUT_SECONDS)"),
        "{err}"
    );
    assert!(err.contains("host may be unhealthy"), "{err}");
}

/// infra/check_glibc.sh on `binary`, with `max` if given.
fn check_glibc(binary: &Path, max: Option<&str>) -> Output {
    let mut command = Command::new("bash");
    command.arg(root().join("infra/check_glibc.sh")).arg(binary);
    command.args(max);
    command.output().unwrap()
}

/// The highest GLIBC_x.y the binary imports, read with objdump.
fn newest_glibc(binary: &Path) -> String {
    let dump = Command::new("objdump")
        .arg("-T")
        .arg(binary)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&dump.stdout);
    let mut versions: Vec<(u32, u32)> = text
        .split("GLIBC_")
        .skip(1)
        .filter_map(|rest| {
            let v: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next().flatten().unwrap_or(0)))
        })
        .collect();
    versions.sort();
    let (major, minor) = versions.last().copied().expect("a glibc-linked binary");
    format!("{major}.{minor}")
}

#[test]
fn the_glibc_check_refuses_a_binary_newer_than_the_hosts_images_and_passes_a_static_one() {
    let app = PathBuf::from(env!("CARGO_BIN_EXE_movierec"));
    let needs = newest_glibc(&app);
    // Against the glibc it was built for: it fits.
    let fits = check_glibc(&app, Some(&needs));
    assert!(
        fits.status.success(),
        "{}",
        String::from_utf8_lossy(&fits.stderr)
    );
    // Against one minor version less: refused, naming what needs more.
    let (major, minor) = needs.split_once('.').unwrap();
    let older = format!("{major}.{}", minor.parse::<u32>().unwrap() - 1);
    let refused = check_glibc(&app, Some(&older));
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains(&format!("needs glibc {needs}")) && err.contains(&format!("(GLIBC_{needs})")),
        "{err}"
    );
    assert!(
        err.contains("x86_64-unknown-linux-musl"),
        "how to fix it: {err}"
    );
    // The default limit is the Functions images' 2.31 (Debian 11).
    let default = check_glibc(&app, None);
    let built_for_more = needs
        .split('.')
        .map(|p| p.parse::<u32>().unwrap())
        .collect::<Vec<_>>()
        > vec![2, 31];
    assert_eq!(
        default.status.success(),
        !built_for_more,
        "built for glibc {needs}"
    );
    // A statically linked program needs no glibc at all.
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("hello.c");
    std::fs::write(&source, "int main(void) { return 0; }\n").unwrap();
    let program = dir.path().join("hello");
    let built = Command::new("gcc")
        .args(["-static", "-o"])
        .arg(&program)
        .arg(&source)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let fine = check_glibc(&program, None);
    assert!(fine.status.success());
    assert!(String::from_utf8_lossy(&fine.stdout).contains("needs no glibc"));
}
