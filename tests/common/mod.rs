//! Helpers shared by the end-to-end tests (each `tests/*.rs` file includes
//! this with `mod common;`) and uses part of it.
#![allow(dead_code)]

use assert_cmd::Command;

/// The veracity binary, isolated from the caller's `VERACITY_MODEL_DIR` and
/// `VERACITY_OFFLINE`, on 2 CPU threads (the machine CI runs on).
pub fn veracity() -> Command {
    let mut c = Command::cargo_bin("veracity").expect("the veracity binary is built by cargo test");
    c.env_remove("VERACITY_MODEL_DIR")
        .env_remove("VERACITY_OFFLINE")
        .env("VERACITY_THREADS", "2");
    c
}

/// Where two JSON values differ, as `path: left vs right` lines; numbers
/// within `tol` of each other count as equal (CPUs with and without AVX-512
/// round the last float digits differently), everything else must match.
pub fn json_differences(a: &serde_json::Value, b: &serde_json::Value, tol: f64) -> Vec<String> {
    use serde_json::Value;
    fn walk(a: &Value, b: &Value, tol: f64, at: String, out: &mut Vec<String>) {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                if (x - y).abs() > tol {
                    out.push(format!("{at}: {x} vs {y}"));
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (x, y)) in x.iter().zip(y).enumerate() {
                    walk(x, y, tol, format!("{at}[{i}]"), out);
                }
            }
            (Value::Object(x), Value::Object(y))
                if x.keys().collect::<Vec<_>>() == y.keys().collect::<Vec<_>>() =>
            {
                for (k, v) in x {
                    walk(v, &y[k], tol, format!("{at}.{k}"), out);
                }
            }
            _ if a == b => {}
            _ => out.push(format!("{at}: {a} vs {b}")),
        }
    }
    let mut out = Vec::new();
    walk(a, b, tol, String::new(), &mut out);
    out
}

/// The veracity binary as a `std::process::Command` (to spawn it and talk to
/// its pipes), with the same environment as [`veracity`].
pub fn veracity_process() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_veracity"));
    c.env_remove("VERACITY_MODEL_DIR")
        .env_remove("VERACITY_OFFLINE")
        .env("VERACITY_THREADS", "2");
    c
}

/// Run `cmd` with its standard output closed before it writes anything (a
/// reader such as `head` that went away); its exit status and standard error.
pub fn with_stdout_closed(mut cmd: std::process::Command) -> (std::process::ExitStatus, String) {
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the veracity binary starts");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("the child exits");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Wait for `child` at most `secs` seconds; kill it and return `None` when
/// it is still running then.
pub fn wait_at_most(
    child: &mut std::process::Child,
    secs: u64,
) -> Option<std::process::ExitStatus> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < until {
        if let Some(s) = child.try_wait().expect("the child can be waited on") {
            return Some(s);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}
