//! The only place Keel reads the wall clock. Everything else asks a [`Clock`],
//! so expiry, stall and holding-period rules can be tested at any instant.

use chrono::{DateTime, NaiveDate, Utc};
use std::sync::{Arc, Mutex};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned read of the wall clock
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move; for tests and reproducible demos.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<DateTime<Utc>>>);

impl FixedClock {
    pub fn at(instant: DateTime<Utc>) -> Self {
        FixedClock(Arc::new(Mutex::new(instant)))
    }

    pub fn set(&self, instant: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = instant;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The clock the CLI and the desktop app use: the system clock, unless `KEEL_NOW`
/// pins an RFC 3339 instant (end-to-end tests and reproducible screenshots).
pub fn from_env() -> crate::Result<Arc<dyn Clock>> {
    match std::env::var("KEEL_NOW") {
        Ok(text) if !text.trim().is_empty() => {
            let instant = DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
                crate::KeelError::invalid("KEEL_NOW", format!("not an RFC 3339 instant ({e})"))
            })?;
            Ok(Arc::new(FixedClock::at(instant.with_timezone(&Utc))))
        }
        _ => Ok(Arc::new(SystemClock)),
    }
}
