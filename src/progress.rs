//! Progress bars on standard error, hidden when it is not a terminal: for
//! the long jobs (indexing, evaluation, training) and the command line.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A counting bar with rate and ETA; invisible unless stderr is a terminal.
pub fn bar(len: u64, what: &str, unit: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {what} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb
}
