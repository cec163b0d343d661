//! Read model of the office statistics (the supervisor's dashboard): per request, when it came
//! and when and how the office answered it, whether within the promise and how long it took on
//! the SLA clock; per officer and day, answers given and re-uploads demanded.
//!
//! "Finished" means the office gave its answer: completed (download), ready for pick-up, or
//! rejected ([`domain::request::RequestStatus::is_finished`]). Figures that depend on the
//! moment of asking (backlog and overdue now) are not stored here: they are the work queue's,
//! see [`crate::service_requests::backlog_by_service`] and
//! [`crate::service_requests::overdue_count`].

mod fold;
pub mod report;

use chrono::NaiveDate;
use cqrs_es::Aggregate;
use domain::calendar::{CalendarEvent, OfficeCalendar};
use domain::request::{RequestEvent, ServiceRequest};
use domain::statistics::StatisticsRange;
use domain::working_time::WorkingCalendar;
use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use self::fold::{RequestFacts, Rows};
use self::report::{DayFigures, FinishedCount, WeekFigures};
use crate::carried::Carried;
use crate::runs::{Piece, pieces};
use crate::sla::{CalendarTables, SlaCalendar};
use crate::{Context, Error, Projection, StoredEvent};

/// This projection's copy of the office calendar (see [`crate::sla`]).
const CALENDAR: CalendarTables =
    CalendarTables { closed_days: "statistics_closed_days", outages: "statistics_outages" };

/// Projects request and calendar events into the statistics tables.
#[derive(Default)]
pub struct OfficeStatistics {
    /// The SLA calendar as the last batch left it.
    calendar: Carried<SlaCalendar>,
}

impl Projection for OfficeStatistics {
    fn name(&self) -> &'static str {
        "office_statistics"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["statistics_requests", "statistics_staff_days", "statistics_closed_days", "statistics_outages"]
    }

    /// Runs of request events are folded in memory ([`fold`]) and written once; a calendar
    /// event ends a run, since the requests answered after it are measured on the new calendar.
    fn apply_batch<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        events: &'a [StoredEvent],
        cx: Context<'a>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            let mut calendar = self.calendar.take(&cx);
            for piece in pieces(events, &[ServiceRequest::TYPE], &[OfficeCalendar::TYPE]) {
                match piece {
                    Piece::Run(run) => {
                        let calendar = CALENDAR.loaded(conn, &mut calendar).await?;
                        apply_requests(conn, run.decode()?, calendar).await?
                    }
                    Piece::Single(event) => {
                        CALENDAR.apply(conn, &event.decode::<CalendarEvent>()?).await?;
                        calendar = None;
                    }
                }
            }
            if let Some(calendar) = calendar {
                self.calendar.keep(&cx, calendar);
            }
            Ok(())
        }
        .boxed()
    }
}

const REQUEST_COLUMNS: &str =
    "request_id, submitted_at, submitted_on, pauses, finished_on, finished_as, within_promise, working_seconds";

async fn apply_requests(
    conn: &mut PgConnection,
    run: Vec<(Uuid, RequestEvent)>,
    calendar: &SlaCalendar,
) -> Result<(), Error> {
    let mut ids: Vec<Uuid> = run.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let stored: Vec<RequestFacts> =
        sqlx::query_as(&format!("SELECT {REQUEST_COLUMNS} FROM statistics_requests WHERE request_id = ANY($1)"))
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?;
    let mut rows = Rows { requests: stored.into_iter().map(|r| (r.request_id, r)).collect(), ..Rows::default() };
    for (id, event) in run {
        rows.apply(id, event, calendar);
    }
    write_requests(conn, &rows).await?;
    write_staff_days(conn, &rows).await
}

