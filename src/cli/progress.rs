//! Progress of long runs on stderr: the only module that knows about indicatif. The library
//! reports progress through [`cirrhosim::engine::Progress`]; a [`Reporter`] shows it:
//!
//! - stderr is a terminal: a bar with the count and the time left;
//! - stderr is a file or a pipe (logs, Slurm): a plain line at most every
//!   [`LINE_INTERVAL`], e.g. `psa: 1200/5000 draws (24%), 12 s`, and a last line at the end if
//!   any was printed;
//! - `--quiet`: nothing.

use cirrhosim::engine::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Time between two plain progress lines.
pub const LINE_INTERVAL: Duration = Duration::from_secs(5);

/// Shows the progress of one long run (see the module documentation).
pub struct Reporter {
    show: Show,
}

enum Show {
    Nothing,
    Bar(ProgressBar),
    Lines(Lines),
}

impl Reporter {
    /// A reporter for `command` counting `unit` (e.g. `"psa"`, `"draws"`), chosen by `quiet` and
    /// whether stderr is a terminal.
    pub fn new(quiet: bool, command: &'static str, unit: &'static str) -> Self {
        let show = if quiet {
            Show::Nothing
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(0);
            let template = format!("{{spinner}} {command} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{eta}})");
            bar.set_style(ProgressStyle::with_template(&template).expect("valid template").progress_chars("=> "));
            Show::Bar(bar)
        } else {
            Show::Lines(Lines::new(command, unit, LINE_INTERVAL, Box::new(std::io::stderr())))
        };
        Reporter { show }
    }

    /// Ends the display: clears the bar, or prints the last line if lines were printed.
    pub fn finish(&self) {
        match &self.show {
            Show::Nothing => {}
            Show::Bar(bar) => bar.finish_and_clear(),
            Show::Lines(lines) => lines.finish(),
        }
    }
}

impl Progress for Reporter {
    fn start(&self, total: u64) {
        match &self.show {
            Show::Nothing => {}
            Show::Bar(bar) => bar.set_length(total),
            Show::Lines(lines) => lines.total.store(total, Ordering::Relaxed),
        }
    }

    fn advance(&self, done: u64) {
        match &self.show {
            Show::Nothing => {}
            Show::Bar(bar) => bar.inc(done),
            Show::Lines(lines) => lines.advance(done),
        }
    }
}

/// Plain progress lines, at most one per `interval`. Called from worker threads: the count is
/// atomic and the writer behind a lock that a busy thread skips rather than waits for.
struct Lines {
    command: &'static str,
    unit: &'static str,
    interval: Duration,
    started: Instant,
    total: AtomicU64,
    done: AtomicU64,
    /// When the last line was printed (`None`: not yet), and where lines go.
    out: Mutex<(Option<Instant>, Box<dyn Write + Send>)>,
}

impl Lines {
    fn new(command: &'static str, unit: &'static str, interval: Duration, out: Box<dyn Write + Send>) -> Self {
        Lines {
            command,
            unit,
            interval,
            started: Instant::now(),
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            out: Mutex::new((None, out)),
        }
    }

    fn advance(&self, done: u64) {
        let done = self.done.fetch_add(done, Ordering::Relaxed) + done;
        let now = Instant::now();
        let Ok(mut out) = self.out.try_lock() else { return };
        let due = out.0.unwrap_or(self.started) + self.interval;
        if now >= due {
            out.0 = Some(now);
            let line = line(self.command, self.unit, done, self.total.load(Ordering::Relaxed), now - self.started);
            let _ = writeln!(out.1, "{line}");
        }
    }

    fn finish(&self) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        if out.0.is_some() {
            let done = self.done.load(Ordering::Relaxed);
            let line = line(self.command, self.unit, done, self.total.load(Ordering::Relaxed), self.started.elapsed());
            let _ = writeln!(out.1, "{line}");
        }
    }
}

/// `psa: 1200/5000 draws (24%), 12 s`.
fn line(command: &str, unit: &str, done: u64, total: u64, elapsed: Duration) -> String {
    let percent = (u128::from(done.min(total)) * 100).checked_div(u128::from(total)).unwrap_or(0);
    format!("{command}: {done}/{total} {unit} ({percent}%), {} s", elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn line_format() {
        assert_eq!(line("psa", "draws", 1200, 5000, Duration::from_millis(12_400)), "psa: 1200/5000 draws (24%), 12 s");
        assert_eq!(line("run", "patient-runs", 0, 0, Duration::ZERO), "run: 0/0 patient-runs (0%), 0 s");
    }

    #[test]
    fn lines_are_spaced_and_end_with_the_total() {
        let buffer = Shared::default();
        let lines = Lines::new("psa", "draws", Duration::ZERO, Box::new(buffer.clone()));
        lines.total.store(4, Ordering::Relaxed);
        for _ in 0..4 {
            lines.advance(1);
        }
        lines.finish();
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let got: Vec<&str> = text.lines().map(|l| l.split(", ").next().unwrap()).collect();
        assert_eq!(
            got,
            [
                "psa: 1/4 draws (25%)",
                "psa: 2/4 draws (50%)",
                "psa: 3/4 draws (75%)",
                "psa: 4/4 draws (100%)",
                "psa: 4/4 draws (100%)"
            ]
        );

        // A long interval prints nothing, not even at the end.
        let quiet = Shared::default();
        let lines = Lines::new("psa", "draws", Duration::from_secs(3600), Box::new(quiet.clone()));
        lines.advance(1);
        lines.finish();
        assert!(quiet.0.lock().unwrap().is_empty());
    }
}
