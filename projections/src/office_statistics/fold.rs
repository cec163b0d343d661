//! The projection's logic without I/O: request events folded into statistics rows in memory.
//! A batch costs one read and one write per table, however many events it holds.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::request::{RequestEvent, RequestStatus};
use domain::staff::StaffId;
use domain::working_time::office_date;
use uuid::Uuid;

use crate::sla::{Pause, SlaCalendar, is_late};

/// A request as the statistics know it (a row of `statistics_requests`).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(super) struct RequestFacts {
    pub request_id: Uuid,
    pub submitted_at: DateTime<Utc>,
    pub submitted_on: NaiveDate,
    #[sqlx(json)]
    pub pauses: Vec<Pause>,
    pub finished_on: Option<NaiveDate>,
    pub finished_as: Option<String>,
    pub within_promise: Option<bool>,
    pub working_seconds: Option<i64>,
}

/// What one staff member did on one day: increments, added to the stored counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct StaffDay {
    pub finished: i64,
    pub reupload_demands: i64,
}

/// The rows a batch touches, loaded once, changed in memory, written back once.
#[derive(Debug, Default)]
pub(super) struct Rows {
    pub requests: HashMap<Uuid, RequestFacts>,
    /// Increments per (office date, staff member).
    pub staff_days: HashMap<(NaiveDate, Uuid), StaffDay>,
}

/// The staff member, time and new status of a step an officer took on a request.
fn staff_step(event: &RequestEvent) -> Option<(StaffId, DateTime<Utc>, RequestStatus)> {
    use RequestEvent as E;
    match *event {
        E::RequestCompleted { by, at, .. } => Some((by, at, RequestStatus::Completed)),
        E::ReadyForPickup { by, at, .. } => Some((by, at, RequestStatus::ReadyForPickup)),
        E::DocumentCollected { by, at } => Some((by, at, RequestStatus::Collected)),
        E::RequestRejected { by, at, .. } => Some((by, at, RequestStatus::Rejected)),
        _ => None,
    }
}

