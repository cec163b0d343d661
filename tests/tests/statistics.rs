//! The office statistics end to end: a known history built through the real commands on a
//! manual clock, then the exact figures the supervisor's dashboard gets for it; who may ask;
//! and the read model rebuilt from the history equals the live one.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use commands::ManualClock;
use domain::staff::Role;
use domain::working_time::local_instant;
use e2e::{Client, TestApp, active_resident, birth_certificate_input, jpeg, pdf, upload_as};
use serde_json::{Value, json};
use sqlx::PgPool;

const SUBMIT: &str = "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId } }";

const STATISTICS: &str = "query($f: NaiveDate!, $t: NaiveDate!) { officeStatistics(from: $f, to: $t) {
    from to submitted finished finishedWithinPromise withinPromiseShare
    medianWorkingHoursToFinish p90WorkingHoursToFinish
    days { date submitted finished completed readyForPickup rejected finishedWithinPromise }
    weeks { week startsOn finished finishedWithinPromise withinPromiseShare }
    officers { staffId displayName finished reuploadDemands }
    asOf backlog { serviceCode serviceName open } backlogTotal overdueNow } }";

/// Office-local wall-clock time in December 2026.
fn wib(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(2026, 12, day).unwrap_or_default();
    local_instant(date, NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default()).unwrap_or_default()
}

async fn act(client: &Client, mutation: &str, variables: Value) -> anyhow::Result<Value> {
    Ok(client.gql(mutation, variables).await?.data()?.clone())
}

async fn submit(app: &TestApp, resident: &Client, key: &str) -> anyhow::Result<String> {
    let input = birth_certificate_input(app, resident, key).await?;
    let reply = act(resident, SUBMIT, input).await?;
    Ok(reply.pointer("/submitServiceRequest/requestId").and_then(Value::as_str).context("request id")?.to_owned())
}

async fn claim(operator: &Client, request: &str) -> anyhow::Result<()> {
    act(operator, "mutation($r: ID!) { claimRequest(requestId: $r) }", json!({ "r": request })).await?;
    Ok(())
}

async fn staff_id(client: &Client) -> anyhow::Result<Value> {
    let reply = client.gql("{ currentStaff { id } }", json!({})).await?;
    reply.data()?.pointer("/currentStaff/id").cloned().context("staff id")
}

fn close_to(value: &Value, expected: f64) -> bool {
    // The manual clock runs on from where it is set, so each step is a few milliseconds late.
    value.as_f64().is_some_and(|v| (v - expected).abs() < 0.01)
}

