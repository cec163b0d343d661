//! The walking skeleton end to end, through the real HTTP server and a fresh database:
//! admin created by the CLI → signs in → creates a supervisor → the supervisor closes the
//! office today → `holidays` and `contactInfo.openNow` reflect it through the projector;
//! an operator is refused the supervisor mutation.

use anyhow::Context;
use chrono::{Duration, Utc};
use domain::working_time::{WorkingCalendar, office_date};
use e2e::{Client, TestApp, eventually};
use serde_json::{Value, json};
use sqlx::PgPool;

const ADMIN_PASSWORD: &str = "rahasia kantor 2026";

async fn admin_client(app: &TestApp) -> anyhow::Result<Client> {
    api::cli::create_admin(&app.pool, &app.commands.vault, "admin", "Admin Dinas", ADMIN_PASSWORD).await?;
    let admin = app.client()?;
    admin.staff_login("admin", ADMIN_PASSWORD).await?;
    Ok(admin)
}

async fn create_staff(admin: &Client, username: &str, role: &str) -> anyhow::Result<String> {
    let reply = admin
        .gql(
            "mutation($i: CreateStaffInput!) { createStaff(input: $i) { id username role } }",
            json!({ "i": { "username": username, "displayName": format!("Petugas {username}"), "role": role, "password": format!("sandi {username} 123") } }),
        )
        .await?;
    let id = reply.data()?.pointer("/createStaff/id").and_then(Value::as_str).context("id")?;
    Ok(id.to_owned())
}

const ADD_HOLIDAY: &str = "mutation($d: String!, $n: String!, $k: HolidayKind) { addHoliday(date: $d, name: $n, kind: $k) { date name kind } }";

async fn count_events(pool: &PgPool, event_type: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = $1").bind(event_type).fetch_one(pool).await?)
}

