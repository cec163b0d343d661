//! Security end to end, through the real HTTP server on a fresh database: the access matrix
//! (every GraphQL root field and file route tried by every kind of caller, against one table
//! that `docs/SECURITY.md` repeats word for word), sign-in answers and throttling, the life of
//! a session and its cookie, cross-site requests, and secrets kept out of responses, events
//! and logs.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use domain::staff::Role;
use e2e::socket::{Opened, next_message, open, start};
use e2e::{Client, RESIDENT_PASSWORD, TestApp, active_resident, eventually, jpeg, pdf, registered_resident, upload_as};
use serde_json::{Value, json};
use sqlx::PgPool;

// ---------------------------------------------------------------------------------------------
// The access matrix
// ---------------------------------------------------------------------------------------------

/// Who asks. The order is the order of the columns of [`MATRIX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Principal {
    Anonymous,
    /// A signed-in resident who does not own the objects tried.
    OtherResident,
    /// The signed-in resident who owns the request, the documents and the legacy grant tried.
    OwningResident,
    Operator,
    Supervisor,
    Auditor,
    Admin,
}

const PRINCIPALS: [Principal; 7] = [
    Principal::Anonymous,
    Principal::OtherResident,
    Principal::OwningResident,
    Principal::Operator,
    Principal::Supervisor,
    Principal::Auditor,
    Principal::Admin,
];

impl Principal {
    fn label(self) -> &'static str {
        match self {
            Principal::Anonymous => "anonymous",
            Principal::OtherResident => "other resident",
            Principal::OwningResident => "owning resident",
            Principal::Operator => "OPERATOR",
            Principal::Supervisor => "SUPERVISOR",
            Principal::Auditor => "AUDITOR",
            Principal::Admin => "ADMIN",
        }
    }
}

/// What a cell must give: through the guard (any answer but a refusal: data, or a domain error
/// from the deliberately harmless arguments), or a refusal with exactly this code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allow,
    Deny(&'static str),
}

/// Allowed.
const A: Expect = Expect::Allow;
/// No session: HTTP 401 on routes.
const U: Expect = Expect::Deny("UNAUTHENTICATED");
/// Signed in, but the role or the kind of account may not.
const F: Expect = Expect::Deny("FORBIDDEN");
/// Another resident's request.
const NY: Expect = Expect::Deny("REQUEST_NOT_YOURS");
/// A file one may not see answers exactly like a file that does not exist (HTTP 404).
const NF: Expect = Expect::Deny("FILE_NOT_FOUND");
/// A receipt one may not have answers like a request that does not exist (HTTP 404).
const RNF: Expect = Expect::Deny("RECEIPT_NOT_FOUND");
/// A session upload without `X-Requested-With` (HTTP 403).
const CS: Expect = Expect::Deny("CSRF_REJECTED");

/// Every code that means "refused". Any other answer went through the guard.
const DENY_CODES: [&str; 6] =
    ["UNAUTHENTICATED", "FORBIDDEN", "REQUEST_NOT_YOURS", "FILE_NOT_FOUND", "RECEIPT_NOT_FOUND", "CSRF_REJECTED"];

