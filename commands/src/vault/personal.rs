//! Personal values held in read models (names, numbers, e-mails on the officers' screens and in
//! the notification outbox), sealed under the data key of the resident they are about, so a
//! copy of the database holds no one's details in clear and an erasure reaches the read models
//! too. Unlike an event's fields, which are bound to their event, a read-model value is bound
//! only to its subject and kind: the same token may be copied from one table to another (a
//! profile's name into a reset request, a recipient's number into the outbox), and it is sealed
//! with a synthetic nonce, so a rebuild writes the same tokens as the live projection did.

use std::collections::{HashMap, HashSet};

use sqlx::encode::IsNull;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};
use uuid::Uuid;

use super::{Vault, token};
use crate::Error;

/// Which kind of value a token holds: part of its associated data, so a name cannot be passed
/// off as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Phone,
    Email,
}

impl Field {
    fn aad(self, subject: Uuid) -> Vec<u8> {
        let kind = match self {
            Self::Name => "name",
            Self::Phone => "phone",
            Self::Email => "email",
        };
        format!("read-model\u{0}{subject}\u{0}{kind}").into_bytes()
    }
}

/// A resident's contact details as the vault seals or opens them: name, number and, if given,
/// e-mail (of a row's `String`s to open, or `Personal`s to seal).
pub fn contact<'a, T>(
    subject: Uuid,
    name: &'a mut T,
    phone: &'a mut T,
    email: Option<&'a mut T>,
) -> impl Iterator<Item = (Uuid, Field, &'a mut T)> {
    [(subject, Field::Name, name), (subject, Field::Phone, phone)]
        .into_iter()
        .chain(email.map(|e| (subject, Field::Email, e)))
}

/// A personal value on its way into a read model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Personal {
    /// As an event gave it: sealed by [`Vault::seal_personal`] before it is written.
    Clear(String),
    /// As the table holds it (a token, or [`domain::privacy::ERASED`]).
    Stored(String),
}

impl Personal {
    /// A value from an event.
    pub fn clear(value: impl Into<String>) -> Self {
        Self::Clear(value.into())
    }

    /// The text to write: a token once sealed ([`domain::privacy::ERASED`] stays as it is).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Clear(text) | Self::Stored(text) => text,
        }
    }
}

impl From<String> for Personal {
    /// What a table holds: a token or the erased mark is kept; anything else is a value
    /// written before read models were sealed, sealed when the row is next written.
    fn from(text: String) -> Self {
        if token::is_sealed(&text) || text == domain::privacy::ERASED { Self::Stored(text) } else { Self::Clear(text) }
    }
}

impl Type<Postgres> for Personal {
    fn type_info() -> PgTypeInfo {
        <String as Type<Postgres>>::type_info()
    }
}

impl<'r> Decode<'r, Postgres> for Personal {
    fn decode(value: PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Self::from(<String as Decode<Postgres>>::decode(value)?))
    }
}

impl Encode<'_, Postgres> for Personal {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, sqlx::error::BoxDynError> {
        <&str as Encode<Postgres>>::encode(self.as_str(), buf)
    }
}

impl Vault {
    /// (A `Vec`, not any iterator: futures generic over closures trip the `Send` checks of
    /// the async GraphQL resolvers that await them.)
    ///
    /// Seals every clear value among `fields` under its subject's data key, with one look-up
    /// for the keys not cached. The erased mark is left as it is: there is no one to seal it for.
    pub async fn seal_personal(&self, fields: Vec<(Uuid, Field, &mut Personal)>) -> Result<(), Error> {
        let clear: Vec<(Uuid, Field, &mut Personal)> = fields
            .into_iter()
            .filter(|(_, _, value)| matches!(value, Personal::Clear(text) if text != domain::privacy::ERASED))
            .collect();
        if clear.is_empty() {
            return Ok(());
        }
        let subjects: HashSet<Uuid> = clear.iter().map(|(subject, _, _)| *subject).collect();
        let keys = self.keys.sealing_keys(subjects.into_iter().collect()).await?;
        for (subject, field, value) in clear {
            let key = keys.get(&subject).ok_or_else(|| Error::Internal("a subject key went missing".into()))?;
            *value = Personal::Stored(key.seal_stable(&field.aad(subject), value.as_str())?);
        }
        Ok(())
    }

    /// Opens every token among `fields` in place, with one look-up for the keys not cached. A
    /// value whose key was destroyed reads as [`domain::privacy::ERASED`]; one that does not
    /// open where it is (altered, or moved to another person or kind) is an error. Text that is
    /// no token (the erased mark) is left as it is.
    pub async fn open_personal(&self, fields: Vec<(Uuid, Field, &mut String)>) -> Result<(), Error> {
        let sealed: Vec<(Uuid, Field, &mut String)> =
            fields.into_iter().filter(|(_, _, value)| token::is_sealed(value)).collect();
        if sealed.is_empty() {
            return Ok(());
        }
        let ids: HashSet<Uuid> = sealed.iter().filter_map(|(_, _, value)| token::key_id(value)).collect();
        let keys: HashMap<_, _> = self.keys.opening_keys(ids.into_iter().collect()).await?;
        for (subject, field, value) in sealed {
            let key = token::key_id(value).and_then(|id| keys.get(&id));
            *value = match key {
                Some(Some(key)) => key.open(&field.aad(subject), value).ok_or_else(|| unreadable(subject, field))?,
                Some(None) => domain::privacy::ERASED.to_owned(),
                None => return Err(unreadable(subject, field)),
            };
        }
        Ok(())
    }
}

fn unreadable(subject: Uuid, field: Field) -> Error {
    Error::Internal(format!(
        "a read model's {field:?} of {subject} does not open: altered, moved or under an unknown key"
    ))
}
