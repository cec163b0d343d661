//! The projection's logic without I/O: request events applied to in-memory rows. A batch of
//! events costs one read and one write per table, however many events it holds.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::request::{RequestEvent, RequestStatus};
use uuid::Uuid;

use super::{BoardRow, Reupload, ReuploadEntry};
use crate::sla::{Pause, SlaCalendar};

/// A work-queue row as stored (the page adds the claimant's name).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(super) struct QueueState {
    pub request_id: Uuid,
    pub number: String,
    pub service_code: String,
    pub service_name: String,
    pub account_id: Uuid,
    pub applicant_name: commands::vault::Personal,
    #[sqlx(try_from = "String")]
    pub status: RequestStatus,
    pub claimed_by: Option<Uuid>,
    pub submitted_at: DateTime<Utc>,
    #[sqlx(json)]
    pub pauses: Vec<Pause>,
    pub due_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// The rows a batch touches, loaded once, changed in memory, written back once.
#[derive(Debug, Default)]
pub(super) struct Rows {
    pub board: HashMap<Uuid, BoardRow>,
    pub queue: HashMap<Uuid, QueueState>,
}

/// `at` as a `timestamptz` column keeps it (whole microseconds). The due time is computed from
/// `submitted_at`, so it must start from the value a later batch reads back, or a rebuild
/// folding the whole life in one batch would be a microsecond off the live row.
fn as_stored(at: DateTime<Utc>) -> DateTime<Utc> {
    chrono::SubsecRound::trunc_subsecs(at, 6)
}

impl QueueState {
    fn recompute_due(&mut self, calendar: &SlaCalendar) {
        if self.closed_at.is_none() {
            self.due_at = calendar.due(self.submitted_at, &self.pauses);
        }
    }
}

impl Rows {
    /// Applies one event of request `id`. Events for rows that do not exist change nothing.
    pub fn apply(&mut self, id: Uuid, event: RequestEvent, calendar: &SlaCalendar) {
        use RequestEvent as E;
        if let E::RequestSubmitted(s) = event {
            let outcome = s.outcome;
            // Labels of documents, for naming re-upload items later.
            let labels = s.requirements.iter().map(|r| (r.code.to_string(), r.label.clone())).collect();
            let status = RequestStatus::Submitted;
            self.board.insert(
                id,
                BoardRow {
                    request_id: id,
                    account_id: s.account_id.0,
                    number: s.number.as_str().to_owned(),
                    service_code: s.service_code.as_str().to_owned(),
                    service_name: s.service_name.clone(),
                    outcome,
                    status,
                    submitted_at: s.submitted_at,
                    updated_at: s.submitted_at,
                    reupload_items: Reupload { labels, items: Vec::new() },
                    result_files: Vec::new(),
                    pickup_place: None,
                    pickup_from: None,
                    collected_at: None,
                    rejection_reason: None,
                    receipt_code: s.receipt_code.as_ref().map(|c| c.as_str().to_owned()),
                },
            );
            let mut queue = QueueState {
                request_id: id,
                number: s.number.as_str().to_owned(),
                service_code: s.service_code.as_str().to_owned(),
                service_name: s.service_name,
                account_id: s.account_id.0,
                applicant_name: commands::vault::Personal::clear(s.applicant_name),
                status,
                claimed_by: None,
                submitted_at: as_stored(s.submitted_at),
                pauses: Vec::new(),
                due_at: None,
                closed_at: None,
                updated_at: s.submitted_at,
            };
            queue.recompute_due(calendar);
            self.queue.insert(id, queue);
            return;
        }
        let (Some(board), Some(queue)) = (self.board.get_mut(&id), self.queue.get_mut(&id)) else {
            return;
        };
        match event {
            E::RequestSubmitted(_) => {}
            E::RequestClaimed { by, at } | E::RequestReassigned { to: by, at, .. } => {
                set_status(board, queue, RequestStatus::InReview, at);
                queue.claimed_by = Some(by.0);
            }
            E::RequestReleased { at, .. } => set_status(board, queue, RequestStatus::Submitted, at),
            E::ReuploadDemanded { items, at, .. } => {
                set_status(board, queue, RequestStatus::AwaitingReupload, at);
                board.reupload_items.items = items
                    .iter()
                    .map(|i| ReuploadEntry {
                        code: i.code.as_str().to_owned(),
                        reason: i.reason.as_str().to_owned(),
                        answered: false,
                    })
                    .collect();
                queue.pauses.push((at, None));
                queue.recompute_due(calendar);
            }
            E::DocumentsReuploaded { documents, all_answered, returned_to, at } => {
                for document in &documents {
                    for item in &mut board.reupload_items.items {
                        if item.code == document.code.as_str() {
                            item.answered = true;
                        }
                    }
                    board.updated_at = at;
                }
                if all_answered {
                    // Back to the demander's claim when the event says so, else to the queue.
                    let status = if returned_to.is_some() { RequestStatus::InReview } else { RequestStatus::Submitted };
                    set_status(board, queue, status, at);
                    queue.claimed_by = returned_to.map(|staff| staff.0);
                    board.reupload_items.items.clear();
                    // Close the open pause: the clock runs again from here, keeping the time used.
                    for pause in &mut queue.pauses {
                        if pause.1.is_none() {
                            pause.1 = Some(at);
                        }
                    }
                    queue.recompute_due(calendar);
                }
            }
            E::RequestCompleted { files, at, .. } => {
                set_status(board, queue, RequestStatus::Completed, at);
                board.result_files = files.iter().map(|f| f.0).collect();
            }
            E::ReadyForPickup { place, available_from, at, .. } => {
                set_status(board, queue, RequestStatus::ReadyForPickup, at);
                board.pickup_place = Some(place.as_str().to_owned());
                board.pickup_from = Some(available_from);
            }
            E::DocumentCollected { at, .. } => {
                set_status(board, queue, RequestStatus::Collected, at);
                board.collected_at = Some(at);
            }
            E::RequestRejected { reason, at, .. } => {
                set_status(board, queue, RequestStatus::Rejected, at);
                board.rejection_reason = Some(reason.as_str().to_owned());
            }
            E::RequestCancelled { at } => set_status(board, queue, RequestStatus::Cancelled, at),
        }
    }