/// How a cell is tried. GraphQL operations may use these variables, bound to real objects:
/// `$owner` (the owning resident's account), `$other` (the other resident's), `$ownerNik`,
/// `$request` (the owner's open request), `$cancellable` (another open request of the owner),
/// `$legacy` (the owner's old-portal account), `$operatorId`, `$zero` (an id of nothing).
#[derive(Debug, Clone, Copy)]
enum How {
    Query(&'static str),
    Mutation(&'static str),
    Subscription(&'static str),
    Download(Document),
    /// `GET /receipts/{id}` of the owner's open request.
    Receipt,
    Upload(UploadWith),
}

/// Which stored file `GET /files/{id}` asks for. All belong to the owning resident.
#[derive(Debug, Clone, Copy)]
enum Document {
    /// The KTP photo of the registration.
    Identity,
    /// A document submitted with a request.
    Submitted,
    /// The signed PDF an operator attached to the finished request.
    Result,
    /// A document of the old portal, during the owner's 24-hour grant.
    Legacy,
    /// An upload never attached to anything.
    Unattached,
}

#[derive(Debug, Clone, Copy)]
enum UploadWith {
    SessionAndHeader,
    SessionWithoutHeader,
    UploadToken,
}

struct Row {
    /// The root field, or the route and what it is tried on.
    name: &'static str,
    how: How,
    /// In [`PRINCIPALS`] order: anonymous, other resident, owning resident, OPERATOR,
    /// SUPERVISOR, AUDITOR, ADMIN.
    expect: [Expect; 7],
}

const fn row(name: &'static str, how: How, expect: [Expect; 7]) -> Row {
    Row { name, how, expect }
}

use How::{Download, Mutation, Query, Receipt, Subscription, Upload};

/// THE access matrix. `docs/SECURITY.md` holds the same table (checked by
/// `security_md_holds_the_access_matrix`); every root field of the schema must be here
/// (checked against introspection). Rows run top to bottom, so `logout`, which ends each
/// caller's session, comes last.
#[rustfmt::skip]
const MATRIX: &[Row] = &[
    // Public queries.
    row("services", Query("{ services { code } }"), [A, A, A, A, A, A, A]),
    row("service", Query("{ service(code: \"KIA\") { name } }"), [A, A, A, A, A, A, A]),
    row("catalogueVersion", Query("{ catalogueVersion }"), [A, A, A, A, A, A, A]),
    row("contactInfo", Query("{ contactInfo { openNow } }"), [A, A, A, A, A, A, A]),
    row("verifyReceipt", Query("{ verifyReceipt(code: \"ABCD-EFGH-JKMN-PQRS\") { genuine } }"), [A, A, A, A, A, A, A]),
    row("holidays", Query("{ holidays(year: 2026) { date } }"), [A, A, A, A, A, A, A]),
    // Staff administration.
    row("currentStaff", Query("{ currentStaff { id } }"), [U, F, F, A, A, A, A]),
    row("staffMembers", Query("{ staffMembers { totalCount } }"), [U, F, F, F, F, F, A]),
    row("staffMember", Query("query($operatorId: ID!) { staffMember(id: $operatorId) { username } }"), [U, F, F, F, F, F, A]),
    row("assignableStaff", Query("{ assignableStaff { id } }"), [U, F, F, F, A, F, F]),
    // The resident's own data.
    row("me", Query("{ me { accountId } }"), [U, A, A, F, F, F, F]),
    row("setNotificationPreferences", Mutation("mutation { setNotificationPreferences(whatsapp: true, email: true) { accountId } }"), [U, A, A, F, F, F, F]),
    // Notifications that could not be delivered (supervisors).
    row("notificationDeadLetters", Query("{ notificationDeadLetters { edges { node { id } } } }"), [U, F, F, F, A, F, F]),
    row("retryNotification", Mutation("mutation { retryNotification(id: \"0\") }"), [U, F, F, F, A, F, F]),
    row("myRequests", Query("{ myRequests { edges { node { requestId } } } }"), [U, A, A, F, F, F, F]),
    // Verification and the work queue.
    row("accountVerificationQueue", Query("{ accountVerificationQueue { totalCount } }"), [U, F, F, A, A, F, F]),
    row("passwordResetQueue", Query("{ passwordResetQueue { totalCount } }"), [U, F, F, A, A, F, F]),
    row("findResidents", Query("query($ownerNik: String!) { findResidents(query: $ownerNik) { matchedBy } }"), [U, F, F, A, A, F, F]),
    row("legacyAccount", Query("query($ownerNik: String!) { legacyAccount(nik: $ownerNik) { id } }"), [U, F, F, A, A, F, F]),
    row("workQueue", Query("{ workQueue { counts { count } } }"), [U, F, F, A, A, F, F]),
    row("serviceRequest", Query("query($request: ID!) { serviceRequest(requestId: $request) { number } }"), [U, F, F, A, A, F, F]),
    // Audit.
    row("eventHistory", Query("{ eventHistory(first: 1) { edges { cursor } } }"), [U, F, F, F, F, A, A]),
    row("recordHistory", Query("query($owner: ID!) { recordHistory(accountId: $owner) { position } }"), [U, F, F, F, F, A, A]),
    row("documentAccessLog", Query("{ documentAccessLog(first: 1) { edges { cursor } } }"), [U, F, F, F, F, A, A]),
    // The supervisor's dashboard.
    row("officeStatistics", Query("{ officeStatistics(from: \"2026-12-01\", to: \"2026-12-31\") { submitted } }"), [U, F, F, F, A, A, A]),
    // Public mutations: sign-in, captcha, registration, forgotten password (wrong captchas and
    // codes, so nobody is signed in, registered or reset).
    row("staffLogin", Mutation("mutation { staffLogin(username: \"tidak.ada\", password: \"bukan sandinya\") { expiresAt } }"), [A, A, A, A, A, A, A]),
    row("createCaptcha", Mutation("mutation { createCaptcha { id } }"), [A, A, A, A, A, A, A]),
    row("createUploadToken", Mutation("mutation($zero: ID!) { createUploadToken(captchaId: $zero, captchaAnswer: \"salah\") { token } }"), [A, A, A, A, A, A, A]),
    row("registerAccount", Mutation("mutation($zero: ID!, $ownerNik: String!) { registerAccount(input: { nik: $ownerNik, fullName: \"Siti Aminah\", phone: \"081234567890\", password: \"sandi baru sekali\", documents: { identityDocumentKind: KTP_EL, identityUploadId: $zero, familyCardUploadId: $zero, selfieUploadId: $zero }, uploadToken: \"bukan-token\", captchaId: $zero, captchaAnswer: \"salah\" }) { nikMasked } }"), [A, A, A, A, A, A, A]),
    row("login", Mutation("mutation($zero: ID!, $ownerNik: String!) { login(nik: $ownerNik, password: \"bukan sandinya\", captchaId: $zero, captchaAnswer: \"salah\") { expiresAt } }"), [A, A, A, A, A, A, A]),
    row("requestPasswordReset", Mutation("mutation($zero: ID!, $ownerNik: String!) { requestPasswordReset(input: { nik: $ownerNik, fullName: \"Siti Aminah\", documents: { identityDocumentKind: KTP_EL, identityUploadId: $zero, familyCardUploadId: $zero, selfieUploadId: $zero }, uploadToken: \"bukan-token\", captchaId: $zero, captchaAnswer: \"salah\" }) }"), [A, A, A, A, A, A, A]),
    row("completePasswordReset", Mutation("mutation($ownerNik: String!) { completePasswordReset(nik: $ownerNik, code: \"AAAAA-BBBBB\", newPassword: \"sandi baru sekali\") }"), [A, A, A, A, A, A, A]),
    // Staff administration (invalid or unknown targets: nothing is created or changed).
    row("createStaff", Mutation("mutation { createStaff(input: { username: \"x\", displayName: \"Petugas Baru\", role: OPERATOR, password: \"sandi petugas baru\" }) { id } }"), [U, F, F, F, F, F, A]),
    row("changeStaffRole", Mutation("mutation($zero: ID!) { changeStaffRole(staffId: $zero, role: AUDITOR) { id } }"), [U, F, F, F, F, F, A]),
    row("deactivateStaff", Mutation("mutation($zero: ID!) { deactivateStaff(staffId: $zero) { id } }"), [U, F, F, F, F, F, A]),
    row("changeMyPassword", Mutation("mutation { changeMyPassword(currentPassword: \"bukan sandinya\", newPassword: \"sandi baru sekali\") }"), [U, F, F, A, A, A, A]),
    // The office calendar (a past date, an empty reason, no outage: refused by the domain).
    row("addHoliday", Mutation("mutation { addHoliday(date: \"2020-01-01\", name: \"Coba\") { date } }"), [U, F, F, F, A, F, F]),
    row("removeHoliday", Mutation("mutation { removeHoliday(date: \"2020-01-01\") }"), [U, F, F, F, A, F, F]),
    row("declareOutage", Mutation("mutation { declareOutage(reason: \"\") { declaredAt } }"), [U, F, F, F, A, F, F]),
    row("endOutage", Mutation("mutation { endOutage { endedAt } }"), [U, F, F, F, A, F, F]),
    // Verification (the owner is already active, asked no reset, and is not the legacy NIK's other).
    row("approveAccount", Mutation("mutation($owner: ID!) { approveAccount(accountId: $owner) { accountId } }"), [U, F, F, A, A, F, F]),
    row("rejectAccount", Mutation("mutation($owner: ID!) { rejectAccount(accountId: $owner, reason: \"Foto KTP tidak jelas\") { accountId } }"), [U, F, F, A, A, F, F]),
    row("approvePasswordReset", Mutation("mutation($owner: ID!) { approvePasswordReset(accountId: $owner) { code } }"), [U, F, F, A, A, F, F]),
    row("rejectPasswordReset", Mutation("mutation($owner: ID!) { rejectPasswordReset(accountId: $owner, reason: \"Data tidak cocok\") { accountId } }"), [U, F, F, A, A, F, F]),
    // Erasure (UU PDP): filed by queue workers, approved by supervisors; on an account that does not exist.
    row("requestErasure", Mutation("mutation { requestErasure(accountId: \"00000000-0000-0000-0000-000000000000\", reason: \"Permintaan penduduk\") }"), [U, F, F, A, A, F, F]),
    row("approveErasure", Mutation("mutation { approveErasure(accountId: \"00000000-0000-0000-0000-000000000000\") { keysDestroyed } }"), [U, F, F, F, A, F, F]),
    row("grantLegacyAccess", Mutation("mutation($legacy: ID!, $other: ID!) { grantLegacyAccess(legacyAccountId: $legacy, accountId: $other) { until } }"), [U, F, F, A, A, F, F]),
    row("grantLegacyAccessByNik", Mutation("mutation { grantLegacyAccessByNik(nik: \"6106010101900003\") { until } }"), [U, F, F, A, A, F, F]),
    // The resident's requests: the owner's real requests (an unknown service for a new one).
    row("submitServiceRequest", Mutation("mutation { submitServiceRequest(input: { serviceCode: \"TIDAK_ADA\", fields: [], documents: [], idempotencyKey: \"kunci-matriks-01\" }) { number } }"), [U, A, A, F, F, F, F]),
    row("reuploadDocuments", Mutation("mutation($request: ID!) { reuploadDocuments(requestId: $request, documents: []) }"), [U, NY, A, F, F, F, F]),
    row("cancelRequest", Mutation("mutation($cancellable: ID!) { cancelRequest(requestId: $cancellable) }"), [U, NY, A, F, F, F, F]),
    // Processing (a request id of nothing: REQUEST_NOT_FOUND once through the guard).
    row("claimRequest", Mutation("mutation($zero: ID!) { claimRequest(requestId: $zero) }"), [U, F, F, A, A, F, F]),
    row("releaseRequest", Mutation("mutation($zero: ID!) { releaseRequest(requestId: $zero) }"), [U, F, F, A, A, F, F]),
    row("reassignRequest", Mutation("mutation($zero: ID!, $operatorId: ID!) { reassignRequest(requestId: $zero, staffId: $operatorId) }"), [U, F, F, F, A, F, F]),
    row("demandReupload", Mutation("mutation($zero: ID!) { demandReupload(requestId: $zero, items: [{ documentCode: \"KARTU_KELUARGA\", reason: \"Foto buram\" }]) }"), [U, F, F, A, A, F, F]),
    row("completeRequest", Mutation("mutation($zero: ID!) { completeRequest(requestId: $zero, uploadIds: []) }"), [U, F, F, A, A, F, F]),
    row("markReadyForPickup", Mutation("mutation($zero: ID!) { markReadyForPickup(requestId: $zero, place: \"Loket 1\", availableFrom: \"2026-12-01T01:00:00Z\") }"), [U, F, F, A, A, F, F]),
    row("markCollected", Mutation("mutation($zero: ID!) { markCollected(requestId: $zero) }"), [U, F, F, A, A, F, F]),
    row("rejectRequest", Mutation("mutation($zero: ID!) { rejectRequest(requestId: $zero, reason: \"Dokumen tidak lengkap\") }"), [U, F, F, A, A, F, F]),
    // Files (all of them the owning resident's).
    row("GET /files/{id}: identity document of the registration", Download(Document::Identity), [U, NF, A, A, A, NF, NF]),
    row("GET /files/{id}: document submitted with a request", Download(Document::Submitted), [U, NF, A, A, A, NF, NF]),
    row("GET /files/{id}: finished document of a request", Download(Document::Result), [U, NF, A, A, A, NF, NF]),
    row("GET /files/{id}: old-portal document during a grant", Download(Document::Legacy), [U, NF, A, A, A, NF, NF]),
    row("GET /files/{id}: upload not attached to anything", Download(Document::Unattached), [U, NF, NF, NF, NF, NF, NF]),
    row("GET /receipts/{id}: the receipt of a request", Receipt, [U, RNF, A, RNF, RNF, RNF, RNF]),
    // Before the session uploads: one client address may upload 30 files an hour with tokens.
    row("POST /uploads: upload token", Upload(UploadWith::UploadToken), [A, A, A, A, A, A, A]),
    row("POST /uploads: session and X-Requested-With", Upload(UploadWith::SessionAndHeader), [U, A, A, A, A, A, A]),
    row("POST /uploads: session without X-Requested-With", Upload(UploadWith::SessionWithoutHeader), [U, CS, CS, CS, CS, CS, CS]),
    // Subscriptions (GET /graphql/ws).
    row("myRequestUpdates", Subscription("subscription { myRequestUpdates { requestId } }"), [U, A, A, F, F, F, F]),
    row("workQueueChanged", Subscription("subscription { workQueueChanged { requestId } }"), [U, F, F, A, A, F, F]),
    // Last: it ends the caller's session.
    row("logout", Mutation("mutation { logout }"), [A, A, A, A, A, A, A]),
];

impl Row {
    /// The first column of the table in SECURITY.md.
    fn label(&self) -> String {
        match self.how {
            Query(_) => format!("`{}` (query)", self.name),
            Mutation(_) => format!("`{}` (mutation)", self.name),
            Subscription(_) => format!("`{}` (subscription)", self.name),
            Download(_) | Receipt | Upload(_) => {
                let (route, on) = self.name.split_once(": ").unwrap_or((self.name, ""));
                format!("`{route}`: {on}")
            }
        }
    }
}

/// The matrix as the Markdown table in `docs/SECURITY.md`.
fn render_matrix() -> String {
    let mut out = String::from("| field or route |");
    for principal in PRINCIPALS {
        out.push_str(&format!(" {} |", principal.label()));
    }
    out.push_str("\n| --- |");
    out.push_str(&" --- |".repeat(PRINCIPALS.len()));
    out.push('\n');
    for row in MATRIX {
        out.push_str(&format!("| {} |", row.label()));
        for expect in row.expect {
            match expect {
                Expect::Allow => out.push_str(" ✓ |"),
                Expect::Deny(code) => out.push_str(&format!(" `{code}` |")),
            }
        }
        out.push('\n');
    }
    out
}

#[test]
fn security_md_holds_the_access_matrix() -> anyhow::Result<()> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/SECURITY.md");
    let doc = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
    let begin = "<!-- access-matrix:begin -->\n";
    let end = "<!-- access-matrix:end -->";
    let start = doc.find(begin).context("begin marker")? + begin.len();
    let stop = doc[start..].find(end).context("end marker")? + start;
    let expected = render_matrix();
    assert!(
        doc[start..stop] == expected,
        "docs/SECURITY.md's access matrix differs from tests/tests/security.rs; it should read:\n{expected}"
    );
    Ok(())
}

/// What a cell gave.
#[derive(Debug)]
enum Observed {
    /// Through the guard, with the error code the harmless arguments earned, if any.
    Allow(Option<String>),
    Deny(String),
    /// Neither: the operation itself is wrong (a validation error, an internal error, an
    /// unexpected status) — the test is broken, not the guard.
    Broken(String),
}

fn observe_graphql(body: &Value) -> Observed {
    match body.pointer("/errors/0/extensions/code").and_then(Value::as_str) {
        None => Observed::Allow(None),
        Some(code) if DENY_CODES.contains(&code) => Observed::Deny(code.to_owned()),
        Some("GRAPHQL_VALIDATION_FAILED" | "INTERNAL_ERROR") => Observed::Broken(body.to_string()),
        Some(code) => Observed::Allow(Some(code.to_owned())),
    }
}

/// Routes answer a refusal with a status that must fit its code.
fn observe_route(status: u16, success: u16, body: &Value) -> Observed {
    if status == success {
        return Observed::Allow(None);
    }
    let code = body.pointer("/errors/0/extensions/code").and_then(Value::as_str).unwrap_or_default();
    let fitting = match code {
        "UNAUTHENTICATED" => 401,
        "FILE_NOT_FOUND" | "RECEIPT_NOT_FOUND" => 404,
        "CSRF_REJECTED" => 403,
        _ => return Observed::Broken(format!("{status} {body}")),
    };
    if status == fitting { Observed::Deny(code.to_owned()) } else { Observed::Broken(format!("{status} {body}")) }
}

/// Counts of what a refusal must leave untouched.
async fn fingerprint(pool: &PgPool) -> anyhow::Result<Vec<i64>> {
    let row: (i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM document_access_log),
                (SELECT count(*) FROM audit_log), (SELECT count(*) FROM stored_files),
                (SELECT count(*) FROM sessions), (SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL),
                (SELECT count(*) FROM sign_in_failures)",
    )
    .fetch_one(pool)
    .await?;
    Ok(vec![row.0, row.1, row.2, row.3, row.4, row.5, row.6])
}

const OWNER_NIK: &str = "6106015205900001";
const OTHER_NIK: &str = "6106010101900002";
const ZERO: &str = "00000000-0000-0000-0000-000000000000";
/// `PUBLIC_URL`'s origin in tests (the default).
const PUBLIC_ORIGIN: &str = "http://localhost:8080";
const SUBMIT: &str = "mutation($i: SubmitServiceRequestInput!) { submitServiceRequest(input: $i) { requestId } }";

/// Submits an Akta Kelahiran (a download service) or a lost KTP-el (pick-up) with real uploads;
/// returns the request id and the id of its first document.
async fn submit(app: &TestApp, resident: &Client, download: bool, key: &str) -> anyhow::Result<(String, String)> {
    let (service, fields, documents) = if download {
        let letter = upload_as(app, resident, pdf(), "surat.pdf").await?;
        let kk = upload_as(app, resident, jpeg(60, 40), "kk.jpg").await?;
        let ktp = upload_as(app, resident, jpeg(60, 40), "ktp.jpg").await?;
        let fields = json!([
            { "name": "nama_anak", "value": "Dayang Sumbi" }, { "name": "jenis_kelamin", "value": "Perempuan" },
            { "name": "tempat_lahir", "value": "Putussibau" }, { "name": "tanggal_lahir", "value": "2026-11-01" },
            { "name": "anak_ke", "value": "1" }, { "name": "nik_ibu", "value": OWNER_NIK } ]);
        let documents = json!([ { "code": "SURAT_KETERANGAN_LAHIR", "uploadId": letter },
            { "code": "KARTU_KELUARGA", "uploadId": kk }, { "code": "KTP_ORANG_TUA", "uploadId": ktp } ]);
        ("AKTA_KELAHIRAN", fields, documents)
    } else {
        let letter = upload_as(app, resident, pdf(), "polisi.pdf").await?;
        let kk = upload_as(app, resident, jpeg(60, 40), "kk.jpg").await?;
        let fields = json!([{ "name": "tanggal_kehilangan", "value": "2026-11-20" }]);
        let documents =
            json!([{ "code": "SURAT_KEHILANGAN", "uploadId": letter }, { "code": "KARTU_KELUARGA", "uploadId": kk }]);
        ("KTP_EL_HILANG", fields, documents)
    };
    let first = documents[0]["uploadId"].as_str().context("document")?.to_owned();
    let input =
        json!({ "i": { "serviceCode": service, "fields": fields, "documents": documents, "idempotencyKey": key } });
    let reply = resident.gql(SUBMIT, input).await?;
    let id = reply.data()?.pointer("/submitServiceRequest/requestId").and_then(Value::as_str).context("id")?;
    Ok((id.to_owned(), first))
}

/// The running tally of the matrix.
#[derive(Default)]
struct Tally {
    cells: usize,
    allowed: usize,
    denied: usize,
    unexpected_allows: Vec<String>,
    unexpected_denies: Vec<String>,
    wrong_deny_codes: Vec<String>,
    broken: Vec<String>,
    changed_on_deny: Vec<String>,
}

impl Tally {
    fn record(&mut self, row: &Row, principal: Principal, expected: Expect, observed: &Observed) {
        self.cells += 1;
        let cell = format!("{} as {}: expected {expected:?}, got {observed:?}", row.name, principal.label());
        match (expected, observed) {
            (_, Observed::Broken(detail)) => {
                self.broken.push(format!("{} as {}: {detail}", row.name, principal.label()))
            }
            (Expect::Allow, Observed::Allow(_)) => self.allowed += 1,
            (Expect::Deny(code), Observed::Deny(got)) => {
                self.denied += 1;
                if code != got {
                    self.wrong_deny_codes.push(cell);
                }
            }
            (Expect::Deny(_), Observed::Allow(_)) => {
                self.allowed += 1;
                self.unexpected_allows.push(cell);
            }
            (Expect::Allow, Observed::Deny(_)) => {
                self.denied += 1;
                self.unexpected_denies.push(cell);
            }
        }
    }
}

/// Every cell of [`MATRIX`] against the real server, with real objects of a real owner: each
/// refusal must carry its documented code and leave the database as it was; any unexpected
/// allow fails the test, and so does any unexpected deny, wrong code or broken operation. A
/// root field of the schema missing from the table fails it too.
/// A refusal tells the caller who may: the roles that hold the permission (from the one
/// permission table), or that the field is for staff or for residents only. The ADMIN manages
/// staff and is not an officer (docs/SECURITY.md, "Roles"), so the verification queue tells
/// them it is for Operators and Supervisors.
#[sqlx::test(migrations = "../migrations")]
async fn refusals_name_the_roles_that_may(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let admin = app.staff("kepala", Role::Admin).await?;
    let operator = app.staff("siti", Role::Operator).await?;
    let auditor = app.staff("audit", Role::Auditor).await?;
    let (resident, _) = active_resident(&app, &operator, OWNER_NIK, "Siti Aminah").await?;
    let cases: [(&Client, &str, &str); 6] = [
        (
            &admin,
            "{ accountVerificationQueue { totalCount } }",
            "Hanya petugas dengan peran Operator atau Supervisor yang dapat memverifikasi akun penduduk dan \
             mengerjakan antrean pengajuan.",
        ),
        (
            &operator,
            "mutation { addHoliday(date: \"2020-01-01\", name: \"Coba\") { date } }",
            "Hanya petugas dengan peran Supervisor yang dapat mengatur kalender kantor (hari tutup dan gangguan layanan).",
        ),
        (
            &operator,
            "{ officeStatistics(from: \"2026-12-01\", to: \"2026-12-31\") { submitted } }",
            "Hanya petugas dengan peran Supervisor, Auditor atau Admin yang dapat membuka dasbor statistik kantor.",
        ),
        (
            &auditor,
            "{ staffMembers { totalCount } }",
            "Hanya petugas dengan peran Admin yang dapat mengelola akun dan peran petugas.",
        ),
        (
            &resident,
            "{ workQueue { counts { count } } }",
            "Hanya petugas yang dapat melakukan tindakan ini, melalui Konsol Petugas.",
        ),
        (&admin, "{ me { accountId } }", "Hanya penduduk yang dapat melakukan tindakan ini, dengan akunnya sendiri."),
    ];
    for (client, query, message) in cases {
        let reply = client.gql(query, json!({})).await?;
        assert_eq!(reply.error_code(), Some("FORBIDDEN"), "{query}");
        assert_eq!(reply.error_message(), Some(message), "{query}");
    }
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn access_matrix_every_root_field_and_route_for_every_caller(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;

    // Every root field of the schema is in the table, and every field in the table exists.
    let anonymous = app.client()?;
    let schema = anonymous
        .gql(
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }",
            json!({}),
        )
        .await?;
    let mut in_schema = BTreeSet::new();
    for (root, kind) in [("queryType", "query"), ("mutationType", "mutation"), ("subscriptionType", "subscription")] {
        let fields = schema.data()?.pointer(&format!("/__schema/{root}/fields")).and_then(Value::as_array);
        for field in fields.context(root)? {
            in_schema.insert((kind, field["name"].as_str().context("name")?.to_owned()));
        }
    }
    let in_table: BTreeSet<(&str, String)> = MATRIX
        .iter()
        .filter_map(|row| match row.how {
            Query(_) => Some(("query", row.name.to_owned())),
            Mutation(_) => Some(("mutation", row.name.to_owned())),
            Subscription(_) => Some(("subscription", row.name.to_owned())),
            Download(_) | Receipt | Upload(_) => None,
        })
        .collect();
    let missing: Vec<_> = in_schema.difference(&in_table).collect();
    let stale: Vec<_> = in_table.difference(&in_schema).collect();
    assert!(missing.is_empty(), "root fields missing from the access matrix (add a row): {missing:?}");
    assert!(stale.is_empty(), "rows of the access matrix for fields the schema lacks: {stale:?}");

    // The callers: staff of each role, and two active residents.
    let operator = app.staff("budi", Role::Operator).await?;
    let supervisor = app.staff("sri", Role::Supervisor).await?;
    let auditor = app.staff("audit", Role::Auditor).await?;
    let admin = app.staff("admin", Role::Admin).await?;
    let (owner, owner_id) = active_resident(&app, &operator, OWNER_NIK, "Siti Aminah").await?;
    let (other, other_id) = active_resident(&app, &operator, OTHER_NIK, "Budi Santoso").await?;
    let identity: String = sqlx::query_scalar(
        "SELECT file_id::text FROM stored_files WHERE attached_to = $1 ORDER BY created_at, file_id LIMIT 1",
    )
    .bind(format!("Account:{owner_id}"))
    .fetch_one(&pool)
    .await?;

    // The owner's objects: an open request, one to cancel, a finished one with its signed PDF,
    // an unattached upload, and an old-portal document under a live grant. The other resident
    // has a request of their own (for the subscriptions).
    let (request, submitted) = submit(&app, &owner, true, "matriks-a-0001").await?;
    let (cancellable, _) = submit(&app, &owner, false, "matriks-b-0001").await?;
    let (finished, _) = submit(&app, &owner, true, "matriks-c-0001").await?;
    let (others_request, _) = submit(&app, &other, false, "matriks-d-0001").await?;
    operator.gql("mutation($r: ID!) { claimRequest(requestId: $r) }", json!({ "r": finished })).await?.data()?;
    let result = upload_as(&app, &operator, pdf(), "akta-ttd.pdf").await?;
    operator
        .gql(
            "mutation($r: ID!, $u: [ID!]!) { completeRequest(requestId: $r, uploadIds: $u) }",
            json!({ "r": finished, "u": [result] }),
        )
        .await?
        .data()?;
    let unattached = upload_as(&app, &owner, jpeg(40, 30), "lain.jpg").await?;
    let export = e2e::TempDir::new()?;
    std::fs::write(export.path().join("akta.pdf"), pdf())?;
    std::fs::write(
        export.path().join("ekspor.json"),
        json!([{ "nik": OWNER_NIK, "name": "Siti Aminah", "phone": "081234567890",
                 "documents": [{ "title": "Akta Kelahiran", "file": "akta.pdf" }] }])
        .to_string(),
    )?;
    api::legacy_import::import_file(&app.commands.legacy, &export.path().join("ekspor.json")).await?;
    let legacy = eventually("legacy account projected", || async {
        let reply =
            operator.gql("query($n: String!) { legacyAccount(nik: $n) { id } }", json!({ "n": OWNER_NIK })).await?;
        Ok(reply.data()?.pointer("/legacyAccount/id").and_then(Value::as_str).map(str::to_owned))
    })
    .await?;
    operator
        .gql(
            "mutation($l: ID!, $a: ID!) { grantLegacyAccess(legacyAccountId: $l, accountId: $a) { until } }",
            json!({ "l": legacy, "a": owner_id }),
        )
        .await?
        .data()?;
    let me = owner.gql("{ me { legacyDocuments { url } } }", json!({})).await?;
    let legacy_url = me.data()?.pointer("/me/legacyDocuments/0/url").and_then(Value::as_str).context("legacy")?;
    let legacy_file = legacy_url.trim_start_matches("/files/").to_owned();
    let upload_token = anonymous.upload_token(&pool).await?;
    let operator_id = operator.gql("{ currentStaff { id } }", json!({})).await?;
    let operator_id = operator_id.data()?.pointer("/currentStaff/id").cloned().context("operator id")?;
    let variables = json!({
        "owner": owner_id, "other": other_id, "ownerNik": OWNER_NIK, "request": request,
        "cancellable": cancellable, "legacy": legacy, "operatorId": operator_id, "zero": ZERO,
    });

    // Nothing of the owner's shows on the other resident's board.
    let board = eventually("the other resident's request on their board", || async {
        let reply = other.gql("{ myRequests { edges { node { requestId } } } }", json!({})).await?;
        let ids: Vec<String> = reply
            .data()?
            .pointer("/myRequests/edges")
            .and_then(Value::as_array)
            .map(|e| e.iter().filter_map(|e| e.pointer("/node/requestId")?.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        Ok((!ids.is_empty()).then_some(ids))
    })
    .await?;
    assert_eq!(board, std::slice::from_ref(&others_request));

    let callers = [&anonymous, &other, &owner, &operator, &supervisor, &auditor, &admin];
    let mut tally = Tally::default();
    let mut leaks = Vec::new();
    for row in MATRIX {
        if let Subscription(query) = row.how {
            // Every caller subscribes; then requests of both residents change until every
            // socket has answered: a refusal at once, an allowed subscription with its first
            // change. The residents must each hear of their own request only.
            let mut sockets = Vec::new();
            let mut first: Vec<Option<Value>> = Vec::new();
            for client in callers {
                match open(&app, client.cookie_header().as_deref()).await? {
                    Opened::Open(mut socket) => {
                        start(&mut socket, "1", query).await?;
                        sockets.push(Some(*socket));
                        first.push(None);
                    }
                    // Refused at the upgrade (no session): the refusal is the answer.
                    Opened::Refused(status, body) => {
                        sockets.push(None);
                        first.push(Some(json!({ "type": "refused", "status": status, "payload": body })));
                    }
                }
            }
            for round in 0..20 {
                let step = if round % 2 == 0 { "claimRequest" } else { "releaseRequest" };
                for id in [&request, &others_request] {
                    let mutation = format!("mutation($r: ID!) {{ {step}(requestId: $r) }}");
                    operator.gql(&mutation, json!({ "r": id })).await?.data()?;
                }
                for (socket, seen) in sockets.iter_mut().zip(first.iter_mut()) {
                    if let (Some(socket), None) = (socket, &seen) {
                        *seen = next_message(socket, Duration::from_millis(500)).await?;
                    }
                }
                if first.iter().all(Option::is_some) {
                    break;
                }
            }
            for ((principal, expected), message) in PRINCIPALS.iter().zip(row.expect).zip(&first) {
                let observed = match message {
                    None => Observed::Broken("no message on the socket".into()),
                    Some(m) if m["type"] == "refused" => {
                        observe_route(m["status"].as_u64().unwrap_or(0) as u16, 101, &m["payload"])
                    }
                    Some(m) if m["type"] != "next" => Observed::Broken(m.to_string()),
                    Some(m) => observe_graphql(&m["payload"]),
                };
                if let (Observed::Allow(None), Some(m)) = (&observed, message) {
                    let about = m.pointer("/payload/data/myRequestUpdates/requestId").and_then(Value::as_str);
                    // The owner may also hear of their other requests (a cancellation still
                    // being projected); never of the other resident's, nor the other of theirs.
                    let own: &[&str] = match principal {
                        Principal::OwningResident => &[&request, &cancellable, &finished],
                        Principal::OtherResident => &[&others_request],
                        _ => &[],
                    };
                    if about.is_some_and(|id| !own.contains(&id)) {
                        leaks.push(format!("{} as {} heard of {about:?}", row.name, principal.label()));
                    }
                }
                tally.record(row, *principal, expected, &observed);
            }
            continue;
        }
        // The owner goes last in each row: an allowed owner's action may change the object.
        for index in [0, 1, 3, 4, 5, 6, 2] {
            let (principal, expected, client) = (PRINCIPALS[index], row.expect[index], callers[index]);
            let before = fingerprint(&pool).await?;
            let observed = match row.how {
                Query(operation) | Mutation(operation) => {
                    observe_graphql(&client.gql(operation, variables.clone()).await?.body)
                }
                Download(document) => {
                    let id = match document {
                        Document::Identity => &identity,
                        Document::Submitted => &submitted,
                        Document::Result => &result,
                        Document::Legacy => &legacy_file,
                        Document::Unattached => &unattached,
                    };
                    let response = client.http.get(app.url(&format!("/files/{id}"))).send().await?;
                    let status = response.status().as_u16();
                    let body = if status == 200 { Value::Null } else { response.json().await.unwrap_or_default() };
                    observe_route(status, 200, &body)
                }
                Receipt => {
                    let response = client.http.get(app.url(&format!("/receipts/{request}"))).send().await?;
                    let status = response.status().as_u16();
                    let body = if status == 200 { Value::Null } else { response.json().await.unwrap_or_default() };
                    observe_route(status, 200, &body)
                }
                Upload(with) => {
                    let (status, body) = match with {
                        UploadWith::SessionAndHeader => {
                            client.upload(&app.url(""), None, jpeg(30, 20), "x.jpg").await?
                        }
                        UploadWith::UploadToken => {
                            client.upload(&app.url(""), Some(&upload_token), jpeg(30, 20), "x.jpg").await?
                        }
                        UploadWith::SessionWithoutHeader => {
                            let part = reqwest::multipart::Part::bytes(jpeg(30, 20)).file_name("x.jpg");
                            let form = reqwest::multipart::Form::new().part("file", part);
                            let response = client.http.post(app.url("/uploads")).multipart(form).send().await?;
                            let status = response.status().as_u16();
                            (status, response.json().await.unwrap_or_default())
                        }
                    };
                    observe_route(status, 201, &body)
                }
                Subscription(_) => Observed::Broken("handled above".into()),
            };
            if matches!(observed, Observed::Deny(_)) {
                let after = fingerprint(&pool).await?;
                if after != before {
                    tally.changed_on_deny.push(format!(
                        "{} as {}: {before:?} → {after:?}",
                        row.name,
                        principal.label()
                    ));
                }
            }
            tally.record(row, principal, expected, &observed);
        }
    }

    println!(
        "access matrix: {} rows × {} callers = {} cells tried: {} allowed, {} denied; unexpected allows {}, \
         unexpected denies {}, wrong deny codes {}, denies that changed something {}, broken cells {}",
        MATRIX.len(),
        PRINCIPALS.len(),
        tally.cells,
        tally.allowed,
        tally.denied,
        tally.unexpected_allows.len(),
        tally.unexpected_denies.len(),
        tally.wrong_deny_codes.len(),
        tally.changed_on_deny.len(),
        tally.broken.len(),
    );
    assert_eq!(tally.cells, MATRIX.len() * PRINCIPALS.len());
    assert!(tally.unexpected_allows.is_empty(), "UNEXPECTED ALLOWS:\n{}", tally.unexpected_allows.join("\n"));
    assert!(tally.changed_on_deny.is_empty(), "refusals that changed state:\n{}", tally.changed_on_deny.join("\n"));
    assert!(tally.wrong_deny_codes.is_empty(), "refused with another code:\n{}", tally.wrong_deny_codes.join("\n"));
    assert!(tally.unexpected_denies.is_empty(), "unexpected denies:\n{}", tally.unexpected_denies.join("\n"));
    assert!(tally.broken.is_empty(), "cells that did not test the guard:\n{}", tally.broken.join("\n"));
    assert!(leaks.is_empty(), "subscriptions leaked another resident's request: {leaks:?}");

    // Every caller's session ended with the last row.
    for client in &callers[1..] {
        let reply = client.gql("{ me { accountId } }", json!({})).await?;
        assert_eq!(reply.error_code(), Some("UNAUTHENTICATED"));
    }
    app.stop().await
}

// ---------------------------------------------------------------------------------------------
// Sign-in, sessions and cookies
// ---------------------------------------------------------------------------------------------

/// A raw answer: status, headers, JSON body.
struct Raw {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Raw {
    fn code(&self) -> Option<&str> {
        self.body.pointer("/errors/0/extensions/code").and_then(Value::as_str)
    }
}

/// A GraphQL request from a client without a cookie jar, with exactly these extra headers
/// (a replayed `cookie`, an `x-forwarded-for`, an `origin`).
async fn post_graphql(app: &TestApp, headers: &[(&str, &str)], query: &str, variables: Value) -> anyhow::Result<Raw> {
    let mut request =
        reqwest::Client::new().post(app.url("/graphql")).json(&json!({ "query": query, "variables": variables }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    Ok(Raw { status, headers, body: response.json().await.unwrap_or_default() })
}

/// What an observer could compare between two answers: status, body, and every header but the
/// request id and the date.
fn observable(status: u16, headers: &reqwest::header::HeaderMap, body: &Value) -> (u16, String, Vec<String>) {
    let mut shown: Vec<String> = headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "x-request-id" | "date"))
        .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap_or_default()))
        .collect();
    shown.sort();
    (status, body.to_string(), shown)
}

const RESIDENT_LOGIN: &str = "mutation($n: String!, $p: String!, $c: ID!, $a: String!) { login(nik: $n, password: $p, captchaId: $c, captchaAnswer: $a) { expiresAt } }";
const STAFF_LOGIN: &str = "mutation($u: String!, $p: String!) { staffLogin(username: $u, password: $p) { expiresAt } }";

/// Unknown NIK, malformed NIK, wrong password, and a wrong password on an account still waiting
/// for verification: one answer, byte for byte (status, headers, body; no cookie). Only the
/// right password tells a resident the account is waiting.
#[sqlx::test(migrations = "../migrations")]
async fn resident_sign_in_answers_do_not_reveal_whether_an_account_exists(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    active_resident(&app, &operator, OWNER_NIK, "Siti Aminah").await?;
    registered_resident(&app, OTHER_NIK, "Budi Santoso").await?;
    let cases = [
        ("unknown NIK", "6106010101900009"),
        ("malformed NIK", "12345"),
        ("active account, wrong password", OWNER_NIK),
        ("waiting account, wrong password", OTHER_NIK),
    ];
    let mut answers = Vec::new();
    for (case, nik) in cases {
        let reply = app.client()?.resident_login(&pool, nik, "bukan sandinya").await?;
        assert_eq!(reply.error_code(), Some("INVALID_CREDENTIALS"), "{case}: {}", reply.body);
        assert!(reply.headers.get("set-cookie").is_none(), "{case}");
        answers.push((case, observable(reply.status, &reply.headers, &reply.body)));
    }
    for (case, answer) in &answers[1..] {
        assert_eq!(answer, &answers[0].1, "{case} differs from {}", answers[0].0);
    }
    let waiting = app.client()?.resident_login(&pool, OTHER_NIK, RESIDENT_PASSWORD).await?;
    assert_eq!(waiting.error_code(), Some("ACCOUNT_AWAITING_VERIFICATION"));
    app.stop().await
}

/// Unknown username, malformed username, wrong password, and the right password of a
/// deactivated account: one answer, byte for byte.
#[sqlx::test(migrations = "../migrations")]
async fn staff_sign_in_answers_do_not_reveal_whether_an_account_exists(pool: PgPool) -> anyhow::Result<()> {
    // Each case from its own address: staff get only three free failures per address.
    let app =
        TestApp::spawn_with_options(pool.clone(), Arc::new(commands::SystemClock), &["--trust-forwarded-for"]).await?;
    let admin = app.staff("admin", Role::Admin).await?;
    app.staff("budi", Role::Operator).await?;
    let former = app.staff("lama", Role::Operator).await?;
    let former_id = former.gql("{ currentStaff { id } }", json!({})).await?;
    let former_id = former_id.data()?.pointer("/currentStaff/id").cloned().context("id")?;
    admin
        .gql("mutation($s: ID!) { deactivateStaff(staffId: $s) { active } }", json!({ "s": former_id }))
        .await?
        .data()?;
    let cases = [
        ("unknown username", "siapa", "bukan sandinya"),
        ("malformed username", "??", "bukan sandinya"),
        ("wrong password", "budi", "bukan sandinya"),
        ("deactivated, right password", "lama", "sandi lama 2026"),
    ];
    let mut answers = Vec::new();
    for (i, (case, username, password)) in cases.into_iter().enumerate() {
        let address = format!("10.0.9.{}", i + 1);
        let reply =
            post_graphql(&app, &[("x-forwarded-for", &address)], STAFF_LOGIN, json!({ "u": username, "p": password }))
                .await?;
        assert_eq!(reply.code(), Some("INVALID_CREDENTIALS"), "{case}: {}", reply.body);
        assert!(reply.headers.get("set-cookie").is_none(), "{case}");
        answers.push((case, observable(reply.status, &reply.headers, &reply.body)));
    }
    for (case, answer) in &answers[1..] {
        assert_eq!(answer, &answers[0].1, "{case} differs from {}", answers[0].0);
    }
    app.stop().await
}

/// The throttle counts failures per account and per client address, so neither rotating
/// addresses against one NIK (or username) nor trying many NIKs (or usernames) from one address
/// gets past five free failures; a throttled known NIK answers like an unknown one, and the
/// right password waits too. The resident's delay follows the service clock, held still here
/// so that the delays cannot run out between attempts; fifteen minutes later the NIK may try
/// again. Addresses come from `X-Forwarded-For` (`TRUST_FORWARDED_FOR`).
#[sqlx::test(migrations = "../migrations")]
async fn sign_in_is_throttled_per_account_across_addresses_and_per_address_across_accounts(
    pool: PgPool,
) -> anyhow::Result<()> {
    let clock = commands::ManualClock::default();
    let app = TestApp::spawn_with_options(pool.clone(), Arc::new(clock.clone()), &["--trust-forwarded-for"]).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    active_resident(&app, &operator, OWNER_NIK, "Siti Aminah").await?;
    let start = chrono::Utc::now();
    let captcha = app.client()?;
    let attempt = |address: String, nik: String, password: &'static str| {
        let (app, pool, captcha, clock) = (&app, &pool, &captcha, &clock);
        async move {
            let (id, answer) = captcha.solve_captcha(pool).await?;
            clock.set_to(start);
            let reply = post_graphql(
                app,
                &[("x-forwarded-for", &address)],
                RESIDENT_LOGIN,
                json!({ "n": nik, "p": password, "c": id, "a": answer }),
            )
            .await?;
            Ok::<_, anyhow::Error>(reply.code().unwrap_or("OK").to_owned())
        }
    };

    // One NIK, a new address each time.
    let mut codes = Vec::new();
    for i in 1..=7 {
        codes.push(attempt(format!("10.0.0.{i}"), OWNER_NIK.into(), "bukan sandinya").await?);
    }
    assert_eq!(codes[..5], ["INVALID_CREDENTIALS"; 5], "{codes:?}");
    assert_eq!(codes[5..], ["TOO_MANY_ATTEMPTS"; 2], "{codes:?}");
    assert_eq!(attempt("10.0.0.99".into(), OWNER_NIK.into(), RESIDENT_PASSWORD).await?, "TOO_MANY_ATTEMPTS");

    // One address, a new NIK each time (unknown ones); then a known NIK with its right password.
    let mut codes = Vec::new();
    for serial in 1..=7 {
        codes.push(attempt("10.0.1.1".into(), format!("610601010190{:04}", 100 + serial), "bukan sandinya").await?);
    }
    assert_eq!(codes[..5], ["INVALID_CREDENTIALS"; 5], "{codes:?}");
    assert_eq!(codes[5..], ["TOO_MANY_ATTEMPTS"; 2], "{codes:?}");
    assert_eq!(attempt("10.0.1.1".into(), "6106010101900200".into(), "bukan sandinya").await?, "TOO_MANY_ATTEMPTS");

    // Fifteen minutes on, the NIK signs in from a fresh address.
    clock.advance(chrono::Duration::minutes(16));
    let (id, answer) = captcha.solve_captcha(&pool).await?;
    let later = post_graphql(
        &app,
        &[("x-forwarded-for", "10.0.0.100")],
        RESIDENT_LOGIN,
        json!({ "n": OWNER_NIK, "p": RESIDENT_PASSWORD, "c": id, "a": answer }),
    )
    .await?;
    assert_eq!(later.code(), None, "{}", later.body);

    // Staff: one username from eight addresses; eight usernames from one address. (Staff delays
    // follow the real clock: the first is a second, so at least one of the last three attempts
    // falls inside a delay.)
    let mut by_user = Vec::new();
    let mut by_address = Vec::new();
    for i in 1..=8 {
        let address = format!("10.0.2.{i}");
        let reply =
            post_graphql(&app, &[("x-forwarded-for", &address)], STAFF_LOGIN, json!({ "u": "budi", "p": "tebakan" }))
                .await?;
        by_user.push(reply.code().unwrap_or("OK").to_owned());
        let user = format!("petugas{i}");
        let reply =
            post_graphql(&app, &[("x-forwarded-for", "10.0.3.1")], STAFF_LOGIN, json!({ "u": user, "p": "tebakan" }))
                .await?;
        by_address.push(reply.code().unwrap_or("OK").to_owned());
    }
    // Staff get three free failures (`ThrottlePolicy::STAFF`).
    for codes in [&by_user, &by_address] {
        assert_eq!(codes[..3], ["INVALID_CREDENTIALS"; 3], "{codes:?}");
        assert!(codes[3..].iter().any(|c| c == "TOO_MANY_ATTEMPTS"), "{codes:?}");
        assert!(codes[3..].iter().all(|c| c == "TOO_MANY_ATTEMPTS" || c == "INVALID_CREDENTIALS"), "{codes:?}");
    }
    app.stop().await
}

/// Sessions live by the service's clock, like everything else: moving the injected clock past
/// the idle timeout (2 hours by default) or the absolute lifetime (12 hours) ends a session at
/// once, for staff and residents alike, with nobody waiting.
#[sqlx::test(migrations = "../migrations")]
async fn sessions_expire_by_the_services_clock(pool: PgPool) -> anyhow::Result<()> {
    use commands::Clock;
    let clock = commands::ManualClock::default();
    let app = TestApp::spawn_with_clock(pool.clone(), Arc::new(clock.clone())).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &operator, OWNER_NIK, "Siti Aminah").await?;
    let staff_query = "{ currentStaff { id } }";
    let resident_query = "{ me { accountId } }";
    assert_eq!(operator.gql(staff_query, json!({})).await?.error_code(), None);

