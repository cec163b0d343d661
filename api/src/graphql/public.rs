//! What anyone may ask: the service catalogue, contact details with "open now", holidays.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use domain::working_time::{CLOSES_AT, OFFICE_TZ, OPENS_AT};

use super::catalogue::{CatalogueView, Service};
use super::shared;
use crate::error::ApiError;

/// Years the public calendar can be asked about.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;
/// How far ahead "next opening" looks for closed days.
const CALENDAR_HORIZON_DAYS: i64 = 400;

#[derive(Default)]
pub struct PublicQuery;

#[Object]
impl PublicQuery {
    /// Every service the office offers, with its form fields and required documents.
    async fn services<'a>(&self, ctx: &Context<'a>) -> Result<&'a [Service], ApiError> {
        Ok(&catalogue(ctx)?.services)
    }

    /// One service by code, or null if there is no such service.
    async fn service<'a>(&self, ctx: &Context<'a>, code: String) -> Result<Option<&'a Service>, ApiError> {
        Ok(catalogue(ctx)?.services.iter().find(|s| s.service_code() == code))
    }

    /// Version of the catalogue in force; every submitted request records it.
    async fn catalogue_version(&self, ctx: &Context<'_>) -> Result<u32, ApiError> {
        Ok(catalogue(ctx)?.version)
    }

    /// How to reach the office, and whether it is open right now.
    async fn contact_info(&self, ctx: &Context<'_>) -> Result<ContactInfo, ApiError> {
        let shared = shared(ctx)?;
        let now = shared.commands.clock.now();
        let calendar = projections::office_calendar::working_calendar(&shared.pool, now, CALENDAR_HORIZON_DAYS).await?;
        let outage = projections::office_calendar::current_outage(&shared.pool).await?;
        Ok(ContactInfo {
            whatsapp_numbers: WhatsappContact::list(&shared.contacts),
            hours: OfficeHours::default(),
            open_now: calendar.is_office_open(now),
            next_opening: calendar.next_opening(now),
            outage: outage.map(|o| Outage { reason: o.reason, since: o.declared_at }),
        })
    }

    /// Days the office is closed in a year (national holidays, cuti bersama, closures).
    async fn holidays(&self, ctx: &Context<'_>, year: i32) -> Result<Vec<Holiday>, ApiError> {
        if !YEARS.contains(&year) {
            return Err(ApiError::new("INVALID_YEAR", "Tahun harus antara 2000 dan 2100."));
        }
        let rows = projections::office_calendar::holidays_in_year(&shared(ctx)?.pool, year).await?;
        Ok(rows
            .into_iter()
            .map(|row| Holiday {
                date: row.holiday_date,
                name: row.name,
                kind: domain::calendar::HolidayKind::parse(&row.kind)
                    .map(Into::into)
                    .unwrap_or(HolidayKind::OfficeClosure),
            })
            .collect())
    }
}

fn catalogue<'a>(ctx: &Context<'a>) -> Result<&'a CatalogueView, ApiError> {
    ctx.data::<CatalogueView>().map_err(|e| ApiError::internal(e.message))
}

/// How residents reach the office.
#[derive(SimpleObject)]
pub struct ContactInfo {
    /// WhatsApp numbers, answered during office hours.
    whatsapp_numbers: Vec<WhatsappContact>,
    hours: OfficeHours,
    /// Whether the office is open at this moment.
    open_now: bool,
    /// When the office next opens; null while it is open.
    next_opening: Option<DateTime<Utc>>,
    /// The disruption in progress (link to the national data centre down), if any.
    outage: Option<Outage>,
}

/// A WhatsApp contact of the office.
#[derive(SimpleObject)]
pub struct WhatsappContact {
    /// e.g. "Admin Verifikasi Akun".
    label: String,
    /// E.164 digits, e.g. `6281234567890`.
    number: String,
    /// `https://wa.me/…` link that opens the chat.
    link: String,
}

impl WhatsappContact {
    /// The configured contacts.
    pub fn list(contacts: &[crate::contact::WhatsappContact]) -> Vec<Self> {
        contacts
            .iter()
            .map(|c| Self { label: c.label.clone(), number: c.number.as_str().to_owned(), link: c.number.wa_me_link() })
            .collect()
    }
}

/// Office hours.
#[derive(SimpleObject)]
pub struct OfficeHours {
    /// For people: "Senin–Jumat, 08.00–16.00 WIB …".
    description: String,
    opens_at: String,
    closes_at: String,
    time_zone: String,
}

impl Default for OfficeHours {
    fn default() -> Self {
        Self {
            description:
                "Senin sampai Jumat, pukul 08.00–16.00 WIB. Hari libur nasional dan cuti bersama kantor tutup.".into(),
            opens_at: OPENS_AT.format("%H:%M").to_string(),
            closes_at: CLOSES_AT.format("%H:%M").to_string(),
            time_zone: OFFICE_TZ.name().into(),
        }
    }
}

/// A disruption that stops the service clock.
#[derive(SimpleObject)]
pub struct Outage {
    reason: String,
    since: DateTime<Utc>,
}

/// A day the office is closed.
#[derive(SimpleObject)]
pub struct Holiday {
    date: NaiveDate,
    name: String,
    kind: HolidayKind,
}

/// Why the office is closed on a day.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::calendar::HolidayKind")]
pub enum HolidayKind {
    /// Hari libur nasional.
    NationalHoliday,
    /// Cuti bersama.
    CutiBersama,
    /// Other closure (e.g. a regional holiday).
    OfficeClosure,
}