/// Given Monday 7 – Tuesday 15 December 2026 with Wednesday 9 a holiday, two operators and
/// three requests: A (Monday 10:00) completed by Budi on Tuesday 14:00, after its due time
/// (Tuesday 10:00); B (Tuesday 11:00) sent back for a re-upload by Sri 13:00–15:00 and rejected
/// by her on Thursday 12:00 — within the promise only because the holiday and the re-upload
/// stop the clock (due Thursday 13:00); C (Saturday 10:00) still open, due Monday 16:00.
/// When the supervisor asks on Tuesday 15 at 09:00, then these are the figures.
#[sqlx::test(migrations = "../migrations")]
async fn the_dashboard_gives_the_exact_figures_of_a_known_history(pool: PgPool) -> anyhow::Result<()> {
    let clock = ManualClock::default();
    let app = TestApp::spawn_with_options(pool.clone(), Arc::new(clock.clone()), e2e::LONG_SESSIONS).await?;
    clock.set_to(wib(7, 8, 0));
    let supervisor = app.staff("kepala", Role::Supervisor).await?;
    let budi = app.staff("budi", Role::Operator).await?;
    let sri = app.staff("sri", Role::Operator).await?;
    act(
        &supervisor,
        "mutation { addHoliday(date: \"2026-12-09\", name: \"Libur daerah\", kind: OFFICE_CLOSURE) { date } }",
        json!({}),
    )
    .await?;
    let (resident, _) = active_resident(&app, &budi, "6106015205900001", "Siti Aminah").await?;

    // A: Monday 10:00, claimed 10:30, completed Tuesday 14:00 (due Tuesday 10:00: late).
    clock.set_to(wib(7, 10, 0));
    let a = submit(&app, &resident, "statistik-a-0001").await?;
    clock.set_to(wib(7, 10, 30));
    claim(&budi, &a).await?;
    clock.set_to(wib(8, 14, 0));
    let signed = upload_as(&app, &budi, pdf(), "akta-ttd.pdf").await?;
    act(
        &budi,
        "mutation($r: ID!, $u: [ID!]!) { completeRequest(requestId: $r, uploadIds: $u) }",
        json!({ "r": a, "u": [signed] }),
    )
    .await?;

    // B: Tuesday 11:00; Sri asks for the KK again at 13:00, it comes at 15:00; she rejects it
    // on Thursday 12:00 (due Thursday 13:00: on time).
    clock.set_to(wib(8, 11, 0));
    let b = submit(&app, &resident, "statistik-b-0001").await?;
    clock.set_to(wib(8, 12, 0));
    claim(&sri, &b).await?;
    clock.set_to(wib(8, 13, 0));
    act(
        &sri,
        "mutation($r: ID!, $i: [ReuploadItemInput!]!) { demandReupload(requestId: $r, items: $i) }",
        json!({ "r": b, "i": [{ "documentCode": "KARTU_KELUARGA", "reason": "Foto KK buram, mohon foto ulang" }] }),
    )
    .await?;
    clock.set_to(wib(8, 15, 0));
    let kk = upload_as(&app, &resident, jpeg(100, 70), "kk2.jpg").await?;
    act(
        &resident,
        "mutation($r: ID!, $d: [DocumentUploadInput!]!) { reuploadDocuments(requestId: $r, documents: $d) }",
        json!({ "r": b, "d": [{ "code": "KARTU_KELUARGA", "uploadId": kk }] }),
    )
    .await?;
    clock.set_to(wib(10, 11, 55));
    claim(&sri, &b).await?;
    clock.set_to(wib(10, 12, 0));
    act(
        &sri,
        "mutation($r: ID!, $x: String!) { rejectRequest(requestId: $r, reason: $x) }",
        json!({ "r": b, "x": "Data pada surat keterangan lahir tidak sesuai dengan KK" }),
    )
    .await?;

    // C: Saturday 10:00, never answered.
    clock.set_to(wib(12, 10, 0));
    submit(&app, &resident, "statistik-c-0001").await?;

    clock.set_to(wib(15, 9, 0));
    e2e::caught_up(&pool).await?;
    let range = json!({ "f": "2026-12-07", "t": "2026-12-15" });
    let reply = supervisor.gql(STATISTICS, range.clone()).await?;
    let stats = reply.data()?["officeStatistics"].clone();

    assert_eq!(
        (&stats["submitted"], &stats["finished"], &stats["finishedWithinPromise"], &stats["withinPromiseShare"]),
        (&json!(3), &json!(2), &json!(1), &json!(0.5))
    );
    // Working days only: no weekend, no Wednesday 9. A Saturday submission counts on Monday.
    let day = |date: &str, submitted: i64, completed: i64, rejected: i64, within: i64| {
        json!({ "date": date, "submitted": submitted, "finished": completed + rejected, "completed": completed,
                "readyForPickup": 0, "rejected": rejected, "finishedWithinPromise": within })
    };
    assert_eq!(
        stats["days"],
        json!([
            day("2026-12-07", 1, 0, 0, 0),
            day("2026-12-08", 1, 1, 0, 0),
            day("2026-12-10", 0, 0, 1, 1),
            day("2026-12-11", 0, 0, 0, 0),
            day("2026-12-14", 1, 0, 0, 0),
            day("2026-12-15", 0, 0, 0, 0),
        ])
    );
    assert_eq!(
        stats["weeks"],
        json!([
            { "week": "2026-W50", "startsOn": "2026-12-07", "finished": 2, "finishedWithinPromise": 1, "withinPromiseShare": 0.5 },
            { "week": "2026-W51", "startsOn": "2026-12-14", "finished": 0, "finishedWithinPromise": 0, "withinPromiseShare": null },
        ])
    );
    // On the SLA clock: A 6 h Monday + 6 h Tuesday = 12 h; B 2 h + 1 h Tuesday + 4 h Thursday
    // = 7 h. Median 9.5 h, 90th percentile 7 + 0.9 × 5 = 11.5 h.
    assert!(close_to(&stats["medianWorkingHoursToFinish"], 9.5), "{stats}");
    assert!(close_to(&stats["p90WorkingHoursToFinish"], 11.5), "{stats}");
    let (budi_id, sri_id) = (staff_id(&budi).await?, staff_id(&sri).await?);
    assert_eq!(
        stats["officers"],
        json!([
            { "staffId": sri_id, "displayName": "sri", "finished": 1, "reuploadDemands": 1 },
            { "staffId": budi_id, "displayName": "budi", "finished": 1, "reuploadDemands": 0 },
        ])
    );
    assert_eq!(
        stats["backlog"],
        json!([{ "serviceCode": "AKTA_KELAHIRAN", "serviceName": "Akta Kelahiran", "open": 1 }])
    );
    assert_eq!((&stats["backlogTotal"], &stats["overdueNow"]), (&json!(1), &json!(1)), "C was due Monday 16:00");
    let as_of = DateTime::parse_from_rfc3339(stats["asOf"].as_str().context("asOf")?)?;
    assert!((as_of.with_timezone(&Utc) - wib(15, 9, 0)).num_seconds().abs() < 60);

    // A range that starts on Tuesday leaves Monday's submission and the weekend before out;
    // one that ends on Friday leaves Saturday's submission (counted on Monday 14) out.
    let week = supervisor.gql(STATISTICS, json!({ "f": "2026-12-08", "t": "2026-12-11" })).await?;
    let week = week.data()?["officeStatistics"].clone();
    assert_eq!((&week["submitted"], &week["finished"]), (&json!(1), &json!(2)));
    assert_eq!(week["days"].as_array().map(Vec::len), Some(3));
    // Overdue and backlog are of now, whatever the range.
    assert_eq!((&week["backlogTotal"], &week["overdueNow"]), (&json!(1), &json!(1)));

    // Auditors and admins read the same figures; operators may not; nor may anyone unknown.
    let auditor = app.staff("audit", Role::Auditor).await?;
    let admin = app.staff("admin", Role::Admin).await?;
    for reader in [&auditor, &admin] {
        let reply = reader.gql(STATISTICS, range.clone()).await?;
        assert_eq!(reply.data()?["officeStatistics"]["days"], stats["days"]);
    }
    assert_eq!(budi.gql(STATISTICS, range.clone()).await?.error_code(), Some("FORBIDDEN"));
    assert_eq!(resident.gql(STATISTICS, range.clone()).await?.error_code(), Some("FORBIDDEN"));
    assert_eq!(app.client()?.gql(STATISTICS, range.clone()).await?.error_code(), Some("UNAUTHENTICATED"));

    // The history rebuilt gives exactly the live read models (`replay --verify`), and a full
    // replay changes nothing. (First let the live projector apply the sign-ins just made:
    // `verify` compares once both sides reached one point, and a live projector still moving
    // during the comparison would show as a difference.)
    e2e::caught_up(&pool).await?;
    let differences =
        projections::verify(&pool, &app.commands.vault, &projections::all(), 7, Duration::from_secs(20), |_| {})
            .await?;
    assert!(differences.is_empty(), "{differences:?}");
    let live = e2e::read_models(&pool).await?;
    projections::replay(&pool, &app.commands.vault, &projections::all(), 5, |_| {}).await?;
    assert_eq!(e2e::read_models(&pool).await?, live);
    let again = supervisor.gql(STATISTICS, range).await?;
    assert_eq!(again.data()?["officeStatistics"]["days"], stats["days"]);
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn a_range_backwards_or_longer_than_a_year_is_refused_in_indonesian(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let supervisor = app.staff("kepala", Role::Supervisor).await?;
    let long = supervisor.gql(STATISTICS, json!({ "f": "2026-01-01", "t": "2027-01-02" })).await?;
    assert_eq!(long.error_code(), Some("RANGE_TOO_LONG"));
    assert!(long.error_message().unwrap_or_default().contains("paling banyak 366 hari"), "{:?}", long.body);
    let backwards = supervisor.gql(STATISTICS, json!({ "f": "2026-12-15", "t": "2026-12-07" })).await?;
    assert_eq!(backwards.error_code(), Some("INVALID_RANGE"));
    // A whole leap year is fine, and an empty office answers zeros, not nulls where counts are.
    let year = supervisor.gql(STATISTICS, json!({ "f": "2028-01-01", "t": "2028-12-31" })).await?;
    let year = year.data()?["officeStatistics"].clone();
    assert_eq!(
        (&year["submitted"], &year["withinPromiseShare"], &year["overdueNow"]),
        (&json!(0), &Value::Null, &json!(0))
    );
    assert_eq!(year["weeks"].as_array().map(Vec::len), Some(52));
    app.stop().await
}