    // Idle: each use within two hours keeps the session; two hours without one end it.
    for _ in 0..3 {
        clock.advance(chrono::Duration::minutes(110));
        assert_eq!(operator.gql(staff_query, json!({})).await?.error_code(), None, "used in time");
        assert_eq!(resident.gql(resident_query, json!({})).await?.error_code(), None, "used in time");
    }
    clock.advance(chrono::Duration::minutes(121));
    assert_eq!(operator.gql(staff_query, json!({})).await?.error_code(), Some("UNAUTHENTICATED"));
    assert_eq!(resident.gql(resident_query, json!({})).await?.error_code(), Some("UNAUTHENTICATED"));

    // Absolute: however busy, twelve hours after sign-in the session ends.
    let signed_in = operator.staff_login("budi", "sandi budi 2026").await?;
    let expires_at = signed_in.data()?.pointer("/staffLogin/expiresAt").and_then(Value::as_str).context("expiresAt")?;
    let expires_at = chrono::DateTime::parse_from_rfc3339(expires_at)?;
    let expected = clock.now() + chrono::Duration::hours(12);
    assert!((expires_at.with_timezone(&chrono::Utc) - expected).num_seconds().abs() < 5, "{expires_at} vs {expected}");
    for _ in 0..6 {
        clock.advance(chrono::Duration::minutes(115));
        assert_eq!(operator.gql(staff_query, json!({})).await?.error_code(), None, "kept alive by use");
    }
    clock.advance(chrono::Duration::minutes(115));
    assert_eq!(operator.gql(staff_query, json!({})).await?.error_code(), Some("UNAUTHENTICATED"));
    app.stop().await
}