/// Inserts or overwrites request rows, all in one statement.
async fn write_requests(conn: &mut PgConnection, rows: &Rows) -> Result<(), Error> {
    if rows.requests.is_empty() {
        return Ok(());
    }
    let requests: Vec<&RequestFacts> = rows.requests.values().collect();
    let pauses: Vec<Value> =
        requests.iter().map(|r| serde_json::to_value(&r.pauses).unwrap_or_else(|_| Value::Array(Vec::new()))).collect();
    sqlx::query(&format!(
        "INSERT INTO statistics_requests ({REQUEST_COLUMNS})
         SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::date[], $4::jsonb[], $5::date[], $6::text[],
                              $7::boolean[], $8::bigint[])
         ON CONFLICT (request_id) DO UPDATE SET pauses = EXCLUDED.pauses, finished_on = EXCLUDED.finished_on,
             finished_as = EXCLUDED.finished_as, within_promise = EXCLUDED.within_promise,
             working_seconds = EXCLUDED.working_seconds"
    ))
    .bind(requests.iter().map(|r| r.request_id).collect::<Vec<_>>())
    .bind(requests.iter().map(|r| r.submitted_at).collect::<Vec<_>>())
    .bind(requests.iter().map(|r| r.submitted_on).collect::<Vec<_>>())
    .bind(pauses)
    .bind(requests.iter().map(|r| r.finished_on).collect::<Vec<_>>())
    .bind(requests.iter().map(|r| r.finished_as.as_deref()).collect::<Vec<_>>())
    .bind(requests.iter().map(|r| r.within_promise).collect::<Vec<_>>())
    .bind(requests.iter().map(|r| r.working_seconds).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds the batch's increments to the per-officer counters, all in one statement.
async fn write_staff_days(conn: &mut PgConnection, rows: &Rows) -> Result<(), Error> {
    if rows.staff_days.is_empty() {
        return Ok(());
    }
    let keys: Vec<&(NaiveDate, Uuid)> = rows.staff_days.keys().collect();
    sqlx::query(
        "INSERT INTO statistics_staff_days (day, staff_id, finished, reupload_demands)
         SELECT * FROM unnest($1::date[], $2::uuid[], $3::bigint[], $4::bigint[])
         ON CONFLICT (day, staff_id) DO UPDATE SET
             finished = statistics_staff_days.finished + EXCLUDED.finished,
             reupload_demands = statistics_staff_days.reupload_demands + EXCLUDED.reupload_demands",
    )
    .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| rows.staff_days[k].finished).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| rows.staff_days[k].reupload_demands).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What one staff member did in a range.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OfficerFigures {
    pub staff_id: Uuid,
    /// `None` only if the staff directory does not know the id.
    pub display_name: Option<String>,
    pub finished: i64,
    pub reupload_demands: i64,
}

/// The figures of a range that the history alone decides.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeFigures {
    /// Every working day of the range.
    pub days: Vec<DayFigures>,
    pub weeks: Vec<WeekFigures>,
    /// Over requests finished in the range, in working hours on the SLA clock.
    pub median_working_hours: Option<f64>,
    pub p90_working_hours: Option<f64>,
    /// Most answers first.
    pub officers: Vec<OfficerFigures>,
}

impl RangeFigures {
    pub fn submitted(&self) -> i64 {
        self.days.iter().map(|d| d.submitted).sum()
    }

    pub fn finished(&self) -> i64 {
        self.days.iter().map(DayFigures::finished).sum()
    }

    pub fn within_promise(&self) -> i64 {
        self.days.iter().map(|d| d.within_promise).sum()
    }
}

/// The figures of `range`. Working days come from the office calendar; each event counts on
/// the working day it happened on, or the next one if the office was closed that day.
pub async fn figures(pool: &PgPool, range: StatisticsRange) -> Result<RangeFigures, Error> {
    let holidays =
        crate::office_calendar::holidays_between(pool, range.from() - StatisticsRange::LOOK_BACK, range.to()).await?;
    let calendar = WorkingCalendar::new(holidays.into_iter().map(|h| h.holiday_date), []);
    let counted = range.counted_days(&calendar);
    let Some((first, last)) = counted.dates else {
        return Ok(RangeFigures {
            days: Vec::new(),
            weeks: Vec::new(),
            median_working_hours: None,
            p90_working_hours: None,
            officers: Vec::new(),
        });
    };
    let submitted: Vec<(NaiveDate, i64)> = sqlx::query_as(
        "SELECT submitted_on, count(*) FROM statistics_requests
          WHERE submitted_on BETWEEN $1 AND $2 GROUP BY submitted_on",
    )
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await?;
    let finished: Vec<FinishedCount> = sqlx::query_as(
        "SELECT finished_on, finished_as, count(*) AS finished, count(*) FILTER (WHERE within_promise) AS within_promise
           FROM statistics_requests WHERE finished_on BETWEEN $1 AND $2 GROUP BY finished_on, finished_as",
    )
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await?;
    // Linear interpolation between ranks (PostgreSQL's percentile_cont).
    let (median, p90): (Option<f64>, Option<f64>) = sqlx::query_as(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY working_seconds),
                percentile_cont(0.9) WITHIN GROUP (ORDER BY working_seconds)
           FROM statistics_requests WHERE finished_on BETWEEN $1 AND $2",
    )
    .bind(first)
    .bind(last)
    .fetch_one(pool)
    .await?;
    let officers: Vec<OfficerFigures> = sqlx::query_as(
        "SELECT s.staff_id, d.display_name, sum(s.finished)::bigint AS finished,
                sum(s.reupload_demands)::bigint AS reupload_demands
           FROM statistics_staff_days s LEFT JOIN staff_directory d ON d.staff_id = s.staff_id
          WHERE s.day BETWEEN $1 AND $2
          GROUP BY s.staff_id, d.display_name
          ORDER BY finished DESC, reupload_demands DESC, d.display_name, s.staff_id",
    )
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await?;
    let days = report::days(&calendar, &counted, &submitted, &finished);
    let hours = |seconds: Option<f64>| seconds.map(|s| s / 3600.0);
    Ok(RangeFigures {
        weeks: report::weeks(&days),
        days,
        median_working_hours: hours(median),
        p90_working_hours: hours(p90),
        officers,
    })
}
