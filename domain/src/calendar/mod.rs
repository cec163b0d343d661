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
    // Exactly `DDDD-DD-DD`: chrono's `%Y` would also take a sign, and "-020-02-29" (the year
    // -20) would be stored as "-0020-02-29", which no longer reads as a date.
    let shape = raw.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if raw.len() != 10 || !shape {
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

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn dates_are_exactly_four_two_two_digits() {
        assert_eq!(parse_date(" 2026-11-25 ").map(|d| d.to_string()).as_deref(), Ok("2026-11-25"));
        assert_eq!(parse_date("0999-01-31").map(|d| d.to_string()).as_deref(), Ok("0999-01-31"));
        // Found by the catalogue_fields fuzz target: a signed year was accepted and stored in a
        // form that no longer parses.
        for bad in
            ["-020-02-29", "+020-02-29", "-001-01-01", "2026-1-125", "2026/11/25", "2026-11-2\u{0}", "２026-11-25"]
        {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