/// The token of the `dukcapil_session` cookie an answer sets.
fn session_token(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("dukcapil_session="))
        .and_then(|rest| rest.split(';').next())
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
}

/// After `logout` the old cookie is refused everywhere it was accepted: GraphQL, file
/// downloads, uploads, the websocket. A new sign-in on the same browser ends the session it
/// replaces, and changing one's password ends one's other sessions. (A password reset ending
/// every session: `residents.rs::forgotten_password_is_approved_by_an_operator_and_ends_old_sessions`.)
#[sqlx::test(migrations = "../migrations")]
async fn ended_sessions_stay_ended_whatever_the_old_cookie_is_sent_to(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, account_id) = active_resident(&app, &operator, OWNER_NIK, "Siti Aminah").await?;
    let document: String =
        sqlx::query_scalar("SELECT file_id::text FROM stored_files WHERE attached_to = $1 ORDER BY created_at LIMIT 1")
            .bind(format!("Account:{account_id}"))
            .fetch_one(&pool)
            .await?;
    let bare = reqwest::Client::new();
    let download = |cookie: String| {
        let (bare, url) = (&bare, app.url(&format!("/files/{document}")));
        async move { Ok::<_, anyhow::Error>(bare.get(url).header("cookie", cookie).send().await?.status().as_u16()) }
    };
    let upload = |cookie: String| {
        let (bare, url) = (&bare, app.url("/uploads"));
        async move {
            let form = reqwest::multipart::Form::new()
                .part("file", reqwest::multipart::Part::bytes(jpeg(20, 20)).file_name("x.jpg"));
            let response =
                bare.post(url).header("cookie", cookie).header("x-requested-with", "t").multipart(form).send().await?;
            Ok::<_, anyhow::Error>(response.status().as_u16())
        }
    };

    // The resident's cookie works everywhere; after logout, nowhere.
    let cookie = resident.cookie_header().context("resident cookie")?;
    let me = "{ me { accountId } }";
    assert_eq!(post_graphql(&app, &[("cookie", &cookie)], me, json!({})).await?.code(), None);
    assert_eq!(download(cookie.clone()).await?, 200);
    assert_eq!(upload(cookie.clone()).await?, 201);
    let out = resident.gql("mutation { logout }", json!({})).await?;
    assert_eq!(out.data()?["logout"], json!(true));
    assert_eq!(post_graphql(&app, &[("cookie", &cookie)], me, json!({})).await?.code(), Some("UNAUTHENTICATED"));
    assert_eq!(download(cookie.clone()).await?, 401);
    assert_eq!(upload(cookie.clone()).await?, 401);
    match open(&app, Some(&cookie)).await? {
        Opened::Refused(status, body) => {
            assert_eq!((status, body.pointer("/errors/0/extensions/code")), (401, Some(&json!("UNAUTHENTICATED"))));
        }
        Opened::Open(_) => bail!("a socket opened with an ended session"),
    }
    let revoked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions WHERE subject_id = $1::uuid AND revoked_at IS NULL")
            .bind(&account_id)
            .fetch_one(&pool)
            .await?;
    assert_eq!(revoked, 0, "no live session of the resident is left");

    // Signing in again on the same browser replaces the session: the previous cookie is dead.
    resident.resident_login(&pool, OWNER_NIK, RESIDENT_PASSWORD).await?.data()?;
    let first = resident.cookie_header().context("cookie")?;
    resident.resident_login(&pool, OWNER_NIK, RESIDENT_PASSWORD).await?.data()?;
    let second = resident.cookie_header().context("cookie")?;
    assert_ne!(first, second);
    assert_eq!(post_graphql(&app, &[("cookie", &first)], me, json!({})).await?.code(), Some("UNAUTHENTICATED"));
    assert_eq!(post_graphql(&app, &[("cookie", &second)], me, json!({})).await?.code(), None);

    // Staff: logout, and a password change ending the other session but not this one.
    let staff_cookie = operator.cookie_header().context("staff cookie")?;
    let current = "{ currentStaff { id } }";
    operator.gql("mutation { logout }", json!({})).await?.data()?;
    assert_eq!(
        post_graphql(&app, &[("cookie", &staff_cookie)], current, json!({})).await?.code(),
        Some("UNAUTHENTICATED")
    );
    assert_eq!(upload(staff_cookie).await?, 401);
    let desk = app.client()?;
    desk.staff_login("budi", "sandi budi 2026").await?;
    let phone = app.client()?;
    phone.staff_login("budi", "sandi budi 2026").await?;
    desk.gql(
        "mutation { changeMyPassword(currentPassword: \"sandi budi 2026\", newPassword: \"sandi baru budi 2026\") }",
        json!({}),
    )
    .await?
    .data()?;
    assert_eq!(phone.gql(current, json!({})).await?.error_code(), Some("UNAUTHENTICATED"));
    assert_eq!(desk.gql(current, json!({})).await?.error_code(), None);
    app.stop().await
}

