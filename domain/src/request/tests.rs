//! Given/when/then tests of the request state machine.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::account::{AccountId, Reason};
use crate::catalogue::{Catalogue, DocumentCode, FileType, ServiceCode, SubmittedDocument};
use crate::document::{DocumentProblem, FileId};
use crate::staff::StaffId;

type Given = TestFramework<ServiceRequest>;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 3, 0, 0).single().unwrap_or_default()
}

fn owner() -> AccountId {
    AccountId(Uuid::from_u128(1))
}

fn budi() -> StaffId {
    StaffId(Uuid::from_u128(10))
}

fn sri() -> StaffId {
    StaffId(Uuid::from_u128(11))
}

fn code(raw: &str) -> DocumentCode {
    DocumentCode::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

fn doc(raw: &str, file_type: FileType) -> SubmittedDocument {
    SubmittedDocument { code: code(raw), file: FileId(Uuid::from_u128(raw.len() as u128)), file_type }
}

fn submit(service_code: &str) -> RequestCommand {
    let catalogue =
        Catalogue::from_toml(include_str!("../../../catalogue/services.toml")).unwrap_or_else(|e| panic!("{e}"));
    let service = catalogue.service(&ServiceCode::parse(service_code).unwrap_or_else(|e| panic!("{e}"))).cloned();
    let (fields, documents): (Vec<(&str, &str)>, Vec<SubmittedDocument>) = match service_code {
        "AKTA_KELAHIRAN" => (
            vec![
                ("nama_anak", "Dayang Sumbi"),
                ("jenis_kelamin", "Perempuan"),
                ("tempat_lahir", "Putussibau"),
                ("tanggal_lahir", "2026-11-01"),
                ("anak_ke", "1"),
                ("nik_ibu", "6106015205900001"),
            ],
            vec![
                doc("SURAT_KETERANGAN_LAHIR", FileType::Pdf),
                doc("KARTU_KELUARGA", FileType::Jpeg),
                doc("KTP_ORANG_TUA", FileType::Jpeg),
            ],
        ),
        _ => (
            vec![("tanggal_kehilangan", "2026-11-20")],
            vec![doc("SURAT_KEHILANGAN", FileType::Pdf), doc("KARTU_KELUARGA", FileType::Jpeg)],
        ),
    };
    RequestCommand::Submit {
        request_id: RequestId(Uuid::from_u128(99)),
        account_id: owner(),
        applicant_name: "Siti Aminah".into(),
        number: RequestNumber::new(2026, 1),
        service: Box::new(service.unwrap_or_else(|| panic!("service"))),
        catalogue_version: 1,
        fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect::<BTreeMap<_, _>>(),
        documents,
        receipt_code: crate::request::ReceiptCode::from_random([7; 10]),
        today: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default(),
        at: at(),
    }
}

fn submitted(service_code: &str) -> RequestEvent {
    let mut request = ServiceRequest::default();
    let events = cqrs_es_decide(&mut request, submit(service_code));
    events.into_iter().next().unwrap_or_else(|| panic!("no event"))
}

fn cqrs_es_decide(request: &mut ServiceRequest, command: RequestCommand) -> Vec<RequestEvent> {
    crate::decide::Decide::decide(request, command).unwrap_or_else(|e| panic!("{e}"))
}

fn claimed(by: StaffId) -> RequestEvent {
    RequestEvent::RequestClaimed { by, at: at() }
}

fn reason() -> Reason {
    Reason::parse("Foto KK buram").unwrap_or_else(|e| panic!("{e}"))
}

fn demanded() -> RequestEvent {
    RequestEvent::ReuploadDemanded {
        by: budi(),
        items: vec![ReuploadItem { code: code("KARTU_KELUARGA"), reason: reason() }],
        at: at(),
    }
}

#[test]
fn submission_records_the_catalogue_version_and_a_retry_adds_nothing() {
    let event = submitted("AKTA_KELAHIRAN");
    let RequestEvent::RequestSubmitted(s) = &event else { panic!("not a submission") };
    assert_eq!((s.catalogue_version, s.number.as_str()), (1, "KH-2026-000001"));
    Given::with(()).given(vec![event]).when(submit("AKTA_KELAHIRAN")).then_expect_events(vec![]);
}

#[test]
fn two_operators_one_claim() {
    Given::with(())
        .given(vec![submitted("AKTA_KELAHIRAN")])
        .when(RequestCommand::Claim { by: budi(), at: at() })
        .then_expect_events(vec![claimed(budi())]);
    Given::with(())
        .given(vec![submitted("AKTA_KELAHIRAN"), claimed(budi())])
        .when(RequestCommand::Claim { by: sri(), at: at() })
        .then_expect_error(RequestError::AlreadyClaimed);
}

#[test]
fn only_the_claimer_demands_reuploads_completes_or_rejects() {
    let given = || Given::with(()).given(vec![submitted("AKTA_KELAHIRAN"), claimed(budi())]);
    given()
        .when(RequestCommand::DemandReupload { by: sri(), items: vec![(code("KARTU_KELUARGA"), reason())], at: at() })
        .then_expect_error(RequestError::NotClaimedByYou);
    given()
        .when(RequestCommand::Complete { by: sri(), files: vec![FileId(Uuid::from_u128(5))], at: at() })
        .then_expect_error(RequestError::NotClaimedByYou);
    Given::with(())
        .given(vec![submitted("AKTA_KELAHIRAN")])
        .when(RequestCommand::Complete { by: budi(), files: vec![FileId(Uuid::from_u128(5))], at: at() })
        .then_expect_error(RequestError::NotClaimedByYou);
    given()
        .when(RequestCommand::DemandReupload { by: budi(), items: vec![(code("KARTU_KELUARGA"), reason())], at: at() })
        .then_expect_events(vec![demanded()]);
    given()
        .when(RequestCommand::DemandReupload { by: budi(), items: vec![(code("IJAZAH"), reason())], at: at() })
        .then_expect_error(RequestError::InvalidReuploadItems);
}

#[test]
fn reupload_answers_only_what_was_asked() {
    let given = || Given::with(()).given(vec![submitted("AKTA_KELAHIRAN"), claimed(budi()), demanded()]);
    given()
        .when(RequestCommand::Reupload {
            account: owner(),
            documents: vec![doc("KTP_ORANG_TUA", FileType::Jpeg)],
            returns_to: Some(budi()),
            at: at(),
        })
        .then_expect_error(RequestError::ReuploadNotRequested);
    given()
        .when(RequestCommand::Reupload {
            account: AccountId(Uuid::from_u128(2)),
            documents: vec![doc("KARTU_KELUARGA", FileType::Jpeg)],
            returns_to: Some(budi()),
            at: at(),
        })
        .then_expect_error(RequestError::NotYours);
}

/// The answered request returns to the claim of the officer who demanded the documents, when
/// the service says they can still take it; to the queue, unclaimed, when they cannot (e.g.
/// deactivated meanwhile) or when the officer named is not the demander.
#[test]
fn an_answered_reupload_returns_to_the_officer_who_demanded_it() {
    let given = || Given::with(()).given(vec![submitted("AKTA_KELAHIRAN"), claimed(budi()), demanded()]);
    let rina = StaffId(Uuid::from_u128(77));
    for (returns_to, returned_to) in [(Some(budi()), Some(budi())), (None, None), (Some(rina), None)] {
        given()
            .when(RequestCommand::Reupload {
                account: owner(),
                documents: vec![doc("KARTU_KELUARGA", FileType::Png)],
                returns_to,
                at: at(),
            })
            .then_expect_events(vec![RequestEvent::DocumentsReuploaded {
                documents: vec![doc("KARTU_KELUARGA", FileType::Png)],
                all_answered: true,
                returned_to,
                at: at(),
            }]);
    }
    let answered = |returned_to| {
        let mut request = ServiceRequest::default();
        for event in [submitted("AKTA_KELAHIRAN"), claimed(budi()), demanded()] {
            cqrs_es::Aggregate::apply(&mut request, event);
        }
        assert_eq!((request.status(), request.claimed_by()), (Some(RequestStatus::AwaitingReupload), None));
        assert_eq!(request.reupload_demanded_by(), Some(budi()));
        cqrs_es::Aggregate::apply(
            &mut request,
            RequestEvent::DocumentsReuploaded {
                documents: vec![doc("KARTU_KELUARGA", FileType::Png)],
                all_answered: true,
                returned_to,
                at: at(),
            },
        );
        request
    };
    let back = answered(Some(budi()));
    assert_eq!((back.status(), back.claimed_by()), (Some(RequestStatus::InReview), Some(budi())), "Budi's claim again");
    assert_eq!(back.reupload_demanded_by(), None);
    let back = answered(None);
    assert_eq!((back.status(), back.claimed_by()), (Some(RequestStatus::Submitted), None), "back in the queue");
    // Released as any claim.
    Given::with(())
        .given(vec![
            submitted("AKTA_KELAHIRAN"),
            claimed(budi()),
            demanded(),
            RequestEvent::DocumentsReuploaded {
                documents: vec![doc("KARTU_KELUARGA", FileType::Png)],
                all_answered: true,
                returned_to: Some(budi()),
                at: at(),
            },
        ])
        .when(RequestCommand::Release { by: budi(), at: at() })
        .then_expect_events(vec![RequestEvent::RequestReleased { by: budi(), at: at() }]);
}

#[test]
fn events_recorded_before_the_claim_returned_read_as_unclaimed() {
    let old = serde_json::json!({ "DocumentsReuploaded": { "documents": [], "all_answered": true, "at": "2026-12-01T01:00:00Z" } });
    let event: RequestEvent = serde_json::from_value(old).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(event, RequestEvent::DocumentsReuploaded { returned_to: None, .. }));
}

