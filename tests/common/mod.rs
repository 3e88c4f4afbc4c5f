//! Helpers shared by the end-to-end tests (each `tests/*.rs` file includes
//! this with `mod common;`).

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