/// Checks a `Set-Cookie` value of the session cookie.
fn assert_session_cookie(set_cookie: &str, secure: bool) {
    let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).collect();
    assert!(attributes[0].starts_with("dukcapil_session="), "{set_cookie}");
    for required in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attributes.contains(&required), "{required} missing: {set_cookie}");
    }
    assert!(attributes.iter().any(|a| a.starts_with("Max-Age=")), "{set_cookie}");
    assert_eq!(attributes.contains(&"Secure"), secure, "Secure should be {secure}: {set_cookie}");
    assert!(!attributes.iter().any(|a| a.starts_with("Domain=")), "host-only cookie expected: {set_cookie}");
}

fn set_cookie(headers: &reqwest::header::HeaderMap) -> anyhow::Result<String> {
    let value = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("dukcapil_session="))
        .context("no session cookie set")?;
    Ok(value.to_owned())
}

/// Resident and staff sign-in and logout cookies on a `localhost` public URL: HttpOnly,
/// SameSite=Lax, Path=/, host-only, not Secure (plain-http development).
#[sqlx::test(migrations = "../migrations")]
async fn session_cookies_on_localhost_are_httponly_lax_and_not_secure(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let operator = app.client()?;
    let system = domain::CommandMetadata::system(uuid::Uuid::new_v4());
    app.commands.staff.create("budi", "Budi", Role::Operator, "sandi budi 2026", &system).await?;
    let login = operator.staff_login("budi", "sandi budi 2026").await?;
    assert_session_cookie(&set_cookie(&login.headers)?, false);
    let (resident, _) = active_resident(&app, &operator, OWNER_NIK, "Siti Aminah").await?;
    let login = resident.resident_login(&pool, OWNER_NIK, RESIDENT_PASSWORD).await?;
    assert_session_cookie(&set_cookie(&login.headers)?, false);
    let out = resident.gql("mutation { logout }", json!({})).await?;
    let cleared = set_cookie(&out.headers)?;
    assert_session_cookie(&cleared, false);
    assert!(cleared.starts_with("dukcapil_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    // An unknown API path is simply not found (no CSRF layer answers for it); other paths are
    // the portal's pages (tests/tests/portal.rs).
    assert_eq!(reqwest::get(app.url("/graphql/tidak-ada")).await?.status().as_u16(), 404);
    app.stop().await
}

/// With an https `PUBLIC_URL` every session cookie is also `Secure`, the CSRF origin rule
/// accepts pages of that https origin only — not a plain-http page of the same host — and
/// GraphiQL is not served.
#[sqlx::test(migrations = "../migrations")]
async fn session_cookies_behind_an_https_public_url_are_secure(pool: PgPool) -> anyhow::Result<()> {
    let public = "https://layanan.dukcapil.kapuashulukab.go.id";
    let key = "11".repeat(32);
    let file_key = format!("k1:{}", "22".repeat(32));
    let args = [
        "--public-url",
        public,
        "--nik-hash-key",
        &key,
        "--file-encryption-keys",
        &file_key,
        "--personal-data-keys",
        &file_key,
    ];
    let app = TestApp::spawn_with_args(pool.clone(), &args).await?;
    let operator = app.client()?;
    let system = domain::CommandMetadata::system(uuid::Uuid::new_v4());
    app.commands.staff.create("budi", "Budi", Role::Operator, "sandi budi 2026", &system).await?;
    let login = operator.staff_login("budi", "sandi budi 2026").await?;
    assert_session_cookie(&set_cookie(&login.headers)?, true);
    let (resident, _) = active_resident(&app, &operator, OWNER_NIK, "Siti Aminah").await?;
    let login = resident.resident_login(&pool, OWNER_NIK, RESIDENT_PASSWORD).await?;
    assert_session_cookie(&set_cookie(&login.headers)?, true);
    let out = resident.gql("mutation { logout }", json!({})).await?;
    assert_session_cookie(&set_cookie(&out.headers)?, true);

    let query = "{ catalogueVersion }";
    let host = app.address.to_string();
    assert_eq!(post_graphql(&app, &[("origin", public)], query, json!({})).await?.status, 200);
    let plain =
        post_graphql(&app, &[("origin", "http://layanan.dukcapil.kapuashulukab.go.id")], query, json!({})).await?;
    assert_eq!((plain.status, plain.code()), (403, Some("CSRF_REJECTED")));
    let local = post_graphql(&app, &[("origin", &format!("http://{host}"))], query, json!({})).await?;
    assert_eq!(
        (local.status, local.code()),
        (403, Some("CSRF_REJECTED")),
        "an http page is foreign to an https service"
    );
    // No GraphiQL (a page of CDN scripts) on the production origin.
    assert_eq!(reqwest::get(app.url("/graphiql")).await?.status().as_u16(), 404);
    let portal = reqwest::get(app.url("/")).await?;
    assert!(portal.headers().contains_key("content-security-policy"), "/ is the portal, not GraphiQL");
    app.stop().await
}

// ---------------------------------------------------------------------------------------------
// Cross-site requests
// ---------------------------------------------------------------------------------------------

/// What a page of another site sends: a name, headers, a body, and the status expected.
type CrossSitePost<'a> = (&'a str, Vec<(&'a str, &'a str)>, String, u16);

/// A signed-in supervisor's browser is made to post a calendar change from another site, in
/// every shape a page can send without a CORS preflight and with a forged-looking origin: each
/// is refused with `CSRF_REJECTED` and no event is written. The same request from a page of
/// this service (its public origin, or the address it was opened at) goes through.
#[sqlx::test(migrations = "../migrations")]
async fn cross_site_posts_are_refused_and_change_nothing(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn(pool.clone()).await?;
    let supervisor = app.staff("sri", Role::Supervisor).await?;
    let events = || async {
        Ok::<i64, anyhow::Error>(sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?)
    };
    let before = events().await?;
    let mutation = |date: &str| {
        json!({ "query": format!("mutation {{ addHoliday(date: \"{date}\", name: \"Libur palsu\") {{ date }} }}") })
            .to_string()
    };
    let day =
        |days: i64| (domain::working_time::office_date(chrono::Utc::now()) + chrono::Duration::days(days)).to_string();
    let body = mutation(&day(40));
    let form = format!("query=mutation%7BaddHoliday(date%3A%22{}%22%2Cname%3A%22x%22)%7Bdate%7D%7D", day(40));
    let evil = "https://situs-jahat.example";
    let cases: Vec<CrossSitePost> = vec![
        ("JSON from another origin", vec![("origin", evil), ("content-type", "application/json")], body.clone(), 403),
        (
            "JSON from a sandboxed frame",
            vec![("origin", "null"), ("content-type", "application/json")],
            body.clone(),
            403,
        ),
        (
            "JSON from a look-alike host",
            vec![("origin", "http://localhost:8080.situs-jahat.example"), ("content-type", "application/json")],
            body.clone(),
            403,
        ),
        (
            "JSON marked cross-site without Origin",
            vec![("sec-fetch-site", "cross-site"), ("content-type", "application/json")],
            body.clone(),
            403,
        ),
        ("text/plain from another origin", vec![("origin", evil), ("content-type", "text/plain")], body.clone(), 403),
        ("text/plain simple request", vec![("content-type", "text/plain;charset=UTF-8")], body.clone(), 415),
        ("form post", vec![("content-type", "application/x-www-form-urlencoded")], form.clone(), 415),
        (
            "form post from another origin",
            vec![("origin", evil), ("content-type", "application/x-www-form-urlencoded")],
            form,
            403,
        ),
        (
            "multipart form",
            vec![("content-type", "multipart/form-data; boundary=x")],
            format!("--x\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\n{body}\r\n--x--\r\n"),
            415,
        ),
        ("no content type", vec![], body.clone(), 415),
    ];
    let tried = cases.len();
    for (case, headers, payload, status) in cases {
        let mut request = supervisor.http.post(app.url("/graphql")).body(payload);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await?;
        let got = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or_default();
        assert_eq!(got, status, "{case}: {answer}");
        assert_eq!(answer.pointer("/errors/0/extensions/code"), Some(&json!("CSRF_REJECTED")), "{case}");
    }
    // Uploads with the session and the header, from another origin.
    let files: i64 = sqlx::query_scalar("SELECT count(*) FROM stored_files").fetch_one(&pool).await?;
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(jpeg(20, 20)).file_name("x.jpg"));
    let upload = supervisor
        .http
        .post(app.url("/uploads"))
        .header("origin", evil)
        .header("x-requested-with", "XMLHttpRequest")
        .multipart(form)
        .send()
        .await?;
    assert_eq!(upload.status().as_u16(), 403);
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT count(*) FROM stored_files").fetch_one(&pool).await?, files);
    assert_eq!(events().await?, before, "none of the {tried} cross-site posts changed anything");
    println!("cross-site posts refused: {tried} GraphQL shapes and 1 upload; events before and after: {before}");

    // A page of this service: its public origin, or the address it was opened at.
    let host = format!("http://{}", app.address);
    for (origin, date) in [(PUBLIC_ORIGIN, day(41)), (host.as_str(), day(42))] {
        let response = supervisor
            .http
            .post(app.url("/graphql"))
            .header("origin", origin)
            .header("content-type", "application/json")
            .body(mutation(&date))
            .send()
            .await?;
        let answer: Value = response.json().await?;
        assert_eq!(answer.pointer("/data/addHoliday/date"), Some(&json!(date)), "{origin}: {answer}");
    }
    assert_eq!(events().await?, before + 2);
    app.stop().await
}