#[test]
fn outcomes_match_the_service() {
    Given::with(())
        .given(vec![submitted("AKTA_KELAHIRAN"), claimed(budi())])
        .when(RequestCommand::MarkReadyForPickup {
            by: budi(),
            place: PickupPlace::parse("Kantor Dinas").unwrap_or_else(|e| panic!("{e}")),
            available_from: at(),
            at: at(),
        })
        .then_expect_error(RequestError::NotAPickupService);
    Given::with(())
        .given(vec![submitted("KTP_EL_HILANG"), claimed(budi())])
        .when(RequestCommand::Complete { by: budi(), files: vec![FileId(Uuid::from_u128(5))], at: at() })
        .then_expect_error(RequestError::NotADownloadService);
    Given::with(())
        .given(vec![submitted("AKTA_KELAHIRAN"), claimed(budi())])
        .when(RequestCommand::Complete { by: budi(), files: vec![], at: at() })
        .then_expect_error(RequestError::Document(DocumentProblem::required(RESULT_FILES_LABEL)));
}

#[test]
fn collected_only_after_ready_and_nothing_after_closing() {
    let place = PickupPlace::parse("Loket 2 Disdukcapil").unwrap_or_else(|e| panic!("{e}"));
    let ready = RequestEvent::ReadyForPickup { by: budi(), place, available_from: at(), at: at() };
    Given::with(())
        .given(vec![submitted("KTP_EL_HILANG"), claimed(budi())])
        .when(RequestCommand::MarkCollected { by: sri(), at: at() })
        .then_expect_error(RequestError::NotReadyForPickup);
    Given::with(())
        .given(vec![submitted("KTP_EL_HILANG"), claimed(budi()), ready.clone()])
        .when(RequestCommand::MarkCollected { by: sri(), at: at() })
        .then_expect_events(vec![RequestEvent::DocumentCollected { by: sri(), at: at() }]);
    Given::with(())
        .given(vec![submitted("KTP_EL_HILANG"), claimed(budi()), ready])
        .when(RequestCommand::Claim { by: sri(), at: at() })
        .then_expect_error(RequestError::Closed);
}

