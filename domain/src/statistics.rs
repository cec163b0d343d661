//! The rules of the office statistics: which date range may be asked for, and on which
//! working day an event counts.
//!
//! Residents submit at any hour, also on weekends and holidays; the office meets that work on
//! its next working day. So every event counts on the working day it happened on or, if the
//! office was closed that day, on the next working day. One rule for every figure means the
//! per-day, per-week and per-officer figures of a range always add up to the same totals.

use chrono::{Duration, NaiveDate};

use crate::ErrorCode;
use crate::working_time::WorkingCalendar;

/// Why a statistics range was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatisticsError {
    #[error("Rentang tanggal tidak valid: tanggal awal harus sama dengan atau sebelum tanggal akhir.")]
    Inverted,
    #[error(
        "Rentang tanggal terlalu panjang: paling banyak {max} hari, diminta {0} hari. Persempit rentangnya.",
        max = StatisticsRange::MAX_DAYS
    )]
    TooLong(i64),
}

impl ErrorCode for StatisticsError {
    fn code(&self) -> &'static str {
        match self {
            Self::Inverted => "INVALID_RANGE",
            Self::TooLong(_) => "RANGE_TOO_LONG",
        }
    }
}

/// A range of office dates, both ends included, at most [`Self::MAX_DAYS`] long: a year,
/// leap day included, which is what a dashboard compares; longer ranges would make one
/// question read every request of the service's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatisticsRange {
    from: NaiveDate,
    to: NaiveDate,
}

/// The office dates whose events count in a range, and the working days they count on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedDays {
    /// Every working day of the range, in order.
    pub working_days: Vec<NaiveDate>,
    /// The first and last office date whose events count on one of `working_days` (closed
    /// days just before the range's first working day count on it); `None` when the range
    /// holds no working day.
    pub dates: Option<(NaiveDate, NaiveDate)>,
}

impl StatisticsRange {
    /// The longest range, in days.
    pub const MAX_DAYS: i64 = 366;

    /// A range from `from` to `to` inclusive.
    pub fn parse(from: NaiveDate, to: NaiveDate) -> Result<Self, StatisticsError> {
        if to < from {
            return Err(StatisticsError::Inverted);
        }
        let days = (to - from).num_days() + 1;
        if days > Self::MAX_DAYS {
            return Err(StatisticsError::TooLong(days));
        }
        Ok(Self { from, to })
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// How far before the range a closed stretch may reach whose events count on the range's
    /// first working day: the calendar must hold these days too. Two months is far more than
    /// the longest closure (Lebaran with cuti bersama, about ten days).
    pub const LOOK_BACK: Duration = Duration::days(62);

    /// The working days of the range under `calendar`, and the office dates counted on them.
    /// `calendar` must know the closed days from [`Self::LOOK_BACK`] before the range to its end.
    pub fn counted_days(&self, calendar: &WorkingCalendar) -> CountedDays {
        let working_days: Vec<NaiveDate> =
            self.from.iter_days().take_while(|d| *d <= self.to).filter(|d| calendar.is_working_day(*d)).collect();
        let dates = match (working_days.first(), working_days.last()) {
            (Some(&first), Some(&last)) => {
                let earliest = self.from - Self::LOOK_BACK;
                let start = calendar
                    .working_day_before(first)
                    .and_then(|d| d.succ_opt())
                    .filter(|d| *d >= earliest)
                    .unwrap_or(earliest);
                Some((start, last))
            }
            _ => None,
        };
        CountedDays { working_days, dates }
    }
}

/// The working day an event of office date `date` counts on (see the module comment).
pub fn counted_on(calendar: &WorkingCalendar, date: NaiveDate) -> Option<NaiveDate> {
    calendar.working_day_on_or_after(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn a_range_runs_forwards_and_at_most_a_leap_year() {
        assert_eq!(StatisticsRange::parse(date(2026, 12, 2), date(2026, 12, 1)), Err(StatisticsError::Inverted));
        assert!(StatisticsRange::parse(date(2026, 12, 1), date(2026, 12, 1)).is_ok());
        assert!(StatisticsRange::parse(date(2027, 1, 1), date(2027, 12, 31)).is_ok());
        assert!(StatisticsRange::parse(date(2028, 1, 1), date(2028, 12, 31)).is_ok(), "366 days of a leap year");
        let too_long = StatisticsRange::parse(date(2026, 1, 1), date(2027, 1, 2));
        assert_eq!(too_long, Err(StatisticsError::TooLong(367)));
        let message = too_long.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("paling banyak 366 hari"), "{message}");
        assert_eq!(StatisticsError::TooLong(367).code(), "RANGE_TOO_LONG");
        assert_eq!(StatisticsError::Inverted.code(), "INVALID_RANGE");
    }

    #[test]
    fn a_weekend_before_the_range_counts_on_its_first_monday_and_one_after_it_does_not() {
        // Monday 7 – Sunday 13 December 2026, Wednesday 9 a holiday.
        let calendar = WorkingCalendar::new([date(2026, 12, 9)], []);
        let range = StatisticsRange::parse(date(2026, 12, 7), date(2026, 12, 13)).unwrap_or_else(|e| panic!("{e}"));
        let days = range.counted_days(&calendar);
        assert_eq!(
            days.working_days,
            vec![date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 10), date(2026, 12, 11)]
        );
        // Saturday 5 and Sunday 6 count on Monday 7; Saturday 12 and Sunday 13 on Monday 14.
        assert_eq!(days.dates, Some((date(2026, 12, 5), date(2026, 12, 11))));
        assert_eq!(counted_on(&calendar, date(2026, 12, 9)), Some(date(2026, 12, 10)));
        assert_eq!(counted_on(&calendar, date(2026, 12, 12)), Some(date(2026, 12, 14)));
    }

    #[test]
    fn a_range_of_closed_days_counts_nothing() {
        let calendar = WorkingCalendar::default();
        let range = StatisticsRange::parse(date(2026, 12, 12), date(2026, 12, 13)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(range.counted_days(&calendar), CountedDays { working_days: Vec::new(), dates: None });
    }
}
