//! Sign-ins: facts the audit keeps and no decision reads.
//!
//! A sign-in used to be appended to the person's own stream (account or staff), which every
//! command, `me` and download then loaded again, so the streams grew with every sign-in for
//! ever. Each sign-in is now a stream of its own (a fresh id per sign-in, one event), of
//! aggregate type [`SignIn::TYPE`]; the audit finds a person's sign-ins by the event's actor.
//! Older `ResidentSignedIn`/`StaffSignedIn` events in account streams stay where they are
//! (the store is append-only) and are still read, and ignored, by those aggregates.
//!
//! Whether someone may sign in is decided before this, by their account
//! (an active account or staff profile): the record only says
//! that it happened.

use std::convert::Infallible;

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::account::AccountId;
use crate::staff::StaffId;

/// Who signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInSubject {
    Resident(AccountId),
    Staff(StaffId),
}

/// Record that a sign-in succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSignIn {
    pub subject: SignInSubject,
    pub at: DateTime<Utc>,
}

/// The one fact of a sign-in stream. The event types keep the names the account streams used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInEvent {
    ResidentSignedIn { account_id: AccountId, at: DateTime<Utc> },
    StaffSignedIn { staff_id: StaffId, at: DateTime<Utc> },
}

impl DomainEvent for SignInEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ResidentSignedIn { .. } => "ResidentSignedIn",
            Self::StaffSignedIn { .. } => "StaffSignedIn",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}

/// A sign-in stream: recorded once.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignIn {
    recorded: bool,
}

impl crate::decide::Decide for SignIn {
    /// Recording twice (a retried command) adds nothing.
    fn decide(&self, command: RecordSignIn) -> Result<Vec<SignInEvent>, Infallible> {
        if self.recorded {
            return Ok(Vec::new());
        }
        Ok(vec![match command.subject {
            SignInSubject::Resident(account_id) => SignInEvent::ResidentSignedIn { account_id, at: command.at },
            SignInSubject::Staff(staff_id) => SignInEvent::StaffSignedIn { staff_id, at: command.at },
        }])
    }
}

crate::decide::decided_aggregate!(SignIn, "SignIn", RecordSignIn, SignInEvent, Infallible);

impl SignIn {
    /// Folds one event into the state (cqrs-es's `Aggregate::apply`).
    fn fold(&mut self, _event: SignInEvent) {
        self.recorded = true;
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use cqrs_es::test::TestFramework;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_sign_in_is_recorded_once() {
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 1, 0, 0).unwrap();
        let account_id = AccountId(Uuid::from_u128(7));
        let command = RecordSignIn { subject: SignInSubject::Resident(account_id), at };
        TestFramework::<SignIn>::with(())
            .given_no_previous_events()
            .when(command.clone())
            .then_expect_events(vec![SignInEvent::ResidentSignedIn { account_id, at }]);
        TestFramework::<SignIn>::with(())
            .given(vec![SignInEvent::ResidentSignedIn { account_id, at }])
            .when(command)
            .then_expect_events(vec![]);
    }

    #[test]
    fn staff_sign_ins_name_the_staff_member() {
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 1, 0, 0).unwrap();
        let staff_id = StaffId(Uuid::from_u128(9));
        TestFramework::<SignIn>::with(())
            .given_no_previous_events()
            .when(RecordSignIn { subject: SignInSubject::Staff(staff_id), at })
            .then_expect_events(vec![SignInEvent::StaffSignedIn { staff_id, at }]);
    }
}
