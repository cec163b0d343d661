//! The office's working clock: Monday–Friday 08:00–16:00 WIB, minus holidays and cuti bersama,
//! minus declared outages. It answers "is it open at t" and "when is t plus N working hours" —
//! the SLA clock ("paling lambat 1×24 jam di hari dan jam kerja").
//!
//! Asia/Jakarta has had no daylight saving since 1964, so every working day is exactly
//! 8 hours long; the code still converts through the time-zone database rather than
//! hard-coding +07:00, so it stays right if that ever changes.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Asia::Jakarta;
use chrono_tz::Tz;

/// The office's time zone (WIB).
pub const OFFICE_TZ: Tz = Jakarta;

/// Opening time on a working day.
pub const OPENS_AT: NaiveTime = match NaiveTime::from_hms_opt(8, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// Closing time on a working day (exclusive).
pub const CLOSES_AT: NaiveTime = match NaiveTime::from_hms_opt(16, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// How far ahead the clock searches before giving up (ten years of calendar days).
const SEARCH_LIMIT_DAYS: i64 = 3660;

/// A period in which the national data link was down and the SLA clock stood still.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    pub start: DateTime<Utc>,
    /// `None` while the outage is still going on.
    pub end: Option<DateTime<Utc>>,
}

/// The office calendar as the clock needs it.
#[derive(Debug, Clone, Default)]
pub struct WorkingCalendar {
    holidays: BTreeSet<NaiveDate>,
    /// Sorted by start.
    outages: Vec<Outage>,
}

impl WorkingCalendar {
    /// A calendar with these closed days (holidays and cuti bersama) and outages.
    pub fn new(holidays: impl IntoIterator<Item = NaiveDate>, outages: impl IntoIterator<Item = Outage>) -> Self {
        let mut outages: Vec<Outage> = outages.into_iter().collect();
        outages.sort_by_key(|o| o.start);
        Self { holidays: holidays.into_iter().collect(), outages }
    }

    /// Whether `date` (office-local) is a working day: Monday–Friday and not a holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&date)
    }

    /// The first working day on or after `date`: the day the office meets what arrived while
    /// it was closed. `None` if none exists in the next ten years.
    pub fn working_day_on_or_after(&self, date: NaiveDate) -> Option<NaiveDate> {
        (0..SEARCH_LIMIT_DAYS)
            .filter_map(|offset| date.checked_add_signed(Duration::days(offset)))
            .find(|day| self.is_working_day(*day))
    }

    /// The last working day before `date`, or `None` if none exists in the past ten years.
    pub fn working_day_before(&self, date: NaiveDate) -> Option<NaiveDate> {
        (1..=SEARCH_LIMIT_DAYS)
            .filter_map(|offset| date.checked_sub_signed(Duration::days(offset)))
            .find(|day| self.is_working_day(*day))
    }

    /// Whether the office is open at `t`: a working day, within office hours.
    /// An outage does not close the office (staff still answer residents); it only stops the
    /// SLA clock, see [`Self::is_working_time`].
    pub fn is_office_open(&self, t: DateTime<Utc>) -> bool {
        let local = t.with_timezone(&OFFICE_TZ);
        self.is_working_day(local.date_naive()) && (OPENS_AT..CLOSES_AT).contains(&local.time())
    }

    /// Whether the SLA clock runs at `t`: the office is open and no outage is in force.
    pub fn is_working_time(&self, t: DateTime<Utc>) -> bool {
        self.is_office_open(t) && self.outage_at(t).is_none()
    }

    /// The outage in force at `t`, if any.
    pub fn outage_at(&self, t: DateTime<Utc>) -> Option<&Outage> {
        self.outages.iter().find(|o| o.start <= t && o.end.is_none_or(|end| t < end))
    }

    /// When the office next opens after `t`, or `None` if it is open at `t` (or no opening
    /// exists in the next ten years).
    pub fn next_opening(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_office_open(t) {
            return None;
        }
        let today = t.with_timezone(&OFFICE_TZ).date_naive();
        (0..SEARCH_LIMIT_DAYS)
            .filter_map(|offset| today.checked_add_signed(Duration::days(offset)))
            .filter(|date| self.is_working_day(*date))
            .filter_map(|date| local_instant(date, OPENS_AT))
            .find(|opening| *opening > t)
    }

    /// The instant at which `amount` of working time has elapsed since `start`: the SLA due
    /// time. Time outside office hours, on closed days and during outages does not count.
    /// `None` when the clock is stopped indefinitely (an outage with no end yet) or the answer
    /// lies beyond ten years. A zero amount gives the first working instant at or after `start`.
    pub fn add_working_time(&self, start: DateTime<Utc>, amount: Duration) -> Option<DateTime<Utc>> {
        let mut remaining = amount.max(Duration::zero());
        let first_day = start.with_timezone(&OFFICE_TZ).date_naive();
        for offset in 0..SEARCH_LIMIT_DAYS {
            let date = first_day.checked_add_signed(Duration::days(offset))?;
            for (from, to) in self.working_windows(date) {
                let from = from.max(start);
                if to <= from {
                    continue;
                }
                let length = to - from;
                if remaining <= length {
                    return Some(from + remaining);
                }
                remaining -= length;
            }
            if self.open_ended_outage_before(date) {
                return None;
            }
        }
        None
    }

    /// Working time elapsed between `from` and `to` (zero if `to` is not after `from`):
    /// e.g. how long an account has waited for verification, in office hours.
    pub fn working_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let first = from.with_timezone(&OFFICE_TZ).date_naive();
        let last = to.with_timezone(&OFFICE_TZ).date_naive();
        first
            .iter_days()
            .take_while(|date| *date <= last)
            .flat_map(|date| self.working_windows(date))
            .map(|(a, b)| (a.max(from), b.min(to)))
            .filter(|(a, b)| a < b)
            .fold(Duration::zero(), |sum, (a, b)| sum + (b - a))
    }

    /// The intervals of `date` during which the SLA clock runs, in order.
    fn working_windows(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_working_day(date) {
            return Vec::new();
        }
        let (Some(open), Some(close)) = (local_instant(date, OPENS_AT), local_instant(date, CLOSES_AT)) else {
            return Vec::new();
        };
        let mut windows = vec![(open, close)];
        for outage in &self.outages {
            let outage_end = outage.end.unwrap_or(DateTime::<Utc>::MAX_UTC);
            windows = windows
                .into_iter()
                .flat_map(|(a, b)| {
                    let before = (a, b.min(outage.start));
                    let after = (a.max(outage_end), b);
                    [before, after].into_iter().filter(|(x, y)| x < y)
                })
                .collect();
        }
        windows
    }

    fn open_ended_outage_before(&self, date: NaiveDate) -> bool {
        let Some(end_of_day) = date.succ_opt().and_then(|next| local_instant(next, NaiveTime::MIN)) else {
            return false;
        };
        self.outages.iter().any(|o| o.end.is_none() && o.start < end_of_day)
    }
}

