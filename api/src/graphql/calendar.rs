//! Supervisors' calendar mutations.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use domain::staff::Permission;

use super::public::HolidayKind;
use super::{Require, shared, staff_metadata};
use crate::error::ApiError;

#[derive(Default)]
pub struct CalendarMutation;

/// A recorded closed day.
#[derive(SimpleObject)]
pub struct RecordedHoliday {
    date: NaiveDate,
    name: String,
    kind: HolidayKind,
}

/// An outage as declared or ended.
#[derive(SimpleObject)]
pub struct OutageChange {
    reason: Option<String>,
    declared_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
}

#[Object]
impl CalendarMutation {
    /// Closes the office on a date (YYYY-MM-DD): a national holiday, cuti bersama or other closure.
    /// Past dates cannot be changed.
    #[graphql(guard = "Require(Permission::ManageCalendar)")]
    async fn add_holiday(
        &self,
        ctx: &Context<'_>,
        date: String,
        name: String,
        #[graphql(desc = "Defaults to NATIONAL_HOLIDAY.")] kind: Option<HolidayKind>,
    ) -> Result<RecordedHoliday, ApiError> {
        let metadata = staff_metadata(ctx)?;
        let recorded = shared(ctx)?
            .commands
            .calendar
            .add_holiday(&date, &name, kind.unwrap_or(HolidayKind::NationalHoliday).into(), &metadata)
            .await?;
        Ok(RecordedHoliday { date: recorded.date, name: recorded.name, kind: recorded.kind.into() })
    }

    /// Reopens the office on a date (YYYY-MM-DD) that was recorded as closed.
    #[graphql(guard = "Require(Permission::ManageCalendar)")]
    async fn remove_holiday(&self, ctx: &Context<'_>, date: String) -> Result<NaiveDate, ApiError> {
        let metadata = staff_metadata(ctx)?;
        Ok(shared(ctx)?.commands.calendar.remove_holiday(&date, &metadata).await?)
    }

    /// Declares that the link to the national data centre is down: the service clock stops.
    #[graphql(guard = "Require(Permission::ManageCalendar)")]
    async fn declare_outage(&self, ctx: &Context<'_>, reason: String) -> Result<OutageChange, ApiError> {
        let metadata = staff_metadata(ctx)?;
        let declared_at = shared(ctx)?.commands.calendar.declare_outage(&reason, &metadata).await?;
        Ok(OutageChange { reason: Some(reason.trim().to_owned()), declared_at: Some(declared_at), ended_at: None })
    }

    /// Ends the outage in progress: the service clock runs again.
    #[graphql(guard = "Require(Permission::ManageCalendar)")]
    async fn end_outage(&self, ctx: &Context<'_>) -> Result<OutageChange, ApiError> {
        let metadata = staff_metadata(ctx)?;
        let ended_at = shared(ctx)?.commands.calendar.end_outage(&metadata).await?;
        Ok(OutageChange { reason: None, declared_at: None, ended_at: Some(ended_at) })
    }
}