// ---------------------------------------------------------------------------------------------
// Secrets in responses, events and logs
// ---------------------------------------------------------------------------------------------

/// A whole life of accounts — registration, sign-ins (right and wrong), uploads with a token,
/// a forgotten password with its one-time code, staff sign-in, logout — with the service's logs
/// captured in the production JSON format at the most verbose level: no full NIK, password,
/// session token, upload token or reset code appears in any log line; no session token or
/// password appears in any response body; no session token or password is stored in an event.
#[sqlx::test(migrations = "../migrations")]
async fn secrets_never_reach_responses_events_or_logs(pool: PgPool) -> anyhow::Result<()> {
    let (logs, _guard) = e2e::CapturedLogs::install("trace");
    let app = TestApp::spawn(pool.clone()).await?;
    let mut bodies: Vec<String> = Vec::new();
    let mut tokens: Vec<String> = Vec::new();

    let operator = app.client()?;
    let system = domain::CommandMetadata::system(uuid::Uuid::new_v4());
    app.commands.staff.create("budi", "Budi", Role::Operator, "sandi budi 2026", &system).await?;
    app.commands.staff.create("audit", "Audit", Role::Auditor, "sandi audit 2026", &system).await?;
    let login = operator.staff_login("budi", "sandi budi 2026").await?;
    tokens.extend(session_token(&login.headers));
    bodies.push(login.body.to_string());
    let auditor = app.client()?;
    let login = auditor.staff_login("audit", "sandi audit 2026").await?;
    tokens.extend(session_token(&login.headers));
    bodies.push(login.body.to_string());

    let (resident, account_id) = active_resident(&app, &operator, OWNER_NIK, "Siti Aminah").await?;
    let login = resident.resident_login(&pool, OWNER_NIK, RESIDENT_PASSWORD).await?;
    tokens.extend(session_token(&login.headers));
    bodies.push(login.body.to_string());
    for query in ["{ me { accountId nikMasked fullName phone } }", "mutation { createCaptcha { id } }"] {
        bodies.push(resident.gql(query, json!({})).await?.body.to_string());
    }
    for (nik, password) in [(OWNER_NIK, "bukan sandinya"), ("6106010101900009", RESIDENT_PASSWORD)] {
        let reply = app.client()?.resident_login(&pool, nik, password).await?;
        assert_eq!(reply.error_code(), Some("INVALID_CREDENTIALS"));
        bodies.push(reply.body.to_string());
    }

    // A forgotten password: documents with an upload token, the operator's code, a new password.
    let stranger = app.client()?;
    let upload_token = stranger.upload_token(&pool).await?;
    let mut ids = Vec::new();
    for name in ["ktp.jpg", "kk.jpg", "selfie.jpg"] {
        let (status, body) = stranger.upload(&app.url(""), Some(&upload_token), jpeg(80, 60), name).await?;
        anyhow::ensure!(status == 201, "{body}");
        ids.push(body["uploadId"].as_str().context("id")?.to_owned());
    }
    let (captcha, answer) = stranger.solve_captcha(&pool).await?;
    let asked = stranger
        .gql(
            "mutation($i: RequestPasswordResetInput!) { requestPasswordReset(input: $i) }",
            json!({ "i": { "nik": OWNER_NIK, "fullName": "Siti Aminah", "uploadToken": upload_token, "captchaId": captcha, "captchaAnswer": answer,
                "documents": { "identityDocumentKind": "KTP_EL", "identityUploadId": ids[0], "familyCardUploadId": ids[1], "selfieUploadId": ids[2] } } }),
        )
        .await?;
    bodies.push(asked.body.to_string());
    asked.data()?;
    eventually("reset request queued", || async {
        let reply = operator.gql("{ passwordResetQueue { totalCount } }", json!({})).await?;
        Ok((reply.data()?.pointer("/passwordResetQueue/totalCount") == Some(&json!(1))).then_some(()))
    })
    .await?;
    let approved = operator
        .gql("mutation($a: ID!) { approvePasswordReset(accountId: $a) { code } }", json!({ "a": account_id }))
        .await?;
    let code =
        approved.data()?.pointer("/approvePasswordReset/code").and_then(Value::as_str).context("code")?.to_owned();
    let new_password = "sandi baru siti 2026";
    let done = stranger
        .gql(
            "mutation($n: String!, $c: String!, $p: String!) { completePasswordReset(nik: $n, code: $c, newPassword: $p) }",
            json!({ "n": OWNER_NIK, "c": code, "p": new_password }),
        )
        .await?;
    bodies.push(done.body.to_string());
    done.data()?;
    let again = app.client()?;
    let login = again.resident_login(&pool, OWNER_NIK, new_password).await?;
    tokens.extend(session_token(&login.headers));
    bodies.push(login.body.to_string());
    bodies.push(again.gql("mutation { logout }", json!({})).await?.body.to_string());

    // What auditors read of the history must not hold them either.
    let history = auditor
        .gql("query($a: ID!) { recordHistory(accountId: $a) { eventType payload } }", json!({ "a": account_id }))
        .await?;
    history.data()?;
    bodies.push(history.body.to_string());
    bodies.push(
        auditor.gql("{ eventHistory(first: 100) { edges { node { payload } } } }", json!({})).await?.body.to_string(),
    );
    assert_eq!(tokens.len(), 4, "four sessions were opened");

    let passwords = [RESIDENT_PASSWORD, new_password, "sandi budi 2026", "sandi audit 2026"];
    for body in &bodies {
        for secret in tokens.iter().map(String::as_str).chain(passwords) {
            assert!(!body.contains(secret), "a response body holds a secret: {body}");
        }
    }
    for secret in tokens.iter().map(String::as_str).chain(passwords) {
        let stored: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE strpos(payload::text, $1) > 0 OR strpos(metadata::text, $1) > 0",
        )
        .bind(secret)
        .fetch_one(&pool)
        .await?;
        assert_eq!(stored, 0, "an event holds a secret");
    }

    app.stop().await?;
    let text = logs.text()?;
    let lines = text.lines().count();
    assert!(text.contains("\"message\":\"request\""), "the capture works: {lines} lines");
    let masked = "6106********0001";
    let secrets: Vec<(&str, &str)> =
        [("NIK", OWNER_NIK), ("upload token", upload_token.as_str()), ("reset code", code.as_str())]
            .into_iter()
            .chain(passwords.iter().map(|p| ("password", *p)))
            .chain(tokens.iter().map(|t| ("session token", t.as_str())))
            .collect();
    for (what, secret) in &secrets {
        let at = text.lines().find(|line| line.contains(secret));
        assert!(at.is_none(), "a log line holds a {what}: {at:?}");
    }
    let normalised_code: String = code.chars().filter(char::is_ascii_alphanumeric).collect();
    assert!(!text.contains(&normalised_code), "a log line holds the reset code without its dash");
    println!(
        "secrets: {} kinds checked in {} response bodies, the events table, and {lines} log lines (masked NIK logged {} times)",
        secrets.len(),
        bodies.len(),
        text.matches(masked).count()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Documents at rest, anonymous uploads
// ---------------------------------------------------------------------------------------------

/// Every stored blob under `dir`, with its path.
fn blobs(dir: &std::path::Path) -> anyhow::Result<Vec<(std::path::PathBuf, Vec<u8>)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            found.extend(blobs(&path)?);
        } else {
            found.push((path.clone(), std::fs::read(&path)?));
        }
    }
    Ok(found)
}

