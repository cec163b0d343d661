use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{HolidayName, OutageReason};

/// Why the office is closed on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HolidayKind {
    /// Hari libur nasional.
    NationalHoliday,
    /// Cuti bersama.
    CutiBersama,
    /// Any other day the office is closed (e.g. a regional holiday).
    OfficeClosure,
}

impl HolidayKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NationalHoliday => "NATIONAL_HOLIDAY",
            Self::CutiBersama => "CUTI_BERSAMA",
            Self::OfficeClosure => "OFFICE_CLOSURE",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::NationalHoliday, Self::CutiBersama, Self::OfficeClosure].into_iter().find(|k| k.as_str() == raw)
    }
}

/// Facts about the office calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CalendarEvent {
    HolidayAdded { date: NaiveDate, name: HolidayName, kind: HolidayKind },
    HolidayRemoved { date: NaiveDate },
    OutageDeclared { reason: OutageReason, declared_at: DateTime<Utc> },
    OutageEnded { declared_at: DateTime<Utc>, ended_at: DateTime<Utc> },
}

impl DomainEvent for CalendarEvent {
    fn event_type(&self) -> String {
        match self {
            Self::HolidayAdded { .. } => "HolidayAdded",
            Self::HolidayRemoved { .. } => "HolidayRemoved",
            Self::OutageDeclared { .. } => "OutageDeclared",
            Self::OutageEnded { .. } => "OutageEnded",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
