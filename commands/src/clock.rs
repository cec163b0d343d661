//! The time source of the command and query sides. Injectable so tests can move time
//! (e.g. past a 24-hour legacy grant) without sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// Tells the time.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved: `now()` is the system time plus an offset that
/// tests advance.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    offset: Arc<Mutex<Duration>>,
}

impl ManualClock {
    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut offset) = self.offset.lock() {
            *offset += by;
        }
    }
}

impl ManualClock {
    /// Moves the clock so that `now()` is `instant` (and runs on from there).
    pub fn set_to(&self, instant: DateTime<Utc>) {
        if let Ok(mut offset) = self.offset.lock() {
            *offset = instant - Utc::now();
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = self.offset.lock().map(|o| *o).unwrap_or_default();
        Utc::now() + offset
    }
}

/// The clock as the services share it.
pub type SharedClock = Arc<dyn Clock>;