    /// Recomputes every open request's due time (the calendar changed).
    pub fn recompute_all(&mut self, calendar: &SlaCalendar) {
        for queue in self.queue.values_mut() {
            queue.recompute_due(calendar);
        }
    }
}

fn set_status(board: &mut BoardRow, queue: &mut QueueState, status: RequestStatus, at: DateTime<Utc>) {
    board.status = status;
    board.updated_at = at;
    let closed = status.is_closed();
    queue.status = status;
    queue.updated_at = at;
    queue.closed_at = closed.then_some(at);
    if closed || matches!(status, RequestStatus::Submitted | RequestStatus::AwaitingReupload) {
        queue.claimed_by = None;
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use domain::account::{AccountId, Reason};
    use domain::catalogue::{DocumentCode, DocumentRequirement, FileType, Outcome, ServiceCode, SubmittedDocument};
    use domain::document::FileId;
    use domain::request::{RequestId, RequestNumber, ReuploadItem, SubmittedRequest};
    use domain::staff::StaffId;

    use super::*;

    /// Monday 23 November 2026, `hour`:00 in Putussibau (UTC+7).
    fn monday(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, hour - 7, 0, 0).single().unwrap_or_default()
    }

    fn code() -> DocumentCode {
        DocumentCode::parse("KARTU_KELUARGA").expect("code")
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
            requirements: vec![DocumentRequirement {
                code: code(),
                label: "Kartu Keluarga".into(),
                required: true,
                required_for_age: None,
                accepted: vec![FileType::Pdf],
            }],
            submitted_at: at,
            receipt_code: None,
        }))
    }

    fn staff() -> StaffId {
        StaffId(Uuid::from_u128(9))
    }

    #[test]
    fn a_reupload_round_stops_the_clock_and_moves_the_due_time_by_the_pause() {
        let id = Uuid::from_u128(1);
        let calendar = SlaCalendar::default();
        let mut rows = Rows::default();
        rows.apply(id, submitted(id, monday(9)), &calendar);
        let first_due = rows.queue[&id].due_at.expect("due while the clock runs");
        assert!(first_due > monday(9));
        assert_eq!(rows.board[&id].status, RequestStatus::Submitted);

        rows.apply(id, RequestEvent::RequestClaimed { by: staff(), at: monday(10) }, &calendar);
        assert_eq!(rows.queue[&id].claimed_by, Some(staff().0));
        assert_eq!(rows.queue[&id].status, RequestStatus::InReview);

        let items = vec![ReuploadItem { code: code(), reason: Reason::parse("Foto buram").expect("reason") }];
        rows.apply(id, RequestEvent::ReuploadDemanded { by: staff(), items, at: monday(10) }, &calendar);
        assert_eq!(rows.board[&id].status, RequestStatus::AwaitingReupload);
        let reupload = &rows.board[&id].reupload_items;
        assert_eq!(
            reupload.items,
            vec![ReuploadEntry { code: "KARTU_KELUARGA".into(), reason: "Foto buram".into(), answered: false }]
        );
        assert_eq!(reupload.label("KARTU_KELUARGA"), "Kartu Keluarga");
        assert_eq!(rows.queue[&id].claimed_by, None, "a demand hands the request back");
        assert_eq!(rows.queue[&id].due_at, None, "the clock stands still while the resident re-uploads");

        let document = SubmittedDocument { code: code(), file: FileId(Uuid::from_u128(3)), file_type: FileType::Pdf };
        rows.apply(
            id,
            RequestEvent::DocumentsReuploaded {
                documents: vec![document],
                all_answered: true,
                returned_to: None,
                at: monday(12),
            },
            &calendar,
        );
        let queue = &rows.queue[&id];
        assert_eq!(queue.status, RequestStatus::Submitted);
        assert_eq!(queue.pauses, vec![(monday(10), Some(monday(12)))]);
        assert_eq!(queue.due_at, Some(first_due + Duration::hours(2)), "two paused office hours are given back");
        assert_eq!(rows.board[&id].reupload_items.items, Vec::new());
    }

    #[test]
    fn the_due_time_is_the_same_whether_the_life_is_folded_at_once_or_read_back_between_events() {
        let id = Uuid::from_u128(1);
        let calendar = SlaCalendar::default();
        // Times as a clock gives them, with nanoseconds the database will not keep.
        let at = |hour: u32, nanos: i64| monday(hour) + Duration::nanoseconds(nanos);
        let life = |rows: &mut Rows, read_back: bool| {
            rows.apply(id, submitted(id, at(9, 113_663_999)), &calendar);
            let items = vec![ReuploadItem { code: code(), reason: Reason::parse("Foto buram").expect("reason") }];
            rows.apply(id, RequestEvent::ReuploadDemanded { by: staff(), items, at: at(10, 8_766_522) }, &calendar);
            if read_back {
                // What a later batch loads: the row's timestamps as PostgreSQL stored them.
                let queue = rows.queue.get_mut(&id).expect("row");
                queue.submitted_at = chrono::SubsecRound::trunc_subsecs(queue.submitted_at, 6);
            }
            let document =
                SubmittedDocument { code: code(), file: FileId(Uuid::from_u128(3)), file_type: FileType::Pdf };
            let answered = RequestEvent::DocumentsReuploaded {
                documents: vec![document],
                all_answered: true,
                returned_to: None,
                at: at(12, 28_151_239),
            };
            rows.apply(id, answered, &calendar);
            rows.queue[&id].due_at
        };
        let (mut live, mut rebuilt) = (Rows::default(), Rows::default());
        assert_eq!(life(&mut live, true), life(&mut rebuilt, false));
    }

    #[test]
    fn an_answer_returned_to_the_demander_is_in_review_and_claimed_by_them() {
        let id = Uuid::from_u128(1);
        let calendar = SlaCalendar::default();
        let mut rows = Rows::default();
        rows.apply(id, submitted(id, monday(9)), &calendar);
        rows.apply(id, RequestEvent::RequestClaimed { by: staff(), at: monday(10) }, &calendar);
        let items = vec![ReuploadItem { code: code(), reason: Reason::parse("Foto buram").expect("reason") }];
        rows.apply(id, RequestEvent::ReuploadDemanded { by: staff(), items, at: monday(10) }, &calendar);
        let document = SubmittedDocument { code: code(), file: FileId(Uuid::from_u128(3)), file_type: FileType::Pdf };
        let answered = RequestEvent::DocumentsReuploaded {
            documents: vec![document],
            all_answered: true,
            returned_to: Some(staff()),
            at: monday(12),
        };
        rows.apply(id, answered, &calendar);
        let queue = &rows.queue[&id];
        assert_eq!((queue.status, queue.claimed_by), (RequestStatus::InReview, Some(staff().0)));
        assert_eq!(rows.board[&id].status, RequestStatus::InReview);
        assert!(queue.due_at.is_some(), "the clock runs again");
    }

    #[test]
    fn closing_clears_the_claim_and_keeps_the_last_due_time() {
        let id = Uuid::from_u128(1);
        let calendar = SlaCalendar::default();
        let mut rows = Rows::default();
        rows.apply(id, submitted(id, monday(9)), &calendar);
        let due = rows.queue[&id].due_at;
        rows.apply(id, RequestEvent::RequestClaimed { by: staff(), at: monday(10) }, &calendar);
        let files = vec![FileId(Uuid::from_u128(5))];
        rows.apply(id, RequestEvent::RequestCompleted { by: staff(), files, at: monday(11) }, &calendar);
        let queue = &rows.queue[&id];
        assert_eq!((queue.closed_at, queue.claimed_by, queue.due_at), (Some(monday(11)), None, due));
        assert_eq!(rows.board[&id].result_files, vec![Uuid::from_u128(5)]);
        // A calendar change later does not touch a closed request.
        let holiday = SlaCalendar { closed_days: vec![monday(9).date_naive()], outages: Vec::new() };
        rows.recompute_all(&holiday);
        assert_eq!(rows.queue[&id].due_at, due);
    }

    #[test]
    fn a_holiday_moves_an_open_request_and_events_of_unknown_requests_change_nothing() {
        let id = Uuid::from_u128(1);
        let mut rows = Rows::default();
        rows.apply(id, submitted(id, monday(9)), &SlaCalendar::default());
        let before = rows.queue[&id].due_at.expect("due");
        let tuesday = before.date_naive();
        let holiday = SlaCalendar { closed_days: vec![tuesday], outages: Vec::new() };
        rows.recompute_all(&holiday);
        assert_eq!(rows.queue[&id].due_at, Some(before + Duration::days(1)), "Tuesday closed: due on Wednesday");

        let stranger = Uuid::from_u128(2);
        rows.apply(stranger, RequestEvent::RequestCancelled { at: monday(10) }, &holiday);
        assert_eq!((rows.board.len(), rows.queue.len()), (1, 1));
    }
}
