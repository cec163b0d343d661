//! Figures of a range assembled from per-date counts, without I/O: each office date's counts
//! go to the working day they count on ([`domain::statistics`]), days to their ISO week.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use domain::request::RequestStatus;
use domain::statistics::{CountedDays, counted_on};
use domain::working_time::WorkingCalendar;

/// Requests finished on one office date in one way, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FinishedCount {
    pub finished_on: NaiveDate,
    #[sqlx(try_from = "String")]
    pub finished_as: RequestStatus,
    pub finished: i64,
    pub within_promise: i64,
}

/// What came in and what was answered on one working day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayFigures {
    pub date: NaiveDate,
    pub submitted: i64,
    pub completed: i64,
    pub ready_for_pickup: i64,
    pub rejected: i64,
    pub within_promise: i64,
}

impl DayFigures {
    /// Requests the office answered: completed, ready for pick-up or rejected.
    pub fn finished(&self) -> i64 {
        self.completed + self.ready_for_pickup + self.rejected
    }
}

/// The promise kept in one ISO week (its working days within the range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekFigures {
    pub iso_year: i32,
    pub iso_week: u32,
    /// The Monday of the week.
    pub starts_on: NaiveDate,
    pub finished: i64,
    pub within_promise: i64,
}

impl WeekFigures {
    /// `2026-W50`, ISO 8601.
    pub fn label(&self) -> String {
        format!("{}-W{:02}", self.iso_year, self.iso_week)
    }

    /// The share of finished requests answered within the promise; `None` if none finished.
    pub fn share(&self) -> Option<f64> {
        share(self.within_promise, self.finished)
    }
}

/// `part / whole`, or `None` when there is no whole.
pub fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// One figure per working day of `counted`, from counts per office date.
pub fn days(
    calendar: &WorkingCalendar,
    counted: &CountedDays,
    submitted: &[(NaiveDate, i64)],
    finished: &[FinishedCount],
) -> Vec<DayFigures> {
    let mut days: BTreeMap<NaiveDate, DayFigures> =
        counted.working_days.iter().map(|&date| (date, DayFigures { date, ..DayFigures::default() })).collect();
    for &(date, count) in submitted {
        if let Some(day) = day_of(&mut days, calendar, date) {
            day.submitted += count;
        }
    }
    for row in finished {
        let Some(day) = day_of(&mut days, calendar, row.finished_on) else { continue };
        match row.finished_as {
            RequestStatus::Completed => day.completed += row.finished,
            RequestStatus::ReadyForPickup => day.ready_for_pickup += row.finished,
            RequestStatus::Rejected => day.rejected += row.finished,
            _ => continue,
        }
        day.within_promise += row.within_promise;
    }
    days.into_values().collect()
}

/// The figures of the working day that events of office date `date` count on, if in range.
fn day_of<'a>(
    days: &'a mut BTreeMap<NaiveDate, DayFigures>,
    calendar: &WorkingCalendar,
    date: NaiveDate,
) -> Option<&'a mut DayFigures> {
    counted_on(calendar, date).and_then(|day| days.get_mut(&day))
}

/// The days grouped by ISO week, in order.
pub fn weeks(days: &[DayFigures]) -> Vec<WeekFigures> {
    let mut weeks: Vec<WeekFigures> = Vec::new();
    for day in days {
        let iso = day.date.iso_week();
        match weeks.last_mut() {
            Some(week) if (week.iso_year, week.iso_week) == (iso.year(), iso.week()) => {
                week.finished += day.finished();
                week.within_promise += day.within_promise;
            }
            _ => weeks.push(WeekFigures {
                iso_year: iso.year(),
                iso_week: iso.week(),
                starts_on: NaiveDate::from_isoywd_opt(iso.year(), iso.week(), Weekday::Mon).unwrap_or(day.date),
                finished: day.finished(),
                within_promise: day.within_promise,
            }),
        }
    }
    weeks
}

#[cfg(test)]
mod tests {
    use domain::statistics::StatisticsRange;

    use super::*;

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default()
    }

    fn finished(on: NaiveDate, how: &str, count: i64, within: i64) -> FinishedCount {
        let finished_as = how.parse().unwrap_or(RequestStatus::Cancelled);
        FinishedCount { finished_on: on, finished_as, finished: count, within_promise: within }
    }

    #[test]
    fn closed_days_count_on_the_next_working_day_and_weeks_add_up() {
        // Monday 7 – Tuesday 15 December 2026; Wednesday 9 closed.
        let calendar = WorkingCalendar::new([date(12, 9)], []);
        let range = StatisticsRange::parse(date(12, 7), date(12, 15)).expect("range");
        let counted = range.counted_days(&calendar);
        let submitted = [(date(12, 6), 2), (date(12, 7), 1), (date(12, 9), 1), (date(12, 12), 4)];
        let answered = [
            finished(date(12, 7), "COMPLETED", 1, 1),
            finished(date(12, 11), "REJECTED", 1, 0),
            finished(date(12, 14), "READY_FOR_PICKUP", 2, 2),
        ];
        let days = days(&calendar, &counted, &submitted, &answered);
        let summary: Vec<(u32, i64, i64)> = days.iter().map(|d| (d.date.day(), d.submitted, d.finished())).collect();
        assert_eq!(summary, vec![(7, 3, 1), (8, 0, 0), (10, 1, 0), (11, 0, 1), (14, 4, 2), (15, 0, 0)]);
        let weeks = weeks(&days);
        let labels: Vec<String> = weeks.iter().map(WeekFigures::label).collect();
        assert_eq!(labels, vec!["2026-W50", "2026-W51"]);
        assert_eq!((weeks[0].starts_on, weeks[0].finished, weeks[0].share()), (date(12, 7), 2, Some(0.5)));
        assert_eq!((weeks[1].finished, weeks[1].share()), (2, Some(1.0)));
        assert_eq!(share(0, 0), None);
    }

    #[test]
    fn the_iso_year_is_the_weeks_own() {
        let days = [DayFigures { date: date(12, 31), completed: 1, within_promise: 1, ..Default::default() }];
        // Thursday 31 December 2026 is in 2026-W53.
        assert_eq!(weeks(&days)[0].label(), "2026-W53");
        let january =
            [DayFigures { date: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default(), ..Default::default() }];
        assert_eq!(weeks(&january)[0].label(), "2026-W53");
    }
}