#[test]
fn residents_cancel_their_own_open_requests_only() {
    Given::with(())
        .given(vec![submitted("AKTA_KELAHIRAN")])
        .when(RequestCommand::Cancel { account: AccountId(Uuid::from_u128(2)), at: at() })
        .then_expect_error(RequestError::NotYours);
    Given::with(())
        .given(vec![submitted("AKTA_KELAHIRAN"), claimed(budi())])
        .when(RequestCommand::Cancel { account: owner(), at: at() })
        .then_expect_events(vec![RequestEvent::RequestCancelled { at: at() }]);
    Given::with(())
        .given(vec![
            submitted("AKTA_KELAHIRAN"),
            claimed(budi()),
            RequestEvent::RequestCompleted { by: budi(), files: vec![FileId(Uuid::from_u128(5))], at: at() },
        ])
        .when(RequestCommand::Cancel { account: owner(), at: at() })
        .then_expect_error(RequestError::NotCancellable);
}

#[test]
fn supervisor_reassigns_and_release_needs_the_claim() {
    Given::with(())
        .given(vec![submitted("AKTA_KELAHIRAN"), claimed(budi())])
        .when(RequestCommand::Reassign { to: sri(), at: at() })
        .then_expect_events(vec![RequestEvent::RequestReassigned { from: Some(budi()), to: sri(), at: at() }]);
    Given::with(())
        .given(vec![submitted("AKTA_KELAHIRAN"), claimed(budi())])
        .when(RequestCommand::Release { by: sri(), at: at() })
        .then_expect_error(RequestError::NotClaimedByYou);
}

#[test]
fn each_status_is_spelled_once_and_unknown_spellings_are_errors() {
    for status in RequestStatus::ALL {
        let serde = serde_json::to_value(status).unwrap_or_default();
        assert_eq!(serde.as_str(), Some(status.as_str()));
        assert_eq!(status.as_str().parse::<RequestStatus>(), Ok(status));
    }
    assert!("NEW".parse::<RequestStatus>().is_err());
    assert!("in_review".parse::<RequestStatus>().is_err());
    assert_eq!(ServiceRequest::default().status(), None);
}
