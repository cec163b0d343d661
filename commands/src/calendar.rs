//! Supervisors' commands on the office calendar.

use std::sync::Arc;

use chrono::Utc;
use domain::CommandMetadata;
use domain::calendar::{
    CALENDAR_ID, CalendarCommand, HolidayKind, HolidayName, OfficeCalendar, OutageReason, parse_date,
};
use sqlx::PgPool;

use crate::{Error, Executor};

/// Commands on the single office-calendar stream.
#[derive(Clone)]
pub struct CalendarService {
    executor: Arc<Executor<OfficeCalendar>>,
    clock: crate::SharedClock,
}

/// A holiday as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedHoliday {
    pub date: chrono::NaiveDate,
    pub name: String,
    pub kind: HolidayKind,
}

impl CalendarService {
    /// A service over `pool`'s event store.
    pub fn new(pool: PgPool, vault: &crate::vault::Vault, clock: crate::SharedClock) -> Self {
        Self { executor: Arc::new(Executor::new(pool, vault, ())), clock }
    }

    /// Closes the office on `date` (YYYY-MM-DD).
    pub async fn add_holiday(
        &self,
        date: &str,
        name: &str,
        kind: HolidayKind,
        metadata: &CommandMetadata,
    ) -> Result<RecordedHoliday, Error> {
        let date = parse_date(date)?;
        let name = HolidayName::parse(name)?;
        let recorded = RecordedHoliday { date, name: name.as_str().to_owned(), kind };
        let command = CalendarCommand::AddHoliday { date, name, kind, now: self.clock.now() };
        self.executor.execute(CALENDAR_ID, command, metadata).await?;
        Ok(recorded)
    }

    /// Reopens the office on `date`.
    pub async fn remove_holiday(&self, date: &str, metadata: &CommandMetadata) -> Result<chrono::NaiveDate, Error> {
        let date = parse_date(date)?;
        self.executor
            .execute(CALENDAR_ID, CalendarCommand::RemoveHoliday { date, now: self.clock.now() }, metadata)
            .await?;
        Ok(date)
    }

    /// Declares that the link to the national data centre is down: the SLA clock stops.
    pub async fn declare_outage(
        &self,
        reason: &str,
        metadata: &CommandMetadata,
    ) -> Result<chrono::DateTime<Utc>, Error> {
        let reason = OutageReason::parse(reason)?;
        let now = self.clock.now();
        self.executor.execute(CALENDAR_ID, CalendarCommand::DeclareOutage { reason, now }, metadata).await?;
        Ok(now)
    }

    /// Ends the outage in progress: the SLA clock runs again.
    pub async fn end_outage(&self, metadata: &CommandMetadata) -> Result<chrono::DateTime<Utc>, Error> {
        let now = self.clock.now();
        self.executor.execute(CALENDAR_ID, CalendarCommand::EndOutage { now }, metadata).await?;
        Ok(now)
    }
}