#[sqlx::test(migrations = "../migrations")]
async fn admin_supervisor_and_operator_walk_the_foundation(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;

    // Admin created by the CLI signs in; the cookie is HttpOnly, SameSite=Lax, not Secure on localhost.
    api::cli::create_admin(&app.pool, &app.commands.vault, "admin", "Admin Dinas", ADMIN_PASSWORD).await?;
    let admin = app.client()?;
    let login = admin.staff_login("Admin", ADMIN_PASSWORD).await?;
    let cookie = login.headers.get("set-cookie").and_then(|v| v.to_str().ok()).context("session cookie")?;
    assert!(cookie.starts_with("dukcapil_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"), "{cookie}");
    let me = admin.gql("{ currentStaff { username displayName role } }", json!({})).await?;
    assert_eq!(
        me.data()?["currentStaff"],
        json!({ "username": "admin", "displayName": "Admin Dinas", "role": "ADMIN" })
    );

    // Admin creates a supervisor and an operator; the staff list shows them via the projector.
    let supervisor_id = create_staff(&admin, "sri.wahyuni", "SUPERVISOR").await?;
    create_staff(&admin, "budi", "OPERATOR").await?;
    let total = eventually("staff list", || async {
        let reply = admin
            .gql("{ staffMembers(first: 10) { totalCount edges { node { username role active } } } }", json!({}))
            .await?;
        let total = reply.data()?.pointer("/staffMembers/totalCount").and_then(Value::as_i64).unwrap_or(0);
        let edges = reply.data()?.pointer("/staffMembers/edges").and_then(Value::as_array).map_or(0, Vec::len);
        Ok((total == 3 && edges == 3).then_some(reply.body))
    })
    .await?;
    let usernames: Vec<&str> = total
        .pointer("/data/staffMembers/edges")
        .and_then(Value::as_array)
        .map(|edges| edges.iter().filter_map(|e| e.pointer("/node/username").and_then(Value::as_str)).collect())
        .unwrap_or_default();
    assert_eq!(usernames, ["admin", "budi", "sri.wahyuni"]);

    // Before: openNow follows the plain office hours (checked only away from a boundary).
    let anonymous = app.client()?;
    let before_at = Utc::now();
    let before = anonymous
        .gql("{ contactInfo { openNow nextOpening whatsappNumbers { label number link } } }", json!({}))
        .await?;
    let expected = WorkingCalendar::default().is_office_open(before_at);
    if expected == WorkingCalendar::default().is_office_open(Utc::now()) {
        assert_eq!(before.data()?.pointer("/contactInfo/openNow"), Some(&json!(expected)));
    }
    assert_eq!(
        before.data()?.pointer("/contactInfo/whatsappNumbers/0"),
        Some(
            &json!({ "label": "Admin Verifikasi Akun", "number": "6281234567890", "link": "https://wa.me/6281234567890" })
        )
    );

    // The supervisor closes the office today.
    let supervisor = app.client()?;
    supervisor.staff_login("sri.wahyuni", "sandi sri.wahyuni 123").await?;
    let today = office_date(Utc::now());
    let added = supervisor
        .gql(ADD_HOLIDAY, json!({ "d": today.to_string(), "n": "Libur daerah", "k": "OFFICE_CLOSURE" }))
        .await?;
    assert_eq!(
        added.data()?["addHoliday"],
        json!({ "date": today.to_string(), "name": "Libur daerah", "kind": "OFFICE_CLOSURE" })
    );

    // Through the projector: the public calendar lists it and the office is closed now.
    let year = today.format("%Y").to_string().parse::<i32>()?;
    eventually("holiday projected", || async {
        let reply =
            anonymous.gql("query($y: Int!) { holidays(year: $y) { date name kind } }", json!({ "y": year })).await?;
        let listed = reply.data()?["holidays"].as_array().is_some_and(|days| {
            days.iter().any(|d| d["date"] == json!(today.to_string()) && d["name"] == "Libur daerah")
        });
        Ok(listed.then_some(()))
    })
    .await?;
    let after = anonymous.gql("{ contactInfo { openNow nextOpening } }", json!({})).await?;
    assert_eq!(after.data()?.pointer("/contactInfo/openNow"), Some(&json!(false)));
    let next = after.data()?.pointer("/contactInfo/nextOpening").and_then(Value::as_str).context("nextOpening")?;
    let next = chrono::DateTime::parse_from_rfc3339(next)?.with_timezone(&Utc);
    assert!(office_date(next) > today, "next opening {next} must be after today's closure");

    // The event carries the supervisor as actor.
    let (actor, role): (String, String) = sqlx::query_as(
        "SELECT metadata->>'actor_id', metadata->>'actor_role' FROM events WHERE event_type = 'HolidayAdded'",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!((actor.as_str(), role.as_str()), (supervisor_id.as_str(), "SUPERVISOR"));

    // An operator is refused the supervisor mutation, and nothing is written.
    let operator = app.client()?;
    operator.staff_login("budi", "sandi budi 123").await?;
    let tomorrow = (today + Duration::days(1)).to_string();
    let refused = operator.gql(ADD_HOLIDAY, json!({ "d": tomorrow, "n": "Coba", "k": null })).await?;
    assert_eq!(refused.error_code(), Some("FORBIDDEN"));
    assert_eq!(
        refused.error_message(),
        Some(
            "Hanya petugas dengan peran Supervisor yang dapat mengatur kalender kantor (hari tutup dan gangguan layanan)."
        )
    );
    assert_eq!(count_events(&pool, "HolidayAdded").await?, 1);

    // An admin is not a supervisor either; an anonymous caller is asked to sign in.
    assert_eq!(
        admin.gql(ADD_HOLIDAY, json!({ "d": tomorrow, "n": "Coba", "k": null })).await?.error_code(),
        Some("FORBIDDEN")
    );
    assert_eq!(
        anonymous.gql(ADD_HOLIDAY, json!({ "d": tomorrow, "n": "Coba", "k": null })).await?.error_code(),
        Some("UNAUTHENTICATED")
    );
    assert_eq!(count_events(&pool, "HolidayAdded").await?, 1);

    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_input_gets_a_code_and_an_indonesian_message_and_writes_nothing(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let admin = admin_client(&app).await?;
    create_staff(&admin, "sri", "SUPERVISOR").await?;
    let supervisor = app.client()?;
    supervisor.staff_login("sri", "sandi sri 123").await?;
    let events_before: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;

    let cases: Vec<(&str, Value, &str)> = vec![
        (ADD_HOLIDAY, json!({ "d": "2026-02-30", "n": "x", "k": null }), "INVALID_DATE"),
        (ADD_HOLIDAY, json!({ "d": "25-12-2026", "n": "x", "k": null }), "INVALID_DATE"),
        (ADD_HOLIDAY, json!({ "d": "2020-01-01", "n": "Lampau", "k": null }), "HOLIDAY_IN_PAST"),
        (
            ADD_HOLIDAY,
            json!({ "d": (office_date(Utc::now()) + Duration::days(3)).to_string(), "n": "  ", "k": null }),
            "INVALID_HOLIDAY_NAME",
        ),
        ("mutation { removeHoliday(date: \"2099-12-31\") }", json!({}), "HOLIDAY_NOT_FOUND"),
        ("mutation { endOutage { endedAt } }", json!({}), "NO_OUTAGE_IN_PROGRESS"),
        ("mutation { declareOutage(reason: \"\") { declaredAt } }", json!({}), "INVALID_OUTAGE_REASON"),
        ("query { holidays(year: 1800) { date } }", json!({}), "INVALID_YEAR"),
    ];
    for (query, variables, code) in cases {
        let reply = supervisor.gql(query, variables.clone()).await?;
        assert_eq!(reply.error_code(), Some(code), "{query} {variables}: {}", reply.body);
        let message = reply.error_message().unwrap_or_default();
        assert!(!message.is_empty() && !message.contains("error"), "Indonesian message expected, got {message:?}");
    }
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events").fetch_one(&pool).await?, events_before);

    // An outage declared twice: the second is refused and names the first.
    let declare = "mutation { declareOutage(reason: \"Jaringan ke pusat data terputus\") { declaredAt } }";
    supervisor.gql(declare, json!({})).await?.data()?;
    let twice = supervisor.gql(declare, json!({})).await?;
    assert_eq!(twice.error_code(), Some("OUTAGE_ALREADY_DECLARED"));
    assert!(twice.error_message().unwrap_or_default().contains("WIB"));
    assert_eq!(count_events(&pool, "OutageDeclared").await?, 1);
    let outage = eventually("outage shown", || async {
        let reply = supervisor.gql("{ contactInfo { outage { reason since } } }", json!({})).await?;
        Ok(reply.data()?.pointer("/contactInfo/outage/reason").and_then(Value::as_str).map(str::to_owned))
    })
    .await?;
    assert_eq!(outage, "Jaringan ke pusat data terputus");
    supervisor.gql("mutation { endOutage { endedAt } }", json!({})).await?.data()?;
    eventually("outage cleared", || async {
        let reply = supervisor.gql("{ contactInfo { outage { reason } } }", json!({})).await?;
        Ok(reply.data()?.pointer("/contactInfo/outage").is_some_and(Value::is_null).then_some(()))
    })
    .await?;

    // Sign-in: unknown user and wrong password are one answer.
    let stranger = app.client()?;
    let login = "mutation($u: String!, $p: String!) { staffLogin(username: $u, password: $p) { expiresAt } }";
    let wrong = stranger.gql(login, json!({ "u": "sri", "p": "bukan sandinya" })).await?;
    let unknown = stranger.gql(login, json!({ "u": "siapa", "p": "bukan sandinya" })).await?;
    assert_eq!(wrong.error_code(), Some("INVALID_CREDENTIALS"));
    assert_eq!(wrong.body, unknown.body);
    assert!(wrong.headers.get("set-cookie").is_none());

    // Malformed GraphQL and over-deep queries get a code too.
    let garbage = stranger.gql("{ services { ", json!({})).await?;
    assert_eq!(garbage.error_code(), Some("GRAPHQL_VALIDATION_FAILED"));
    let deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } } } } }";
    let too_deep = stranger.gql(deep, json!({})).await?;
    assert_eq!(too_deep.error_code(), Some("GRAPHQL_VALIDATION_FAILED"));
    assert!(too_deep.error_message().unwrap_or_default().contains("terlalu dalam"), "{:?}", too_deep.body);

    // Cross-site form posts are refused before GraphQL runs.
    let form = stranger
        .http
        .post(app.url("/graphql"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("query=mutation%7BendOutage%7BendedAt%7D%7D")
        .send()
        .await?;
    assert_eq!(form.status().as_u16(), 415);
    assert_eq!(form.json::<Value>().await?.pointer("/errors/0/extensions/code"), Some(&json!("CSRF_REJECTED")));
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_administration_and_sessions(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let admin = admin_client(&app).await?;
    let budi = create_staff(&admin, "budi", "OPERATOR").await?;

    let duplicate = admin
        .gql(
            "mutation($i: CreateStaffInput!) { createStaff(input: $i) { id } }",
            json!({ "i": { "username": "BUDI", "displayName": "Budi Lain", "role": "AUDITOR", "password": "sandi lain 123" } }),
        )
        .await?;
    assert_eq!(duplicate.error_code(), Some("USERNAME_TAKEN"));
    let weak = admin
        .gql(
            "mutation($i: CreateStaffInput!) { createStaff(input: $i) { id } }",
            json!({ "i": { "username": "ani", "displayName": "Ani", "role": "AUDITOR", "password": "password" } }),
        )
        .await?;
    assert_eq!(weak.error_code(), Some("PASSWORD_TOO_COMMON"));

    let operator = app.client()?;
    operator.staff_login("budi", "sandi budi 123").await?;
    assert_eq!(operator.gql("{ staffMembers { totalCount } }", json!({})).await?.error_code(), Some("FORBIDDEN"));

    // Promotion ends the operator's session; signing in again gives the new role.
    let promoted = admin
        .gql("mutation($id: ID!) { changeStaffRole(staffId: $id, role: SUPERVISOR) { role } }", json!({ "id": budi }))
        .await?;
    assert_eq!(promoted.data()?.pointer("/changeStaffRole/role"), Some(&json!("SUPERVISOR")));
    assert_eq!(operator.gql("{ currentStaff { role } }", json!({})).await?.error_code(), Some("UNAUTHENTICATED"));
    operator.staff_login("budi", "sandi budi 123").await?;
    assert_eq!(
        operator.gql("{ currentStaff { role } }", json!({})).await?.data()?.pointer("/currentStaff/role"),
        Some(&json!("SUPERVISOR"))
    );

    // The admin cannot demote or deactivate themself; bad ids get a code.
    let me = admin.gql("{ currentStaff { id } }", json!({})).await?;
    let my_id = me.data()?.pointer("/currentStaff/id").and_then(Value::as_str).context("id")?.to_owned();
    let self_demote = admin
        .gql("mutation($id: ID!) { changeStaffRole(staffId: $id, role: OPERATOR) { role } }", json!({ "id": my_id }))
        .await?;
    assert_eq!(self_demote.error_code(), Some("CANNOT_CHANGE_OWN_ACCOUNT"));
    let bad_id = admin.gql("mutation { deactivateStaff(staffId: \"bukan-uuid\") { active } }", json!({})).await?;
    assert_eq!(bad_id.error_code(), Some("INVALID_ID"));

    // Changing one's password keeps this session; logout ends it.
    let changed = operator
        .gql(
            "mutation { changeMyPassword(currentPassword: \"sandi budi 123\", newPassword: \"sandi baru budi\") }",
            json!({}),
        )
        .await?;
    assert_eq!(changed.data()?["changeMyPassword"], json!(true));
    let out = operator.gql("mutation { logout }", json!({})).await?;
    assert!(out.headers.get("set-cookie").and_then(|v| v.to_str().ok()).is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(operator.gql("{ currentStaff { id } }", json!({})).await?.error_code(), Some("UNAUTHENTICATED"));

    // Deactivation: sign-in refused with the usual answer.
    admin
        .gql("mutation($id: ID!) { deactivateStaff(staffId: $id) { active } }", json!({ "id": budi }))
        .await?
        .data()?;
    let login = app
        .client()?
        .gql("mutation { staffLogin(username: \"budi\", password: \"sandi baru budi\") { expiresAt } }", json!({}))
        .await?;
    assert_eq!(login.error_code(), Some("INVALID_CREDENTIALS"));
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn catalogue_health_readiness_and_metrics(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool).await?;
    let client = app.client()?;
    let services = client
        .gql("{ catalogueVersion services { code name outcome documents { code required } } }", json!({}))
        .await?;
    let list = services.data()?["services"].as_array().context("services")?;
    assert!(list.len() >= 14);
    let kia = list.iter().find(|s| s["code"] == "KIA").context("KIA")?;
    assert_eq!(kia["outcome"], "PICKUP");
    let akta = client.gql("{ service(code: \"AKTA_KELAHIRAN\") { name outcome } }", json!({})).await?;
    assert_eq!(akta.data()?["service"], json!({ "name": "Akta Kelahiran", "outcome": "DOWNLOAD" }));
    assert_eq!(
        client.gql("{ service(code: \"TIDAK_ADA\") { name } }", json!({})).await?.data()?["service"],
        Value::Null
    );

    let health = client.http.get(app.url("/healthz")).send().await?;
    assert_eq!(health.status().as_u16(), 200);
    let ready = eventually("ready", || async {
        let response = client.http.get(app.url("/readyz")).send().await?;
        let ok = response.status().as_u16() == 200;
        let body: Value = response.json().await?;
        Ok(ok.then_some(body))
    })
    .await?;
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["projector"]["pendingEvents"], 0);
    let metrics = client.http.get(app.url("/metrics")).send().await?.text().await?;
    assert!(
        metrics.contains("dukcapil_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("dukcapil_projector_lag_seconds"));
    let graphiql = client.http.get(app.url("/graphiql")).send().await?.text().await?;
    assert!(graphiql.contains("graphiql"));
    app.stop().await
}

#[sqlx::test(migrations = "../migrations")]
async fn repeated_wrong_staff_passwords_are_throttled(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    api::cli::create_admin(&app.pool, &app.commands.vault, "admin", "Admin Dinas", ADMIN_PASSWORD).await?;
    let attacker = app.client()?;
    let login = "mutation($p: String!) { staffLogin(username: \"admin\", password: $p) { expiresAt } }";
    let mut codes = Vec::new();
    for _ in 0..8 {
        codes.push(attacker.gql(login, json!({ "p": "tebakan salah" })).await?.error_code().map(str::to_owned));
    }
    // Staff get three free failures (`ThrottlePolicy::STAFF`), residents five.
    assert!(codes[..3].iter().all(|c| c.as_deref() == Some("INVALID_CREDENTIALS")), "{codes:?}");
    assert!(codes[3..].iter().any(|c| c.as_deref() == Some("TOO_MANY_ATTEMPTS")), "{codes:?}");
    // Even the right password waits while throttled.
    let right = attacker.gql(login, json!({ "p": ADMIN_PASSWORD })).await?;
    assert_eq!(right.error_code(), Some("TOO_MANY_ATTEMPTS"));
    app.stop().await
}
