use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{CalendarCommand, CalendarError, CalendarEvent};
use crate::working_time::{format_wib, office_date};

/// How far ahead a holiday may be recorded.
const MAX_YEARS_AHEAD: i64 = 3;

/// The calendar's state: which days are closed and whether an outage is in progress.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct OfficeCalendar {
    holidays: BTreeSet<NaiveDate>,
    outage_since: Option<DateTime<Utc>>,
}

impl OfficeCalendar {
    /// Past days are history: SLA due times already computed depend on them.
    fn check_editable(date: NaiveDate, now: DateTime<Utc>) -> Result<(), CalendarError> {
        if date < office_date(now) { Err(CalendarError::HolidayInPast(date)) } else { Ok(()) }
    }
}

impl crate::decide::Decide for OfficeCalendar {
    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error> {
        match command {
            CalendarCommand::AddHoliday { date, name, kind, now } => {
                Self::check_editable(date, now)?;
                if date > office_date(now) + Duration::days(366 * MAX_YEARS_AHEAD) {
                    return Err(CalendarError::HolidayTooFarAhead(date));
                }
                if self.holidays.contains(&date) {
                    return Err(CalendarError::HolidayExists(date));
                }
                Ok(vec![CalendarEvent::HolidayAdded { date, name, kind }])
            }
            CalendarCommand::RemoveHoliday { date, now } => {
                if !self.holidays.contains(&date) {
                    return Err(CalendarError::HolidayNotFound(date));
                }
                Self::check_editable(date, now)?;
                Ok(vec![CalendarEvent::HolidayRemoved { date }])
            }
            CalendarCommand::DeclareOutage { reason, now } => {
                if let Some(since) = self.outage_since {
                    return Err(CalendarError::OutageAlreadyDeclared(format_wib(since)));
                }
                Ok(vec![CalendarEvent::OutageDeclared { reason, declared_at: now }])
            }
            CalendarCommand::EndOutage { now } => {
                let declared_at = self.outage_since.ok_or(CalendarError::NoOutageInProgress)?;
                Ok(vec![CalendarEvent::OutageEnded { declared_at, ended_at: now.max(declared_at) }])
            }
        }
    }
}

crate::decide::decided_aggregate!(OfficeCalendar, "OfficeCalendar", CalendarCommand, CalendarEvent, CalendarError);

