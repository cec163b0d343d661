//! The service promise ("paling lambat 1×24 jam di hari dan jam kerja") as the read side
//! applies it: one rule for the due time and one for being late, used by the work queue and by
//! the office statistics alike.
//!
//! Each projection that needs the rule keeps its own copy of the office calendar (closed days,
//! outages) in tables of its own, filled from the calendar events it applies itself: its rows
//! then depend only on its own position in the history, so it can be rebuilt alone and replay
//! gives exactly what live projection gave.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::calendar::CalendarEvent;
use domain::working_time::{Outage, WorkingCalendar};
use sqlx::PgConnection;

use crate::Error;

/// "Paling lambat 1×24 jam di hari dan jam kerja": one working day.
pub const SLA: Duration = Duration::hours(8);

/// A pause of the SLA clock (a re-upload demand, or an outage): start, and end once over.
pub(crate) type Pause = (DateTime<Utc>, Option<DateTime<Utc>>);

/// Whether something due at `due_at` is late at `at`. A stopped clock (`None`) is never late.
/// The work queue's `overdue` and the statistics' "within the promise" are this one rule.
pub fn is_late(due_at: Option<DateTime<Utc>>, at: DateTime<Utc>) -> bool {
    due_at.is_some_and(|due| due < at)
}

/// The office calendar as the SLA clock of one projection knows it.
#[derive(Debug, Clone, Default)]
pub(crate) struct SlaCalendar {
    pub closed_days: Vec<NaiveDate>,
    pub outages: Vec<Pause>,
}

impl SlaCalendar {
    fn clock(&self, pauses: &[Pause]) -> WorkingCalendar {
        WorkingCalendar::new(
            self.closed_days.iter().copied(),
            self.outages.iter().chain(pauses).map(|&(start, end)| Outage { start, end }),
        )
    }

    /// When a request submitted at `submitted_at` and paused during `pauses` is due: one
    /// working day of office time; `None` while an open pause or outage stops the clock.
    pub fn due(&self, submitted_at: DateTime<Utc>, pauses: &[Pause]) -> Option<DateTime<Utc>> {
        self.clock(pauses).add_working_time(submitted_at, SLA)
    }

    /// The time on the same clock from submission to `until`: office hours, less re-upload
    /// pauses and outages — the measure the promise of [`SLA`] is made in.
    pub fn elapsed(&self, submitted_at: DateTime<Utc>, pauses: &[Pause], until: DateTime<Utc>) -> Duration {
        self.clock(pauses).working_time_between(submitted_at, until)
    }
}

/// A projection's copy of the office calendar: its two tables.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CalendarTables {
    /// `(closed_day date PRIMARY KEY)`.
    pub closed_days: &'static str,
    /// `(declared_at timestamptz PRIMARY KEY, ended_at timestamptz)`.
    pub outages: &'static str,
}

impl CalendarTables {
    /// The calendar as these tables hold it now.
    pub async fn load(&self, conn: &mut PgConnection) -> Result<SlaCalendar, Error> {
        let closed_days: Vec<NaiveDate> =
            sqlx::query_scalar(&format!("SELECT closed_day FROM {}", self.closed_days)).fetch_all(&mut *conn).await?;
        let outages: Vec<Pause> = sqlx::query_as(&format!("SELECT declared_at, ended_at FROM {}", self.outages))
            .fetch_all(&mut *conn)
            .await?;
        Ok(SlaCalendar { closed_days, outages })
    }

    /// The calendar in `slot`, read from the tables first if the slot is empty (a batch that
    /// carried none over from the one before, [`crate::carried`]).
    pub async fn loaded<'s>(
        &self,
        conn: &mut PgConnection,
        slot: &'s mut Option<SlaCalendar>,
    ) -> Result<&'s SlaCalendar, Error> {
        let calendar = match slot.take() {
            Some(calendar) => calendar,
            None => self.load(conn).await?,
        };
        Ok(slot.insert(calendar))
    }

    /// Applies a calendar event to these tables.
    pub async fn apply(&self, conn: &mut PgConnection, event: &CalendarEvent) -> Result<(), Error> {
        let Self { closed_days, outages } = self;
        match event {
            CalendarEvent::HolidayAdded { date, .. } => {
                sqlx::query(&format!("INSERT INTO {closed_days} (closed_day) VALUES ($1)"))
                    .bind(date)
                    .execute(&mut *conn)
                    .await?;
            }
            CalendarEvent::HolidayRemoved { date } => {
                sqlx::query(&format!("DELETE FROM {closed_days} WHERE closed_day = $1"))
                    .bind(date)
                    .execute(&mut *conn)
                    .await?;
            }
            CalendarEvent::OutageDeclared { declared_at, .. } => {
                sqlx::query(&format!("INSERT INTO {outages} (declared_at) VALUES ($1)"))
                    .bind(declared_at)
                    .execute(&mut *conn)
                    .await?;
            }
            CalendarEvent::OutageEnded { declared_at, ended_at } => {
                sqlx::query(&format!("UPDATE {outages} SET ended_at = $2 WHERE declared_at = $1"))
                    .bind(declared_at)
                    .bind(ended_at)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// Monday 23 November 2026, `hour`:00 in Putussibau (UTC+7).
    fn monday(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, hour - 7, 0, 0).single().unwrap_or_default()
    }

    #[test]
    fn late_only_after_the_due_time_and_never_while_the_clock_stands() {
        assert!(!is_late(Some(monday(10)), monday(10)), "exactly on time is on time");
        assert!(is_late(Some(monday(10)), monday(11)));
        assert!(!is_late(None, monday(11)));
    }

    #[test]
    fn elapsed_time_leaves_out_pauses_and_reaches_the_promise_at_the_due_time() {
        let calendar = SlaCalendar::default();
        let pauses = vec![(monday(10), Some(monday(12)))];
        assert_eq!(calendar.elapsed(monday(9), &pauses, monday(14)), Duration::hours(3));
        let due = calendar.due(monday(9), &pauses).expect("due");
        assert_eq!(calendar.elapsed(monday(9), &pauses, due), SLA);
    }
}
