//! The resident's side: captcha, upload token, registration, sign-in, profile, forgotten
//! password.

use async_graphql::{Context, Enum, Guard, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use commands::SubjectKind;
use commands::accounts::{CaptchaAnswer, DocumentForm, PasswordResetForm, RegistrationForm};
use uuid::Uuid;

use super::public::WhatsappContact;
use super::{anonymous_metadata, request, shared};
use crate::error::ApiError;
use crate::http::cookies;

/// Which document proves identity.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::document::IdentityDocumentKind")]
pub enum IdentityDocumentKind {
    /// Photo of the KTP-el.
    KtpEl,
    /// Police letter for a lost KTP-el (surat keterangan kehilangan).
    PoliceLossLetter,
}

/// Where an account stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::account::AccountStatus")]
pub enum AccountStatus {
    Unregistered,
    AwaitingVerification,
    Active,
    Rejected,
    /// Personal data erased (UU PDP).
    Erased,
}

/// A captcha to solve (single use, valid 5 minutes).
#[derive(SimpleObject)]
pub struct Captcha {
    id: ID,
    /// PNG image as a `data:` URL.
    image: String,
    expires_at: DateTime<Utc>,
}

/// Permission to upload documents before having an account (header `X-Upload-Token`).
#[derive(SimpleObject)]
pub struct UploadToken {
    token: String,
    expires_at: DateTime<Utc>,
    uploads_allowed: i32,
}

/// The three identity documents, as ids returned by `POST /uploads`. Each is nullable so that
/// one not sent is answered `DOCUMENT_REQUIRED` on its field, like any other field of the form.
#[derive(InputObject)]
pub struct IdentityDocumentsInput {
    identity_document_kind: IdentityDocumentKind,
    identity_upload_id: Option<ID>,
    family_card_upload_id: Option<ID>,
    selfie_upload_id: Option<ID>,
}

impl From<IdentityDocumentsInput> for DocumentForm {
    fn from(d: IdentityDocumentsInput) -> Self {
        Self {
            identity_kind: d.identity_document_kind.into(),
            identity_upload_id: d.identity_upload_id.map(|id| id.0),
            family_card_upload_id: d.family_card_upload_id.map(|id| id.0),
            selfie_upload_id: d.selfie_upload_id.map(|id| id.0),
        }
    }
}

/// The registration form ("Pendaftaran Akun Baru").
#[derive(InputObject)]
pub struct RegisterAccountInput {
    nik: String,
    full_name: String,
    /// WhatsApp number: 08…, +628… or 628….
    phone: String,
    email: Option<String>,
    password: String,
    documents: IdentityDocumentsInput,
    /// The token the documents were uploaded with.
    upload_token: String,
    /// A captcha solved for this form. Optional: the live upload token (issued against a
    /// solved captcha) stands in for it, so a resident solves one captcha, not two.
    captcha_id: Option<ID>,
    captcha_answer: Option<String>,
}

/// What the resident is told after registering.
#[derive(SimpleObject)]
pub struct RegistrationReceipt {
    nik_masked: String,
    message: String,
    /// Whom to contact on WhatsApp for verification.
    whatsapp: Vec<WhatsappContact>,
}

/// The forgotten-password form.
#[derive(InputObject)]
pub struct RequestPasswordResetInput {
    nik: String,
    full_name: String,
    documents: IdentityDocumentsInput,
    /// The token the documents were uploaded with.
    upload_token: String,
    /// Optional, as in [`RegisterAccountInput`].
    captcha_id: Option<ID>,
    captcha_answer: Option<String>,
}

/// A signed-in resident.
#[derive(SimpleObject)]
pub struct Resident {
    account_id: ID,
    nik_masked: String,
    full_name: String,
    phone: String,
    email: Option<String>,
    status: AccountStatus,
    /// Documents of the old portal, visible only during a granted 24-hour window.
    legacy_documents: Vec<LegacyDocumentLink>,
    /// Which channels the office may use to tell the resident about their account and requests.
    notification_settings: super::notifications::NotificationSettings,
}

/// A document of the old portal the resident may download now.
#[derive(SimpleObject)]
pub struct LegacyDocumentLink {
    title: String,
    /// `/files/{id}`
    url: String,
    available_until: DateTime<Utc>,
}

/// A successful resident sign-in (the session travels in an HttpOnly cookie).
#[derive(SimpleObject)]
pub struct ResidentLogin {
    resident: Resident,
    expires_at: DateTime<Utc>,
}

/// Guard: a signed-in resident.
pub struct RequireResident;

impl Guard for RequireResident {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        resident_id(ctx)?;
        Ok(())
    }
}

