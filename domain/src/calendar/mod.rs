//! The office calendar: holidays, cuti bersama and outages, maintained by supervisors as data.
//! One stream for the whole office.

mod aggregate;
mod command;
mod error;
mod event;

pub use aggregate::OfficeCalendar;
pub use command::CalendarCommand;
pub use error::CalendarError;
pub use event::{CalendarEvent, HolidayKind};

/// The id of the single calendar stream.
pub const CALENDAR_ID: &str = "office-calendar";

/// Parses an office-local calendar date written `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Result<chrono::NaiveDate, CalendarError> {
    let raw = raw.trim();
    if raw.len() != 10 {
        return Err(CalendarError::InvalidDate);
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| CalendarError::InvalidDate)
}

/// A holiday's name as residents read it, e.g. "Hari Raya Natal".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct HolidayName(String);

impl HolidayName {
    /// Trimmed, 1–100 characters, no control characters.
    pub fn parse(raw: &str) -> Result<Self, CalendarError> {
        crate::text::clean_line(raw, 100).map(Self).ok_or(CalendarError::InvalidHolidayName)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why an outage was declared, e.g. "Jaringan ke pusat data Dukcapil Kemendagri terputus".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct OutageReason(String);

impl OutageReason {
    /// Trimmed, 1–300 characters, no control characters.
    pub fn parse(raw: &str) -> Result<Self, CalendarError> {
        crate::text::clean_line(raw, 300).map(Self).ok_or(CalendarError::InvalidOutageReason)
    }

    /// The reason.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