/// The key id a blob names (`DKF1 | length | id | …`).
fn key_id(blob: &[u8]) -> Option<String> {
    let rest = blob.strip_prefix(b"DKF1")?;
    let (&length, rest) = rest.split_first()?;
    String::from_utf8(rest.get(..usize::from(length))?.to_vec()).ok()
}

/// A resident's documents are encrypted on disk under a named key; after a key rotation (a new
/// key first, the old one after it) another instance still serves the old files, and new files
/// are sealed with the new key.
#[sqlx::test(migrations = "../migrations")]
async fn documents_are_encrypted_at_rest_and_readable_after_a_key_rotation(pool: PgPool) -> anyhow::Result<()> {
    let store = e2e::TempDir::new()?;
    let url = format!("file://{}", store.path().display());
    let old_key = format!("k2025:{}", "a1".repeat(32));
    let app =
        TestApp::spawn_with_args(pool.clone(), &["--file-store-url", &url, "--file-encryption-keys", &old_key]).await?;
    let operator = app.staff("budi", Role::Operator).await?;
    registered_resident(&app, OWNER_NIK, "Siti Aminah").await?;
    let queue = "{ accountVerificationQueue { edges { node { documents { selfieUrl } } } } }";
    let selfie = eventually("account queued", || async {
        let reply = operator.gql(queue, json!({})).await?;
        let url = reply.data()?.pointer("/accountVerificationQueue/edges/0/node/documents/selfieUrl");
        Ok(url.and_then(Value::as_str).map(str::to_owned))
    })
    .await?;
    let photo = operator.http.get(app.url(&selfie)).send().await?.bytes().await?.to_vec();
    assert!(image::load_from_memory(&photo).is_ok(), "the operator sees the photo");
    let stored = blobs(store.path())?;
    assert_eq!(stored.len(), 3, "three documents, three blobs");
    for (path, blob) in &stored {
        assert_eq!(key_id(blob).as_deref(), Some("k2025"), "{}", path.display());
        assert!(!blob.windows(32).any(|w| w == &photo[..32]), "plaintext on disk: {}", path.display());
        assert!(!blob.windows(4).any(|w| w == b"JFIF" || w == b"Exif"), "a JPEG on disk: {}", path.display());
    }
    app.stop().await?;

    let rotated = format!("k2026:{}", "b2".repeat(32));
    let keys = format!("{rotated},{old_key}");
    let app =
        TestApp::spawn_with_args(pool.clone(), &["--file-store-url", &url, "--file-encryption-keys", &keys]).await?;
    let operator = app.client()?;
    operator.staff_login("budi", "sandi budi 2026").await?;
    let again = operator.http.get(app.url(&selfie)).send().await?;
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(again.bytes().await?.to_vec(), photo, "old files stay readable with the old key listed");
    let (status, body) = operator.upload(&app.url(""), None, pdf(), "akta.pdf").await?;
    assert_eq!(status, 201, "{body}");
    let mut ids: Vec<String> = blobs(store.path())?.iter().filter_map(|(_, blob)| key_id(blob)).collect();
    ids.sort();
    assert_eq!(ids, ["k2025", "k2025", "k2025", "k2026"]);
    app.stop().await
}

