//! Progress bars on stderr: the only module that knows about indicatif. The library reports
//! progress through [`cirrhosim::engine::Progress`].

use cirrhosim::engine::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar (hidden with `--quiet` or when stderr is not a terminal).
pub fn bar(quiet: bool, template: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(0);
        b.set_style(ProgressStyle::with_template(template).expect("valid template").progress_chars("=> "));
        b
    }
}

/// The library's progress callback drawn as a bar.
pub struct Bar(pub ProgressBar);

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn advance(&self, done: u64) {
        self.0.inc(done);
    }
}
