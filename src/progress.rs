//! Progress bars on standard error, hidden when it is not a terminal: for
//! the long jobs (indexing, evaluation, training) and the command line.

use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::archive::{ScoreProgress, ScoreSummary};

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

/// The progress bar of an `archive score` run: articles done (of the total when known),
/// rate, ETA, and the skipped and failed counts.
pub struct ScoreBar {
    bar: Mutex<ProgressBar>,
}

impl ScoreBar {
    pub fn new() -> Self {
        ScoreBar {
            bar: Mutex::new(ProgressBar::hidden()),
        }
    }

    /// Take the bar off the terminal (before the closing summary).
    pub fn finish(&self) {
        self.bar.lock().expect("progress lock").finish_and_clear();
    }
}

impl Default for ScoreBar {
    fn default() -> Self {
        Self::new()
    }
}

impl ScoreProgress for ScoreBar {
    fn phase(&self, name: &str, total: Option<u64>) {
        let mut b = self.bar.lock().expect("progress lock");
        if name != "scoring" {
            if b.is_hidden() {
                *b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                b.set_style(
                    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                b.enable_steady_tick(std::time::Duration::from_millis(200));
            }
            b.set_message(name.to_string());
            return;
        }
        b.finish_and_clear();
        *b = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        let template = if total.is_some() {
            "{spinner} scoring [{bar:30}] {pos}/{len} articles ({per_sec}, eta {eta}) {msg}"
        } else {
            "{spinner} scoring {pos} articles ({per_sec}, {elapsed}) {msg}"
        };
        b.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
    }

    fn update(&self, s: &ScoreSummary) {
        let b = self.bar.lock().expect("progress lock");
        b.set_position(s.read);
        b.set_message(format!(
            "{} scored, {} unchanged, {} failed",
            s.scored, s.unchanged, s.failed
        ));
    }

    fn note(&self, line: &str) {
        let b = self.bar.lock().expect("progress lock");
        b.suspend(|| eprintln!("{line}"));
    }
}