/// POSTs a small JPEG to `/uploads` from `address` (`X-Forwarded-For`), with an upload token or
/// else with the client's session; returns the status and the error code.
async fn upload_from(
    app: &TestApp,
    client: &Client,
    token: Option<&str>,
    address: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<(u16, Option<Value>)> {
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name("x.jpg"));
    let request = client.http.post(app.url("/uploads")).header("x-forwarded-for", address).multipart(form);
    let request = match token {
        Some(token) => request.header("x-upload-token", token),
        None => request.header("x-requested-with", "dukcapil-test"),
    };
    let response = request.send().await?;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    Ok((status, body.pointer("/errors/0/extensions/code").cloned()))
}

/// Without an account, one client address may upload so many files (and bytes) an hour,
/// whatever the number of upload tokens it collects, and each token so many; another address
/// is not held back, and a refusal stores nothing. (Small figures here; the defaults, sized
/// for a shared address, are in docs/SECURITY.md.)
#[sqlx::test(migrations = "../migrations")]
async fn anonymous_uploads_are_limited_per_client_address_and_per_token(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn_with_args(
        pool.clone(),
        &[
            "--trust-forwarded-for",
            "--anonymous-uploads-per-address-per-hour",
            "12",
            "--anonymous-upload-mb-per-address-per-hour",
            "1",
            "--uploads-per-token",
            "5",
        ],
    )
    .await?;
    let client = app.client()?;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let token = client.upload_token(&pool).await?;
        for _ in 0..5 {
            statuses.push(upload_from(&app, &client, Some(&token), "10.9.9.9", jpeg(16, 16)).await?);
        }
    }
    assert!(statuses[..12].iter().all(|(s, _)| *s == 201), "{statuses:?}");
    assert!(statuses[12..].iter().all(|s| *s == (429, Some(json!("UPLOAD_RATE_LIMITED")))), "{statuses:?}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM stored_files").fetch_one(&pool).await?;
    assert_eq!(stored, 12);

    // Per token: the figure the token was issued with, then `UPLOAD_TOKEN_INVALID`.
    let (captcha, answer) = client.solve_captcha(&pool).await?;
    let issued = client
        .gql(
            "mutation($c: ID!, $a: String!) { createUploadToken(captchaId: $c, captchaAnswer: $a) { token uploadsAllowed } }",
            json!({ "c": captcha, "a": answer }),
        )
        .await?;
    let issued = issued.data()?.pointer("/createUploadToken").context("token")?.clone();
    assert_eq!(issued["uploadsAllowed"], 5);
    let token = issued["token"].as_str().context("token")?;
    for n in 0..5 {
        assert_eq!(upload_from(&app, &client, Some(token), "10.9.9.10", jpeg(16, 16)).await?.0, 201, "{n}");
    }
    let spent = upload_from(&app, &client, Some(token), "10.9.9.10", jpeg(16, 16)).await?;
    assert_eq!(spent, (401, Some(json!("UPLOAD_TOKEN_INVALID"))));

    // Per address, in bytes: 600 KiB declared is taken before the body is read (this one is
    // then refused as no image); the next 600 KiB would pass 1 MiB.
    let token = client.upload_token(&pool).await?;
    let big = vec![b'x'; 600 * 1024];
    assert_eq!(upload_from(&app, &client, Some(&token), "10.9.9.11", big.clone()).await?.0, 422);
    let over = upload_from(&app, &client, Some(&token), "10.9.9.11", big).await?;
    assert_eq!(over, (429, Some(json!("UPLOAD_RATE_LIMITED"))));
    assert_eq!(upload_from(&app, &client, Some(&token), "10.9.9.12", jpeg(16, 16)).await?.0, 201, "another address");
    app.stop().await
}

/// One busy address (a warnet, a kecamatan office's wifi, a carrier's shared address) does not
/// lock newcomers out: signed-in residents' and staff uploads count against their accounts, and
/// made-up upload tokens are refused before they cost the address anything, so a new
/// resident's registration from that address still goes through.
#[sqlx::test(migrations = "../migrations")]
async fn a_busy_address_does_not_lock_newcomers_out_of_registering(pool: PgPool) -> anyhow::Result<()> {
    let app = TestApp::spawn_with_args(
        pool.clone(),
        &["--trust-forwarded-for", "--anonymous-uploads-per-address-per-hour", "10"],
    )
    .await?;
    let operator = app.staff("budi", Role::Operator).await?;
    let (resident, _) = active_resident(&app, &operator, "6106015205900001", "Siti Aminah").await?;
    let warnet = "10.77.0.1";
    for n in 0..32 {
        let (status, code) = upload_from(&app, &resident, None, warnet, jpeg(16, 16)).await?;
        assert_eq!(status, 201, "signed-in upload {n}: {code:?}");
    }
    for n in 0..5 {
        assert_eq!(upload_from(&app, &operator, None, warnet, pdf()).await?.0, 201, "staff upload {n}");
    }
    for n in 0..20 {
        let made_up = upload_from(&app, &resident, Some("0123456789abcdef"), warnet, jpeg(16, 16)).await?;
        assert_eq!(made_up, (401, Some(json!("UPLOAD_TOKEN_INVALID"))), "made-up token {n}");
    }
    let newcomer = Client::new(&app.url(""), Some(warnet))?;
    let (token, ids) = e2e::identity_uploads(&app, &newcomer).await?;
    let (captcha, answer) = newcomer.solve_captcha(&pool).await?;
    let reply = newcomer
        .gql(
            "mutation($i: RegisterAccountInput!) { registerAccount(input: $i) { nikMasked } }",
            json!({ "i": {
                "nik": "6106010101900002", "fullName": "Budi Santoso", "phone": "081234567890", "password": RESIDENT_PASSWORD,
                "documents": { "identityDocumentKind": "KTP_EL", "identityUploadId": ids[0], "familyCardUploadId": ids[1], "selfieUploadId": ids[2] },
                "uploadToken": token, "captchaId": captcha, "captchaAnswer": answer } }),
        )
        .await?;
    assert_eq!(reply.data()?.pointer("/registerAccount/nikMasked"), Some(&json!("6106********0002")));
    app.stop().await
}
