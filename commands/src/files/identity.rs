//! Who sent a file and whose it is, typed: the `stored_files.uploaded_by` and `attached_to`
//! spellings are written and read here only.

use std::fmt;

use domain::Actor;
use domain::account::AccountId;
use domain::legacy::LegacyAccountId;
use domain::staff::StaffId;
use uuid::Uuid;

/// Who sent an upload (`uploaded_by`): only the same sender may attach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadedBy {
    /// Before an account exists: the upload token, by a digest of it (never the token itself).
    Token(String),
    Resident(AccountId),
    Staff(StaffId),
    /// The old portal's documents, brought in by `import-legacy`.
    Import,
}

impl UploadedBy {
    /// The uploader of a signed-in actor; `None` for anyone else.
    pub fn of(actor: Actor) -> Option<Self> {
        match actor {
            Actor::Resident(account) => Some(Self::Resident(account)),
            Actor::Staff { id, .. } => Some(Self::Staff(id)),
            Actor::Anonymous | Actor::System => None,
        }
    }
}

impl fmt::Display for UploadedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(digest) => write!(f, "token:{digest}"),
            Self::Resident(account) => write!(f, "resident:{account}"),
            Self::Staff(staff) => write!(f, "staff:{}", staff.0),
            Self::Import => f.write_str("import"),
        }
    }
}

/// Whose an attached file is (`attached_to`), which decides who may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOwner {
    /// A resident's account: registration and reset documents, request documents and results.
    Account(AccountId),
    /// An account of the old portal: its imported documents.
    LegacyAccount(LegacyAccountId),
}

impl FileOwner {
    /// The owner of a stored `attached_to`; `None` for a spelling this build does not know.
    pub fn parse(raw: &str) -> Option<Self> {
        let (kind, id) = raw.split_once(':')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "Account" => Some(Self::Account(AccountId(id))),
            "LegacyAccount" => Some(Self::LegacyAccount(LegacyAccountId(id))),
            _ => None,
        }
    }
}

impl fmt::Display for FileOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Account(account) => write!(f, "Account:{account}"),
            Self::LegacyAccount(legacy) => write!(f, "LegacyAccount:{}", legacy.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_spellings_are_the_ones_already_in_the_table() {
        let id = Uuid::from_u128(0x1234);
        assert_eq!(UploadedBy::Resident(AccountId(id)).to_string(), format!("resident:{id}"));
        assert_eq!(UploadedBy::Staff(StaffId(id)).to_string(), format!("staff:{id}"));
        assert_eq!(UploadedBy::Token("ab12".into()).to_string(), "token:ab12");
        assert_eq!(UploadedBy::Import.to_string(), "import");
        for owner in [FileOwner::Account(AccountId(id)), FileOwner::LegacyAccount(LegacyAccountId(id))] {
            assert_eq!(FileOwner::parse(&owner.to_string()), Some(owner));
        }
        assert_eq!(FileOwner::Account(AccountId(id)).to_string(), format!("Account:{id}"));
        assert_eq!(FileOwner::parse("ServiceRequest:x"), None);
        assert_eq!(FileOwner::parse(&format!("Other:{id}")), None);
    }
}
