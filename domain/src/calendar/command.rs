use chrono::{DateTime, NaiveDate, Utc};

use super::{HolidayKind, HolidayName, OutageReason};

/// What supervisors ask of the calendar. `now` is passed in: the domain reads no clock.
#[derive(Debug, Clone)]
pub enum CalendarCommand {
    AddHoliday { date: NaiveDate, name: HolidayName, kind: HolidayKind, now: DateTime<Utc> },
    RemoveHoliday { date: NaiveDate, now: DateTime<Utc> },
    DeclareOutage { reason: OutageReason, now: DateTime<Utc> },
    EndOutage { now: DateTime<Utc> },
}
