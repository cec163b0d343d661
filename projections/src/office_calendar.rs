//! Read models `office_holidays` and `office_outages`: the public calendar, "open now", and
//! the input of the SLA clock.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use cqrs_es::Aggregate;
use domain::calendar::{CalendarEvent, OfficeCalendar};
use domain::working_time::{Outage, WorkingCalendar};
use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::{PgConnection, PgPool};

use crate::{Error, EventByEvent, StoredEvent};

/// Projects calendar events into the holiday and outage tables.
pub struct OfficeCalendarView;

impl EventByEvent for OfficeCalendarView {
    fn name(&self) -> &'static str {
        "office_calendar"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["office_holidays", "office_outages"]
    }

    fn apply_event<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        event: &'a StoredEvent,
    ) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            if event.aggregate_type != OfficeCalendar::TYPE {
                return Ok(());
            }
            match event.decode::<CalendarEvent>()? {
                CalendarEvent::HolidayAdded { date, name, kind } => {
                    sqlx::query(
                        "INSERT INTO office_holidays (holiday_date, name, kind, added_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(date)
                    .bind(name.as_str())
                    .bind(kind.as_str())
                    .bind(event.recorded_at)
                    .execute(conn)
                    .await?;
                }
                CalendarEvent::HolidayRemoved { date } => {
                    sqlx::query("DELETE FROM office_holidays WHERE holiday_date = $1").bind(date).execute(conn).await?;
                }
                CalendarEvent::OutageDeclared { reason, declared_at } => {
                    sqlx::query("INSERT INTO office_outages (declared_at, reason) VALUES ($1, $2)")
                        .bind(declared_at)
                        .bind(reason.as_str())
                        .execute(conn)
                        .await?;
                }
                CalendarEvent::OutageEnded { declared_at, ended_at } => {
                    sqlx::query("UPDATE office_outages SET ended_at = $2 WHERE declared_at = $1")
                        .bind(declared_at)
                        .bind(ended_at)
                        .execute(conn)
                        .await?;
                }
            }
            Ok(())
        }
        .boxed()
    }
}

/// A day the office is closed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HolidayRow {
    pub holiday_date: NaiveDate,
    pub name: String,
    pub kind: String,
}

/// An outage, ended or not.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutageRow {
    pub declared_at: DateTime<Utc>,
    pub reason: String,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Closed days of one year, in date order.
pub async fn holidays_in_year(pool: &PgPool, year: i32) -> Result<Vec<HolidayRow>, Error> {
    let (Some(from), Some(to)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) else {
        return Ok(Vec::new());
    };
    holidays_between(pool, from, to).await
}

/// Closed days between two dates inclusive, in date order.
pub async fn holidays_between(pool: &PgPool, from: NaiveDate, to: NaiveDate) -> Result<Vec<HolidayRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT holiday_date, name, kind FROM office_holidays
          WHERE holiday_date BETWEEN $1 AND $2 ORDER BY holiday_date",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?)
}

/// The outage in progress, if any.
pub async fn current_outage(pool: &PgPool) -> Result<Option<OutageRow>, Error> {
    Ok(sqlx::query_as("SELECT declared_at, reason, ended_at FROM office_outages WHERE ended_at IS NULL")
        .fetch_optional(pool)
        .await?)
}

/// The working calendar covering `from` to `from + days`, for the SLA clock and "open now".
pub async fn working_calendar(pool: &PgPool, from: DateTime<Utc>, days: i64) -> Result<WorkingCalendar, Error> {
    let to = from + Duration::days(days);
    let first = domain::working_time::office_date(from) - Duration::days(1);
    let last = domain::working_time::office_date(to);
    let holidays = holidays_between(pool, first, last).await?;
    let outages: Vec<OutageRow> = sqlx::query_as(
        "SELECT declared_at, reason, ended_at FROM office_outages
          WHERE declared_at <= $2 AND (ended_at IS NULL OR ended_at >= $1) ORDER BY declared_at",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    Ok(WorkingCalendar::new(
        holidays.into_iter().map(|h| h.holiday_date),
        outages.into_iter().map(|o| Outage { start: o.declared_at, end: o.ended_at }),
    ))
}