/// The UTC instant of an office-local wall-clock time.
pub fn local_instant(date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    OFFICE_TZ.from_local_datetime(&date.and_time(time)).single().map(|local| local.with_timezone(&Utc))
}

/// An instant as residents and officers read it: `02-12-2026 10.32 WIB`.
pub fn format_wib(t: DateTime<Utc>) -> String {
    t.with_timezone(&OFFICE_TZ).format("%d-%m-%Y %H.%M WIB").to_string()
}

/// Today's date at the office at instant `t`.
pub fn office_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&OFFICE_TZ).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    /// Office-local wall-clock time as a UTC instant.
    fn wib(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        let time = NaiveTime::from_hms_opt(h, min, 0).unwrap_or_default();
        local_instant(date(y, m, d), time).unwrap_or_default()
    }

    const SLA: Duration = Duration::hours(8);

    fn plain() -> WorkingCalendar {
        WorkingCalendar::default()
    }

    // 2026-11-23 is a Monday.

    #[test]
    fn wib_is_utc_plus_seven_all_year_without_dst() {
        for month in 1..=12 {
            let t = wib(2026, month, 15, 8, 0);
            assert_eq!(t, Utc.with_ymd_and_hms(2026, month, 15, 1, 0, 0).single().unwrap_or_default());
        }
    }

    #[test]
    fn open_during_hours_on_weekdays() {
        let cal = plain();
        assert!(cal.is_office_open(wib(2026, 11, 23, 8, 0)));
        assert!(cal.is_office_open(wib(2026, 11, 27, 15, 59)));
        assert!(!cal.is_office_open(wib(2026, 11, 23, 7, 59)));
        assert!(!cal.is_office_open(wib(2026, 11, 23, 16, 0)));
        assert!(!cal.is_office_open(wib(2026, 11, 23, 23, 0)));
    }

    #[test]
    fn closed_on_weekends() {
        let cal = plain();
        assert!(!cal.is_office_open(wib(2026, 11, 28, 10, 0)));
        assert!(!cal.is_office_open(wib(2026, 11, 29, 10, 0)));
    }

    #[test]
    fn closed_on_holidays_and_cuti_bersama() {
        let cal = WorkingCalendar::new([date(2026, 11, 24)], []);
        assert!(!cal.is_office_open(wib(2026, 11, 24, 10, 0)));
        assert!(cal.is_office_open(wib(2026, 11, 25, 10, 0)));
    }

    #[test]
    fn utc_midnight_is_already_seven_in_the_office() {
        // 00:30 UTC on Monday is 07:30 WIB: closed. 01:30 UTC is 08:30 WIB: open.
        let cal = plain();
        assert!(!cal.is_office_open(Utc.with_ymd_and_hms(2026, 11, 23, 0, 30, 0).single().unwrap_or_default()));
        assert!(cal.is_office_open(Utc.with_ymd_and_hms(2026, 11, 23, 1, 30, 0).single().unwrap_or_default()));
    }

    #[test]
    fn sla_is_same_clock_time_next_working_day() {
        assert_eq!(plain().add_working_time(wib(2026, 11, 23, 10, 0), SLA), Some(wib(2026, 11, 24, 10, 0)));
    }

    #[test]
    fn sla_from_friday_lands_on_monday() {
        assert_eq!(plain().add_working_time(wib(2026, 11, 27, 10, 0), SLA), Some(wib(2026, 11, 30, 10, 0)));
    }

    #[test]
    fn submission_at_night_starts_counting_at_next_opening() {
        // Monday 20:00 → starts Tuesday 08:00 → due Tuesday 16:00.
        assert_eq!(plain().add_working_time(wib(2026, 11, 23, 20, 0), SLA), Some(wib(2026, 11, 24, 16, 0)));
        // Monday 06:00 → due Monday 16:00.
        assert_eq!(plain().add_working_time(wib(2026, 11, 23, 6, 0), SLA), Some(wib(2026, 11, 23, 16, 0)));
    }

    #[test]
    fn submission_on_weekend_starts_monday() {
        assert_eq!(plain().add_working_time(wib(2026, 11, 28, 11, 0), SLA), Some(wib(2026, 11, 30, 16, 0)));
    }

    #[test]
    fn holiday_is_skipped() {
        let cal = WorkingCalendar::new([date(2026, 11, 24)], []);
        assert_eq!(cal.add_working_time(wib(2026, 11, 23, 10, 0), SLA), Some(wib(2026, 11, 25, 10, 0)));
    }

    #[test]
    fn year_end_with_new_year_holiday_and_weekend() {
        // Thursday 31 Dec 2026 14:00; 1 Jan 2027 (Friday) is a holiday; weekend; Monday 4 Jan.
        let cal = WorkingCalendar::new([date(2027, 1, 1)], []);
        assert_eq!(cal.add_working_time(wib(2026, 12, 31, 14, 0), SLA), Some(wib(2027, 1, 4, 14, 0)));
        assert_eq!(cal.next_opening(wib(2026, 12, 31, 17, 0)), Some(wib(2027, 1, 4, 8, 0)));
    }

    #[test]
    fn long_cuti_bersama_block() {
        // Lebaran-like week: Mon–Fri all closed.
        let days = (23..=27).map(|d| date(2026, 11, d));
        let cal = WorkingCalendar::new(days, []);
        assert_eq!(cal.add_working_time(wib(2026, 11, 20, 12, 0), SLA), Some(wib(2026, 11, 30, 12, 0)));
    }

    #[test]
    fn ending_exactly_at_closing_time_stays_that_day() {
        assert_eq!(plain().add_working_time(wib(2026, 11, 23, 8, 0), SLA), Some(wib(2026, 11, 23, 16, 0)));
    }

    #[test]
    fn zero_amount_gives_next_working_instant() {
        assert_eq!(plain().add_working_time(wib(2026, 11, 28, 9, 0), Duration::zero()), Some(wib(2026, 11, 30, 8, 0)));
        assert_eq!(plain().add_working_time(wib(2026, 11, 23, 9, 0), Duration::zero()), Some(wib(2026, 11, 23, 9, 0)));
    }

    #[test]
    fn outage_pauses_the_clock() {
        // Two-hour outage on Monday 11:00–13:00 pushes the due time by two working hours.
        let outage = Outage { start: wib(2026, 11, 23, 11, 0), end: Some(wib(2026, 11, 23, 13, 0)) };
        let cal = WorkingCalendar::new([], [outage]);
        assert_eq!(cal.add_working_time(wib(2026, 11, 23, 10, 0), SLA), Some(wib(2026, 11, 24, 12, 0)));
        assert!(cal.is_office_open(wib(2026, 11, 23, 12, 0)));
        assert!(!cal.is_working_time(wib(2026, 11, 23, 12, 0)));
        assert!(cal.is_working_time(wib(2026, 11, 23, 13, 0)));
    }

    #[test]
    fn outage_spanning_a_night_only_costs_working_hours() {
        let outage = Outage { start: wib(2026, 11, 23, 15, 0), end: Some(wib(2026, 11, 24, 9, 0)) };
        let cal = WorkingCalendar::new([], [outage]);
        // Lost: Mon 15–16 and Tue 08–09, two working hours.
        assert_eq!(cal.add_working_time(wib(2026, 11, 23, 10, 0), SLA), Some(wib(2026, 11, 24, 12, 0)));
    }

    #[test]
    fn open_ended_outage_stops_the_clock_indefinitely() {
        let outage = Outage { start: wib(2026, 11, 23, 12, 0), end: None };
        let cal = WorkingCalendar::new([], [outage]);
        assert_eq!(cal.add_working_time(wib(2026, 11, 23, 10, 0), SLA), None);
        // Work that fits before the outage is still due normally.
        assert_eq!(cal.add_working_time(wib(2026, 11, 23, 10, 0), Duration::hours(1)), Some(wib(2026, 11, 23, 11, 0)));
        assert!(cal.outage_at(wib(2030, 1, 1, 0, 0)).is_some());
    }

    #[test]
    fn next_opening_when_closed_and_none_when_open() {
        let cal = WorkingCalendar::new([date(2026, 11, 24)], []);
        assert_eq!(cal.next_opening(wib(2026, 11, 23, 10, 0)), None);
        assert_eq!(cal.next_opening(wib(2026, 11, 23, 17, 0)), Some(wib(2026, 11, 25, 8, 0)));
        assert_eq!(cal.next_opening(wib(2026, 11, 23, 7, 0)), Some(wib(2026, 11, 23, 8, 0)));
        assert_eq!(cal.next_opening(wib(2026, 11, 28, 7, 0)), Some(wib(2026, 11, 30, 8, 0)));
    }

    #[test]
    fn closed_days_belong_to_the_next_working_day() {
        // Tuesday 24 November a holiday; 28–29 November a weekend.
        let cal = WorkingCalendar::new([date(2026, 11, 24)], []);
        assert_eq!(cal.working_day_on_or_after(date(2026, 11, 23)), Some(date(2026, 11, 23)));
        assert_eq!(cal.working_day_on_or_after(date(2026, 11, 24)), Some(date(2026, 11, 25)));
        assert_eq!(cal.working_day_on_or_after(date(2026, 11, 28)), Some(date(2026, 11, 30)));
        assert_eq!(cal.working_day_before(date(2026, 11, 25)), Some(date(2026, 11, 23)));
        assert_eq!(cal.working_day_before(date(2026, 11, 30)), Some(date(2026, 11, 27)));
    }

    #[test]
    fn working_time_between_counts_only_office_hours() {
        let cal = WorkingCalendar::new([date(2026, 11, 24)], []);
        // Friday 15:00 → Monday 09:00: 1 h Friday + 1 h Monday.
        assert_eq!(cal.working_time_between(wib(2026, 11, 20, 15, 0), wib(2026, 11, 23, 9, 0)), Duration::hours(2));
        // Monday 10:00 → Wednesday 10:00 with Tuesday a holiday: 6 h + 2 h.
        assert_eq!(cal.working_time_between(wib(2026, 11, 23, 10, 0), wib(2026, 11, 25, 10, 0)), Duration::hours(8));
        assert_eq!(cal.working_time_between(wib(2026, 11, 25, 10, 0), wib(2026, 11, 23, 10, 0)), Duration::zero());
    }

    #[test]
    fn add_and_between_agree() {
        let outage = Outage { start: wib(2026, 11, 25, 9, 30), end: Some(wib(2026, 11, 25, 10, 15)) };
        let cal = WorkingCalendar::new([date(2026, 11, 26)], [outage]);
        let mut start = wib(2026, 11, 21, 0, 0);
        while start < wib(2026, 12, 2, 0, 0) {
            if let Some(due) = cal.add_working_time(start, SLA) {
                assert_eq!(cal.working_time_between(start, due), SLA, "start {start}");
            }
            start += Duration::minutes(97);
        }
    }
}