pub(super) fn resident_id(ctx: &Context<'_>) -> Result<Uuid, ApiError> {
    let session = request(ctx)?.session.as_ref().ok_or_else(ApiError::unauthenticated)?;
    if session.subject_kind == SubjectKind::Resident { Ok(session.subject_id) } else { Err(ApiError::residents_only()) }
}

/// Builds the resident's view from the event store (status, name) and read models (e-mail,
/// legacy documents).
pub(super) async fn resident_view(ctx: &Context<'_>, account_id: Uuid) -> Result<Resident, ApiError> {
    let shared = shared(ctx)?;
    let accounts = &shared.commands.accounts;
    let account = accounts.load(account_id).await?;
    let row = projections::resident_accounts::resident(&shared.pool, &shared.commands.vault, account_id).await?;
    let grants = account.legacy_access_at(accounts.now());
    let legacy_ids: Vec<Uuid> = grants.iter().map(|(l, _)| l.0).collect();
    let documents = if legacy_ids.is_empty() {
        Vec::new()
    } else {
        projections::resident_accounts::legacy_documents(&shared.pool, &legacy_ids).await?
    };
    Ok(Resident {
        account_id: ID(account_id.to_string()),
        nik_masked: account.nik().map(|n| n.masked()).unwrap_or_default(),
        full_name: account.full_name().map(|n| n.as_str().to_owned()).unwrap_or_default(),
        phone: account.phone().map(|p| p.as_str().to_owned()).unwrap_or_default(),
        email: row.and_then(|r| r.email),
        status: account.status().into(),
        notification_settings: account.notification_preferences().into(),
        legacy_documents: documents
            .into_iter()
            .filter_map(|d| {
                let until = grants.iter().find(|(l, _)| l.0 == d.legacy_account_id)?.1;
                Some(LegacyDocumentLink {
                    title: d.title,
                    url: format!("/files/{}", d.file_id),
                    available_until: until,
                })
            })
            .collect(),
    })
}

#[derive(Default)]
pub struct ResidentQuery;

#[Object]
impl ResidentQuery {
    /// The signed-in resident.
    #[graphql(guard = "RequireResident")]
    async fn me(&self, ctx: &Context<'_>) -> Result<Resident, ApiError> {
        resident_view(ctx, resident_id(ctx)?).await
    }
}

#[derive(Default)]
pub struct ResidentMutation;

#[Object]
impl ResidentMutation {
    /// A new captcha (registration, sign-in, forgotten password, upload token).
    async fn create_captcha(&self, ctx: &Context<'_>) -> Result<Captcha, ApiError> {
        let commands = &shared(ctx)?.commands;
        let address = request(ctx)?.client_address.as_deref();
        let captcha = commands.captchas.create(commands.clock.now(), address).await?;
        Ok(Captcha { id: ID(captcha.id.to_string()), image: captcha.image_data_url, expires_at: captcha.expires_at })
    }

