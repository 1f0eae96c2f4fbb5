//! Apply progress for people: a live view with one line per resource on a TTY (spinner, action,
//! elapsed time, state), one plain line per event otherwise (CI logs).

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::apply::{ApplyEvent, ApplyObserver};
use crate::model::ResourceId;
use crate::plan::Action;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Picks the live view on a TTY (stderr) and plain lines elsewhere.
pub fn observer() -> Arc<dyn ApplyObserverExt> {
    if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
        LiveView::start()
    } else {
        Arc::new(PlainLog)
    }
}

/// An observer the CLI can also stop (to draw the final frame).
pub trait ApplyObserverExt: ApplyObserver {
    fn finish(&self) {}
}

pub fn verb(action: Action) -> &'static str {
    match action {
        Action::NoOp => "no-op",
        Action::Create => "creating",
        Action::Update => "updating",
        Action::Replace => "replacing",
        Action::Delete => "deleting",
        Action::Start => "starting",
        Action::Stop => "stopping",
        Action::Submit => "submitting",
        Action::Cancel => "canceling",
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// One line per event, for logs.
struct PlainLog;

impl ApplyObserver for PlainLog {
    fn event(&self, event: ApplyEvent) {
        let line = match event {
            ApplyEvent::Started { address, action } => format!("{address}: {}...", verb(action)),
            ApplyEvent::Progress { address, message } => format!("{address}: {message}"),
            ApplyEvent::Succeeded {
                address,
                actions,
                elapsed,
            } => {
                let what: Vec<&str> = actions.iter().map(|a| done_word(*a)).collect();
                format!("{address}: {} after {}", what.join(", "), secs(elapsed))
            }
            ApplyEvent::Failed {
                address,
                error,
                elapsed,
            } => {
                format!("{address}: FAILED after {}: {error}", secs(elapsed))
            }
            ApplyEvent::Skipped { address, because } => {
                format!("{address}: skipped because {because} failed")
            }
            ApplyEvent::NotStarted { address } => format!("{address}: not started (interrupted)"),
            ApplyEvent::NotApplied { address, fields } => format!(
                "{address}: WARNING the service accepted but did not apply: {}",
                fields.join(", ")
            ),
        };
        eprintln!("{line}");
    }
}

impl ApplyObserverExt for PlainLog {}

pub fn done_word(action: Action) -> &'static str {
    match action {
        Action::NoOp => "unchanged",
        Action::Create => "created",
        Action::Update => "updated",
        Action::Replace => "replaced",
        Action::Delete => "deleted",
        Action::Start => "started",
        Action::Stop => "stopped",
        Action::Submit => "submitted",
        Action::Cancel => "canceled",
    }
}

#[derive(Clone)]
struct Row {
    address: ResourceId,
    state: String,
    started: Instant,
    finished: Option<Duration>,
    ok: Option<bool>,
}

struct ViewState {
    rows: Vec<Row>,
    drawn: usize,
    tick: usize,
    stopped: bool,
}

/// Redraws all rows in place every 100 ms.
struct LiveView {
    state: Mutex<ViewState>,
}

impl LiveView {
    fn start() -> Arc<dyn ApplyObserverExt> {
        let view = Arc::new(LiveView {
            state: Mutex::new(ViewState {
                rows: Vec::new(),
                drawn: 0,
                tick: 0,
                stopped: false,
            }),
        });
        let ticker = view.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(100));
                if !ticker.redraw() {
                    break;
                }
            }
        });
        view
    }

    /// Draws a frame; false once stopped.
    fn redraw(&self) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        if s.stopped {
            return false;
        }
        s.tick += 1;
        draw(&mut s);
        true
    }

    fn update(&self, address: &ResourceId, f: impl FnOnce(&mut Row)) {
        let Ok(mut s) = self.state.lock() else { return };
        if let Some(row) = s.rows.iter_mut().find(|r| &r.address == address) {
            f(row);
        } else {
            let mut row = Row {
                address: address.clone(),
                state: String::new(),
                started: Instant::now(),
                finished: None,
                ok: None,
            };
            f(&mut row);
            s.rows.push(row);
        }
    }
}

fn draw(s: &mut ViewState) {
    let mut out = std::io::stderr().lock();
    if s.drawn > 0 {
        let _ = write!(out, "\x1b[{}A", s.drawn);
    }
    for row in &s.rows {
        let (mark, elapsed) = match (row.ok, row.finished) {
            (Some(true), Some(d)) => ("\x1b[32m✔\x1b[0m".to_owned(), d),
            (Some(false), Some(d)) => ("\x1b[31m✘\x1b[0m".to_owned(), d),
            _ => (
                SPINNER[s.tick % SPINNER.len()].to_owned(),
                row.started.elapsed(),
            ),
        };
        let _ = writeln!(
            out,
            "\x1b[2K{mark} {:<40} {:>7}  {}",
            row.address.to_string(),
            secs(elapsed),
            row.state
        );
    }
    s.drawn = s.rows.len();
    let _ = out.flush();
}

impl ApplyObserver for LiveView {
    fn event(&self, event: ApplyEvent) {
        match event {
            ApplyEvent::Started { address, action } => {
                self.update(&address, |r| r.state = format!("{}...", verb(action)))
            }
            ApplyEvent::Progress { address, message } => {
                self.update(&address, |r| r.state = message)
            }
            ApplyEvent::Succeeded {
                address,
                actions,
                elapsed,
            } => self.update(&address, |r| {
                let what: Vec<&str> = actions.iter().map(|a| done_word(*a)).collect();
                r.state = what.join(", ");
                r.finished = Some(elapsed);
                r.ok = Some(true);
            }),
            ApplyEvent::Failed {
                address,
                error,
                elapsed,
            } => self.update(&address, |r| {
                r.state = format!("failed: {error}");
                r.finished = Some(elapsed);
                r.ok = Some(false);
            }),
            ApplyEvent::Skipped { address, because } => self.update(&address, |r| {
                r.state = format!("skipped ({because} failed)");
                r.finished = Some(Duration::ZERO);
                r.ok = Some(false);
            }),
            ApplyEvent::NotStarted { address } => self.update(&address, |r| {
                r.state = "not started (interrupted)".to_owned();
                r.finished = Some(Duration::ZERO);
                r.ok = Some(false);
            }),
            ApplyEvent::NotApplied { address, fields } => self.update(&address, |r| {
                r.state = format!("accepted but not applied: {}", fields.join(", "))
            }),
        }
    }
}

impl ApplyObserverExt for LiveView {
    fn finish(&self) {
        if let Ok(mut s) = self.state.lock() {
            draw(&mut s);
            s.stopped = true;
        }
    }
}