impl OfficeCalendar {
    /// Folds one event into the state (cqrs-es's `Aggregate::apply`).
    fn fold(&mut self, event: CalendarEvent) {
        match event {
            CalendarEvent::HolidayAdded { date, .. } => {
                self.holidays.insert(date);
            }
            CalendarEvent::HolidayRemoved { date } => {
                self.holidays.remove(&date);
            }
            CalendarEvent::OutageDeclared { declared_at, .. } => self.outage_since = Some(declared_at),
            CalendarEvent::OutageEnded { .. } => self.outage_since = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveTime, TimeZone};
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::calendar::{HolidayKind, HolidayName, OutageReason};
    use crate::working_time::local_instant;

    type Given = TestFramework<OfficeCalendar>;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    /// Wednesday 25 November 2026, 10:00 WIB.
    fn now() -> DateTime<Utc> {
        local_instant(date(2026, 11, 25), NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default()).unwrap_or_default()
    }

    fn name(s: &str) -> HolidayName {
        HolidayName::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn christmas() -> CalendarEvent {
        CalendarEvent::HolidayAdded {
            date: date(2026, 12, 25),
            name: name("Hari Raya Natal"),
            kind: HolidayKind::NationalHoliday,
        }
    }

    fn add(d: NaiveDate) -> CalendarCommand {
        CalendarCommand::AddHoliday {
            date: d,
            name: name("Hari Raya Natal"),
            kind: HolidayKind::NationalHoliday,
            now: now(),
        }
    }

    #[test]
    fn given_nothing_when_holiday_added_then_holiday_added() {
        Given::with(()).given_no_previous_events().when(add(date(2026, 12, 25))).then_expect_events(vec![christmas()]);
    }

    #[test]
    fn today_may_still_be_declared_a_holiday() {
        let today = office_date(now());
        Given::with(()).given_no_previous_events().when(add(today)).then_expect_events(vec![
            CalendarEvent::HolidayAdded {
                date: today,
                name: name("Hari Raya Natal"),
                kind: HolidayKind::NationalHoliday,
            },
        ]);
    }

    #[test]
    fn given_holiday_when_added_again_then_refused() {
        Given::with(())
            .given(vec![christmas()])
            .when(add(date(2026, 12, 25)))
            .then_expect_error(CalendarError::HolidayExists(date(2026, 12, 25)));
    }

    #[test]
    fn past_dates_are_history() {
        Given::with(())
            .given_no_previous_events()
            .when(add(date(2026, 11, 24)))
            .then_expect_error(CalendarError::HolidayInPast(date(2026, 11, 24)));
    }

    #[test]
    fn office_date_decides_what_is_past_not_utc_date() {
        // 23:30 UTC on 24 Nov is already 25 Nov 06:30 WIB: 24 Nov is past.
        let late = Utc.with_ymd_and_hms(2026, 11, 24, 23, 30, 0).single().unwrap_or_default();
        Given::with(())
            .given_no_previous_events()
            .when(CalendarCommand::AddHoliday {
                date: date(2026, 11, 24),
                name: name("x"),
                kind: HolidayKind::OfficeClosure,
                now: late,
            })
            .then_expect_error(CalendarError::HolidayInPast(date(2026, 11, 24)));
    }

    #[test]
    fn too_far_ahead_is_refused() {
        Given::with(())
            .given_no_previous_events()
            .when(add(date(2030, 1, 1)))
            .then_expect_error(CalendarError::HolidayTooFarAhead(date(2030, 1, 1)));
    }

    #[test]
    fn given_holiday_when_removed_then_removed() {
        Given::with(())
            .given(vec![christmas()])
            .when(CalendarCommand::RemoveHoliday { date: date(2026, 12, 25), now: now() })
            .then_expect_events(vec![CalendarEvent::HolidayRemoved { date: date(2026, 12, 25) }]);
    }

    #[test]
    fn removing_unknown_holiday_is_refused() {
        Given::with(())
            .given(vec![christmas()])
            .when(CalendarCommand::RemoveHoliday { date: date(2026, 12, 26), now: now() })
            .then_expect_error(CalendarError::HolidayNotFound(date(2026, 12, 26)));
    }

    #[test]
    fn removed_holiday_can_be_added_again() {
        Given::with(())
            .given(vec![christmas(), CalendarEvent::HolidayRemoved { date: date(2026, 12, 25) }])
            .when(add(date(2026, 12, 25)))
            .then_expect_events(vec![christmas()]);
    }

    #[test]
    fn outage_declared_then_ended() {
        let reason = OutageReason::parse("Jaringan ke pusat data terputus").unwrap_or_else(|e| panic!("{e}"));
        Given::with(())
            .given_no_previous_events()
            .when(CalendarCommand::DeclareOutage { reason: reason.clone(), now: now() })
            .then_expect_events(vec![CalendarEvent::OutageDeclared { reason: reason.clone(), declared_at: now() }]);
        let later = now() + Duration::hours(2);
        Given::with(())
            .given(vec![CalendarEvent::OutageDeclared { reason, declared_at: now() }])
            .when(CalendarCommand::EndOutage { now: later })
            .then_expect_events(vec![CalendarEvent::OutageEnded { declared_at: now(), ended_at: later }]);
    }

    #[test]
    fn outage_declared_twice_is_refused() {
        let reason = OutageReason::parse("Putus").unwrap_or_else(|e| panic!("{e}"));
        Given::with(())
            .given(vec![CalendarEvent::OutageDeclared { reason: reason.clone(), declared_at: now() }])
            .when(CalendarCommand::DeclareOutage { reason, now: now() })
            .then_expect_error(CalendarError::OutageAlreadyDeclared("25-11-2026 10.00 WIB".into()));
    }

    #[test]
    fn ending_without_outage_is_refused() {
        Given::with(())
            .given_no_previous_events()
            .when(CalendarCommand::EndOutage { now: now() })
            .then_expect_error(CalendarError::NoOutageInProgress);
    }

    #[test]
    fn end_never_precedes_declaration_even_with_a_skewed_clock() {
        let reason = OutageReason::parse("Putus").unwrap_or_else(|e| panic!("{e}"));
        Given::with(())
            .given(vec![CalendarEvent::OutageDeclared { reason, declared_at: now() }])
            .when(CalendarCommand::EndOutage { now: now() - Duration::seconds(5) })
            .then_expect_events(vec![CalendarEvent::OutageEnded { declared_at: now(), ended_at: now() }]);
    }

    #[test]
    fn dates_must_be_real_and_iso_formatted() {
        use crate::calendar::parse_date;
        assert_eq!(parse_date(" 2026-12-25 "), Ok(date(2026, 12, 25)));
        for bad in ["2026-02-30", "25-12-2026", "2026/12/25", "2026-1-5", "", "besok", "2026-12-25T00:00"] {
            assert_eq!(parse_date(bad), Err(CalendarError::InvalidDate), "{bad}");
        }
    }

    #[test]
    fn names_and_reasons_are_checked() {
        assert_eq!(HolidayName::parse(" "), Err(CalendarError::InvalidHolidayName));
        assert_eq!(OutageReason::parse(&"x".repeat(301)), Err(CalendarError::InvalidOutageReason));
        assert!(OutageReason::parse("Server SIAK pusat tidak dapat diakses").is_ok());
    }
}