    /// Exchanges a solved captcha for an upload token, to upload documents without an account.
    async fn create_upload_token(
        &self,
        ctx: &Context<'_>,
        captcha_id: ID,
        captcha_answer: String,
    ) -> Result<UploadToken, ApiError> {
        let commands = &shared(ctx)?.commands;
        let now = commands.clock.now();
        commands.captchas.verify(&captcha_id, &captcha_answer, now).await?;
        let (token, expires_at) = commands.upload_tokens.issue(now).await?;
        Ok(UploadToken { token, expires_at, uploads_allowed: commands.upload_tokens.uploads_per_token() })
    }

    /// Registers a new account; it waits for an operator's verification.
    async fn register_account(
        &self,
        ctx: &Context<'_>,
        input: RegisterAccountInput,
    ) -> Result<RegistrationReceipt, ApiError> {
        let shared = shared(ctx)?;
        let form = RegistrationForm {
            nik: input.nik,
            full_name: input.full_name,
            phone: input.phone,
            email: input.email,
            password: input.password,
            documents: input.documents.into(),
            upload_token: input.upload_token,
            captcha: captcha_of(input.captcha_id, input.captcha_answer),
        };
        let receipt = shared.commands.accounts.register(form, &anonymous_metadata(ctx)?).await?;
        Ok(RegistrationReceipt {
            nik_masked: receipt.nik_masked,
            message: "Pendaftaran akun berhasil dikirim. Silakan hubungi Admin Verifikasi Akun Dinas Dukcapil melalui \
                      WhatsApp untuk verifikasi data akun Anda sebelum dapat login."
                .into(),
            whatsapp: WhatsappContact::list(&shared.contacts),
        })
    }

    /// Signs a resident in with NIK, password and captcha; sets the session cookie.
    async fn login(
        &self,
        ctx: &Context<'_>,
        nik: String,
        password: String,
        captcha_id: ID,
        captcha_answer: String,
    ) -> Result<ResidentLogin, ApiError> {
        let shared = shared(ctx)?;
        let signed_in = shared
            .commands
            .accounts
            .sign_in(&nik, &password, &captcha_id, &captcha_answer, anonymous_metadata(ctx)?)
            .await?;
        if let Some(old) = &request(ctx)?.session {
            shared.commands.sessions.revoke(old).await?;
        }
        let max_age = shared.commands.sessions.policy().absolute_lifetime;
        ctx.append_http_header("set-cookie", cookies::session(&signed_in.token, max_age, shared.cookie_secure));
        let resident = resident_view(ctx, signed_in.account_id.0).await?;
        Ok(ResidentLogin { resident, expires_at: signed_in.session.expires_at })
    }

    /// Asks the office to reset a forgotten password. The answer is the same whether or not
    /// the NIK has an account.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        input: RequestPasswordResetInput,
    ) -> Result<String, ApiError> {
        let form = PasswordResetForm {
            nik: input.nik,
            full_name: input.full_name,
            documents: input.documents.into(),
            upload_token: input.upload_token,
            captcha: captcha_of(input.captcha_id, input.captcha_answer),
        };
        shared(ctx)?.commands.accounts.request_password_reset(form, &anonymous_metadata(ctx)?).await?;
        Ok("Permintaan reset kata sandi diterima. Admin akan memverifikasi data Anda dan mengirim kode reset melalui \
            WhatsApp ke nomor yang terdaftar."
            .into())
    }

    /// Sets a new password with the one-time code from the office; every session ends.
    async fn complete_password_reset(
        &self,
        ctx: &Context<'_>,
        nik: String,
        code: String,
        new_password: String,
    ) -> Result<bool, ApiError> {
        // The service names the resident once the code has identified the account.
        let metadata = anonymous_metadata(ctx)?;
        shared(ctx)?.commands.accounts.complete_password_reset(&nik, &code, &new_password, &metadata).await?;
        Ok(true)
    }
}

/// The captcha of a form, when one was sent (an id without an answer is a wrong answer).
fn captcha_of(id: Option<ID>, answer: Option<String>) -> Option<CaptchaAnswer> {
    id.map(|id| CaptchaAnswer { id: id.0, answer: answer.unwrap_or_default() })
}
