//! The contract every user-facing domain error fulfils.

/// A stable, machine-readable code (`SCREAMING_SNAKE_CASE`) for an error whose `Display` is
/// the Indonesian message shown to the user. Clients switch on the code, never on the text.
pub trait ErrorCode {
    /// The stable code, exposed as `extensions.code` in GraphQL errors.
    fn code(&self) -> &'static str;
}
