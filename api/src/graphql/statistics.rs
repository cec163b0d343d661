//! The office statistics (the supervisor's dashboard). The dashboard's CSV download is built
//! by the client from this query's answer: no endpoint of its own.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use domain::ErrorCode;
use domain::staff::Permission;
use domain::statistics::StatisticsRange;
use projections::office_statistics::report::{DayFigures, WeekFigures, share};

use super::{Require, shared};
use crate::error::ApiError;

/// What came in and what the office answered on one working day (events of days the office
/// was closed count on the next working day).
#[derive(SimpleObject)]
pub struct StatisticsDay {
    date: NaiveDate,
    submitted: i64,
    /// Completed + ready for pick-up + rejected.
    finished: i64,
    completed: i64,
    ready_for_pickup: i64,
    rejected: i64,
    finished_within_promise: i64,
}

impl From<&DayFigures> for StatisticsDay {
    fn from(day: &DayFigures) -> Self {
        Self {
            date: day.date,
            submitted: day.submitted,
            finished: day.finished(),
            completed: day.completed,
            ready_for_pickup: day.ready_for_pickup,
            rejected: day.rejected,
            finished_within_promise: day.within_promise,
        }
    }
}

/// The promise kept in one ISO week (its working days within the range).
#[derive(SimpleObject)]
pub struct StatisticsWeek {
    /// ISO 8601, e.g. `2026-W50`.
    week: String,
    /// The Monday of the week.
    starts_on: NaiveDate,
    finished: i64,
    finished_within_promise: i64,
    /// 0–1; null when nothing was finished that week.
    within_promise_share: Option<f64>,
}

impl From<&WeekFigures> for StatisticsWeek {
    fn from(week: &WeekFigures) -> Self {
        Self {
            week: week.label(),
            starts_on: week.starts_on,
            finished: week.finished,
            finished_within_promise: week.within_promise,
            within_promise_share: week.share(),
        }
    }
}

/// One staff member's work in the range.
#[derive(SimpleObject)]
pub struct OfficerStatistics {
    staff_id: ID,
    display_name: String,
    /// Requests this officer completed, marked ready for pick-up or rejected.
    finished: i64,
    reupload_demands: i64,
}

/// Open requests of one service now.
#[derive(SimpleObject)]
pub struct ServiceBacklog {
    service_code: String,
    service_name: String,
    open: i64,
}

/// The office's figures for a date range (office dates, WIB). A request is finished when the
/// office gave its answer: completed (download), ready for pick-up, or rejected — collection
/// is the resident's later step and a cancellation is the resident's withdrawal. The promise
/// is the work queue's due time: one working day on the SLA clock, which stops while a
/// re-upload is awaited and during outages.
#[derive(SimpleObject)]
pub struct OfficeStatistics {
    from: NaiveDate,
    to: NaiveDate,
    submitted: i64,
    finished: i64,
    finished_within_promise: i64,
    /// 0–1; null when nothing was finished in the range.
    within_promise_share: Option<f64>,
    /// Over requests finished in the range, in working hours on the SLA clock; null if none.
    median_working_hours_to_finish: Option<f64>,
    /// 90th percentile, as the median (linear interpolation between ranks).
    p90_working_hours_to_finish: Option<f64>,
    /// Every working day of the range, in order.
    days: Vec<StatisticsDay>,
    /// Every ISO week with a working day in the range, in order.
    weeks: Vec<StatisticsWeek>,
    /// Staff who finished a request or demanded a re-upload in the range, most answers first.
    officers: Vec<OfficerStatistics>,
    /// The moment `backlog` and `overdueNow` describe.
    as_of: DateTime<Utc>,
    /// Open requests per service now, by service code.
    backlog: Vec<ServiceBacklog>,
    backlog_total: i64,
    /// Open requests past their due time now (the work queue's `overdue`).
    overdue_now: i64,
}

#[derive(Default)]
pub struct StatisticsQuery;

#[Object]
impl StatisticsQuery {
    /// The office statistics from `from` to `to` (both included, at most 366 days), with the
    /// backlog and overdue requests of now.
    #[graphql(guard = "Require(Permission::ReadStatistics)")]
    async fn office_statistics(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<OfficeStatistics, ApiError> {
        let range = StatisticsRange::parse(from, to).map_err(|e| ApiError::new(e.code(), e.to_string()))?;
        let shared = shared(ctx)?;
        let now = shared.commands.clock.now();
        let figures = projections::office_statistics::figures(&shared.pool, range).await?;
        let backlog = projections::service_requests::backlog_by_service(&shared.pool).await?;
        let overdue_now = projections::service_requests::overdue_count(&shared.pool, now).await?;
        let (finished, finished_within_promise) = (figures.finished(), figures.within_promise());
        Ok(OfficeStatistics {
            from,
            to,
            submitted: figures.submitted(),
            finished,
            finished_within_promise,
            within_promise_share: share(finished_within_promise, finished),
            median_working_hours_to_finish: figures.median_working_hours,
            p90_working_hours_to_finish: figures.p90_working_hours,
            days: figures.days.iter().map(StatisticsDay::from).collect(),
            weeks: figures.weeks.iter().map(StatisticsWeek::from).collect(),
            officers: figures
                .officers
                .into_iter()
                .map(|o| OfficerStatistics {
                    staff_id: ID(o.staff_id.to_string()),
                    display_name: o.display_name.unwrap_or_else(|| "Petugas tidak dikenal".to_owned()),
                    finished: o.finished,
                    reupload_demands: o.reupload_demands,
                })
                .collect(),
            as_of: now,
            backlog_total: backlog.iter().map(|b| b.open).sum(),
            backlog: backlog
                .into_iter()
                .map(|b| ServiceBacklog { service_code: b.service_code, service_name: b.service_name, open: b.open })
                .collect(),
            overdue_now,
        })
    }
}