impl Rows {
    /// Applies one event of request `id`, with the SLA clock's calendar as it stands at the
    /// event. Events of requests not known change nothing.
    pub fn apply(&mut self, id: Uuid, event: RequestEvent, calendar: &SlaCalendar) {
        if let RequestEvent::RequestSubmitted(s) = &event {
            self.requests.insert(
                id,
                RequestFacts {
                    request_id: id,
                    submitted_at: s.submitted_at,
                    submitted_on: office_date(s.submitted_at),
                    pauses: Vec::new(),
                    finished_on: None,
                    finished_as: None,
                    within_promise: None,
                    working_seconds: None,
                },
            );
            return;
        }
        let Some(request) = self.requests.get_mut(&id) else { return };
        match event {
            RequestEvent::ReuploadDemanded { by, at, .. } => {
                request.pauses.push((at, None));
                self.staff_days.entry((office_date(at), by.0)).or_default().reupload_demands += 1;
            }
            RequestEvent::DocumentsReuploaded { all_answered: true, at, .. } => {
                for pause in &mut request.pauses {
                    if pause.1.is_none() {
                        pause.1 = Some(at);
                    }
                }
            }
            ref step => {
                let Some((by, at, status)) = staff_step(step) else { return };
                if !status.is_finished() || request.finished_on.is_some() {
                    return;
                }
                // The work queue's due time and lateness rule, on the same clock.
                let due = calendar.due(request.submitted_at, &request.pauses);
                request.finished_on = Some(office_date(at));
                request.finished_as = Some(status.as_str().to_owned());
                request.within_promise = Some(!is_late(due, at));
                request.working_seconds =
                    Some(calendar.elapsed(request.submitted_at, &request.pauses, at).num_seconds());
                self.staff_days.entry((office_date(at), by.0)).or_default().finished += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;
    use domain::account::{AccountId, Reason};
    use domain::catalogue::{Outcome, ServiceCode};
    use domain::document::FileId;
    use domain::request::{PickupPlace, RequestId, RequestNumber, ReuploadItem, SubmittedRequest};
    use domain::working_time::local_instant;

    use super::*;

    fn wib(day: u32, hour: u32) -> DateTime<Utc> {
        let date = NaiveDate::from_ymd_opt(2026, 12, day).unwrap_or_default();
        local_instant(date, NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default()).unwrap_or_default()
    }

    fn submitted(id: Uuid, at: DateTime<Utc>) -> RequestEvent {
        RequestEvent::RequestSubmitted(Box::new(SubmittedRequest {
            request_id: RequestId(id),
            account_id: AccountId(Uuid::from_u128(7)),
            applicant_name: "Siti Aminah".into(),
            number: RequestNumber::new(2026, 1),
            service_code: ServiceCode::parse("AKTA_KELAHIRAN").expect("service"),
            service_name: "Akta Kelahiran".into(),
            outcome: Outcome::Download,
            catalogue_version: 1,
            fields: Default::default(),
            documents: Vec::new(),
            requirements: Vec::new(),
            submitted_at: at,
            receipt_code: None,
        }))
    }

    const BUDI: StaffId = StaffId(Uuid::from_u128(9));

    #[test]
    fn an_answer_within_one_working_day_keeps_the_promise_and_counts_for_its_officer() {
        let id = Uuid::from_u128(1);
        let mut rows = Rows::default();
        let calendar = SlaCalendar::default();
        // Monday 7 December 10:00, completed 14:00.
        rows.apply(id, submitted(id, wib(7, 10)), &calendar);
        let files = vec![FileId(Uuid::from_u128(5))];
        rows.apply(id, RequestEvent::RequestCompleted { by: BUDI, files, at: wib(7, 14) }, &calendar);
        let facts = &rows.requests[&id];
        assert_eq!(facts.finished_as.as_deref(), Some("COMPLETED"));
        assert_eq!((facts.within_promise, facts.working_seconds), (Some(true), Some(4 * 3600)));
        assert_eq!(rows.staff_days[&(office_date(wib(7, 14)), BUDI.0)], StaffDay { finished: 1, reupload_demands: 0 });
    }

    #[test]
    fn a_holiday_and_a_reupload_move_the_promise_and_a_late_rejection_breaks_it() {
        let id = Uuid::from_u128(1);
        let mut rows = Rows::default();
        // Wednesday 9 December closed. Submitted Tuesday 11:00; re-upload 13:00–15:00.
        let calendar = SlaCalendar { closed_days: vec![office_date(wib(9, 10))], outages: Vec::new() };
        rows.apply(id, submitted(id, wib(8, 11)), &calendar);
        let items = vec![ReuploadItem {
            code: domain::catalogue::DocumentCode::parse("KARTU_KELUARGA").expect("code"),
            reason: Reason::parse("Foto buram").expect("reason"),
        }];
        rows.apply(id, RequestEvent::ReuploadDemanded { by: BUDI, items, at: wib(8, 13) }, &calendar);
        rows.apply(
            id,
            RequestEvent::DocumentsReuploaded {
                documents: Vec::new(),
                all_answered: true,
                returned_to: None,
                at: wib(8, 15),
            },
            &calendar,
        );
        // Due Thursday 13:00; at Thursday 12:59 it would still be on time.
        assert_eq!(calendar.due(wib(8, 11), &rows.requests[&id].pauses), Some(wib(10, 13)));
        let reason = Reason::parse("Data tidak sesuai").expect("reason");
        rows.apply(id, RequestEvent::RequestRejected { by: BUDI, reason, at: wib(11, 10) }, &calendar);
        let facts = &rows.requests[&id];
        assert_eq!(facts.finished_as.as_deref(), Some("REJECTED"));
        assert_eq!(facts.within_promise, Some(false));
        // Tuesday 11–13 and 15–16, Thursday 8–16, Friday 8–10: 13 hours on the clock.
        assert_eq!(facts.working_seconds, Some(13 * 3600));
        let day = rows.staff_days[&(office_date(wib(8, 13)), BUDI.0)];
        assert_eq!(day, StaffDay { finished: 0, reupload_demands: 1 });
    }

    #[test]
    fn collection_and_cancellation_are_not_answers() {
        let calendar = SlaCalendar::default();
        let mut rows = Rows::default();
        let (pickup, cancelled) = (Uuid::from_u128(1), Uuid::from_u128(2));
        rows.apply(pickup, submitted(pickup, wib(7, 9)), &calendar);
        rows.apply(cancelled, submitted(cancelled, wib(7, 9)), &calendar);
        let place = PickupPlace::parse("Loket 2").expect("place");
        let ready = RequestEvent::ReadyForPickup { by: BUDI, place, available_from: wib(8, 8), at: wib(7, 15) };
        rows.apply(pickup, ready, &calendar);
        rows.apply(pickup, RequestEvent::DocumentCollected { by: BUDI, at: wib(8, 9) }, &calendar);
        rows.apply(cancelled, RequestEvent::RequestCancelled { at: wib(7, 10) }, &calendar);
        assert_eq!(rows.requests[&pickup].finished_on, Some(office_date(wib(7, 15))), "answered when ready");
        assert_eq!(rows.requests[&pickup].finished_as.as_deref(), Some("READY_FOR_PICKUP"));
        assert_eq!(rows.requests[&cancelled].finished_on, None);
        let total: i64 = rows.staff_days.values().map(|d| d.finished).sum();
        assert_eq!(total, 1, "collection is not a second answer");
    }
}
