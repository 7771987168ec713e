//! Progress lines on stderr, only when stderr is a terminal (so logs and pipes
//! stay clean).

use std::io::IsTerminal;

use movierec_core::{Progress, ProgressEvent};

pub struct TerminalProgress {
    enabled: bool,
}

impl TerminalProgress {
    pub fn new() -> Self {
        TerminalProgress {
            enabled: std::io::stderr().is_terminal(),
        }
    }
}

impl Progress for TerminalProgress {
    fn report(&self, event: ProgressEvent) {
        if !self.enabled {
            return;
        }
        match event {
            ProgressEvent::Iteration {
                iteration,
                of,
                train_rmse,
                seconds,
            } => match train_rmse {
                Some(rmse) => {
                    eprintln!("iteration {iteration}/{of}: train RMSE {rmse:.4} ({seconds:.2} s)")
                }
                None => eprintln!("iteration {iteration}/{of} ({seconds:.2} s)"),
            },
            ProgressEvent::Recommended { done, total } => {
                eprint!("\rrecommended for {done}/{total} users")
            }
            ProgressEvent::RowsRead { rows } => eprint!("\rread {rows} rows"),
        }
    }
}
