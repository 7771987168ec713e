//! A stopped retrain stops computing: cancelled by SIGTERM, by a lost lease or
//! by its caller, the process uses no more CPU within a second, as
//! `/proc/<pid>/stat` counts it.
//!
//! Each case runs in a process of its own, so that nothing else counts: SIGTERM
//! against `movierec serve` training in its bootstrap; the lease and the caller
//! in this test binary run again on [`stopped_retrain_in_its_own_process`]
//! alone, which trains in-process, stops the job and waits idle while the
//! parent watches its CPU time.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use movierec::jobs::{Job, JobError, JobStopped};
use movierec::settings::Settings;
use movierec::standalone::bootstrap::import_movielens;
use movierec::state::AppState;
use movierec_store::{SqliteStore, Store};
use tokio_util::sync::CancellationToken;

/// Iterations enough for minutes of training: only a working cancel ends it.
const LONG_TRAINING: &str = "100000";
/// The child's line when it stopped the job (what the parent times from).
const STOPPED: &str = "JOB STOPPED";
/// How the parent tells the child which case to run.
const CASE: &str = "MOVIEREC_CANCEL_CASE";

#[test]
fn a_retrain_stopped_by_sigterm_stops_computing_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_movierec"))
        .args(["serve", "--port", "0"])
        .current_dir(crate::common::root())
        .env("MOVIEREC_STORE", dir.path())
        .env("MOVIEREC_RANKING_ITERATIONS", LONG_TRAINING)
        .env("MOVIEREC_RANKING_TUNE", "false")
        .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = lines_of(server.stderr.take().unwrap());
    // The bootstrap imports the bundled ratings, then trains on them.
    wait_for_line(&lines, "imported", Duration::from_secs(120));
    let pid = server.id();
    wait_until_busy(pid);
    let sent = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let stopped = idle_or_gone_within_a_second(pid, sent, &mut server);
    assert!(stopped.is_ok(), "after SIGTERM: {}", stopped.unwrap_err());
    let status = server.wait().unwrap();
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

#[test]
fn a_retrain_that_loses_its_lease_stops_computing_within_a_second() {
    run_case("lease");
}

#[test]
fn a_retrain_cancelled_by_its_caller_stops_computing_within_a_second() {
    run_case("caller");
}

/// Runs the child for `case`, then checks that it computed before the job
/// stopped and not a second after.
fn run_case(case: &str) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "cancel::stopped_retrain_in_its_own_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CASE, case)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let lines = lines_of(child.stdout.take().unwrap());
    let pid = child.id();
    wait_for_line(&lines, "TRAINING", Duration::from_secs(120));
    wait_until_busy(pid);
    let line = wait_for_line(&lines, STOPPED, Duration::from_secs(30));
    let stopped = idle_or_gone_within_a_second(pid, Instant::now(), &mut child);
    // A child whose training goes on would not exit: its runtime waits for it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        match child.try_wait().unwrap() {
            Some(status) => break Some(status),
            None if Instant::now() > deadline => break None,
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(stopped.is_ok(), "{case}: {line}: {}", stopped.unwrap_err());
    let status = status.expect("the child exits once its job stopped");
    assert!(status.success(), "{case}: the child failed: {status}");
}

/// The child of [`run_case`]: trains on the bundled ratings with a short
/// lease, stops the job as `MOVIEREC_CANCEL_CASE` says, then idles while
/// the parent measures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child process of the lease and caller cases above, which run it"]
async fn stopped_retrain_in_its_own_process() {
    let case = std::env::var(CASE).expect("run by run_case");
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let mut settings = Settings::for_tests(dir.path().to_path_buf());
    settings.ranking_tune = false;
    settings.ranking_params.iterations = LONG_TRAINING.parse().unwrap();
    settings.limits.job_lease = Duration::from_secs(3);
    let state = AppState::new(settings, store);
    import_movielens(&state, &crate::common::root().join("data/ml-latest-small"))
        .await
        .unwrap();
    let caller = CancellationToken::new();
    let job = tokio::spawn({
        let (state, caller) = (state.clone(), caller.clone());
        async move { Job::Retrain.run_until(&state, caller).await }
    });
    println!("TRAINING");
    tokio::time::sleep(Duration::from_secs(2)).await;
    match case.as_str() {
        "caller" => caller.cancel(),
        "lease" => steal_the_lease(dir.path()),
        other => panic!("unknown case {other}"),
    }
    let error = job.await.unwrap().expect_err("the job was stopped");
    let expected = match case.as_str() {
        "caller" => matches!(
            error,
            JobError::Stopped {
                reason: JobStopped::CallerCancelled,
                ..
            }
        ),
        _ => matches!(
            error,
            JobError::Stopped {
                reason: JobStopped::LeaseLost(_),
                ..
            }
        ),
    };
    assert!(expected, "{case}: stopped with {error:#}");
    println!("{STOPPED}: {error}");
    // Idle while the parent measures; the job's training must not go on.
    tokio::time::sleep(Duration::from_secs(4)).await;
}

/// Another holder takes the job lease, as an instance would after this one
/// stalled past its time to live.
fn steal_the_lease(store_dir: &Path) {
    let conn = rusqlite::Connection::open(store_dir.join(movierec_store::sqlite::DB_FILE)).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let changed = conn
        .execute(
            "UPDATE leases SET holder = 'another instance', expires_at = expires_at + 600",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1, "the running job holds one lease");
}

/// The lines `from` writes, as they come.
fn lines_of(from: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// Blocks until a line containing `needle` arrives; returns it.
fn wait_for_line(
    lines: &std::sync::mpsc::Receiver<String>,
    needle: &str,
    within: Duration,
) -> String {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return line,
            Ok(_) => {}
            Err(e) => panic!("no line with {needle:?} within {within:?}: {e}"),
        }
    }
}

/// The process's CPU time so far (user and system), or `None` once it is gone.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    let ticks: u64 = fields[11].parse::<u64>().ok()? + fields[12].parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_second(),
    ))
}

/// `getconf CLK_TCK`, asked once: not a process spawned per reading.
fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        let out = Command::new("getconf").arg("CLK_TCK").output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    })
}

/// Waits until `pid` uses at least half a core over half a second (it is
/// training), so that a stop measured after it is a change.
fn wait_until_busy(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let before = cpu_time(pid).expect("the process is running");
        std::thread::sleep(Duration::from_millis(500));
        let used = cpu_time(pid).expect("the process is running") - before;
        if used >= Duration::from_millis(250) {
            return;
        }
    }
    panic!("process {pid} never got busy: it is not training");
}

/// CPU a stopped process may still use in the second after the first: an
/// idle runtime's timers, and a slow reader of `/proc`.
const IDLE: Duration = Duration::from_millis(50);

/// Ok when, one second after `from`, `pid` is gone or uses at most [`IDLE`]
/// of CPU over the next second.
fn idle_or_gone_within_a_second(pid: u32, from: Instant, child: &mut Child) -> Result<(), String> {
    std::thread::sleep((from + Duration::from_secs(1)).saturating_duration_since(Instant::now()));
    if child.try_wait().unwrap().is_some() {
        return Ok(());
    }
    let Some(before) = cpu_time(pid) else {
        return Ok(());
    };
    std::thread::sleep(Duration::from_secs(1));
    let Some(after) = cpu_time(pid) else {
        return Ok(());
    };
    let used = after - before;
    if used <= IDLE {
        Ok(())
    } else {
        Err(format!(
            "it used {used:?} of CPU in the second after the first (at most {IDLE:?})"
        ))
    }
}
