//! Where "now" comes from: the one source of the current instant, passed
//! to every rule that needs it so tests can fix it.

use chrono::{DateTime, Utc};

/// Where "now" comes from: the system clock, or a fixed instant in tests.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// The current instant (UTC).
    pub fn now(self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => t,
        }
    }

    /// Today in Asia/Tokyo.
    pub fn today(self) -> chrono::NaiveDate {
        crate::calendar::today(self.now())
    }
}
