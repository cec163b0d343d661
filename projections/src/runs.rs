//! The one run-splitting driver of the batching projections: a batch is cut into runs of
//! consecutive events of the run's aggregate types (folded in memory and written once) and the events
//! of the types that must be handled on their own, in between (each ends the run before it).
//! Events of any other type are of no interest: they are passed over and do not end a run.

use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::{Error, StoredEvent};

/// A piece of a batch, as [`pieces`] cuts it.
pub(crate) enum Piece<'e> {
    /// Consecutive events of the run's aggregate type (never empty).
    Run(Run<'e>),
    /// An event of one of the other types, on its own.
    Single(&'e StoredEvent),
}

/// Consecutive events of the run's aggregate types.
pub(crate) struct Run<'e>(Vec<&'e StoredEvent>);

impl<'e> Run<'e> {
    /// The run's events, in order (for a run of several aggregate types).
    pub(crate) fn events(&self) -> &[&'e StoredEvent] {
        &self.0
    }

    /// The run's events decoded, each with its aggregate's id, in order.
    pub(crate) fn decode<E: DeserializeOwned>(&self) -> Result<Vec<(Uuid, E)>, Error> {
        self.0.iter().map(|event| Ok((event.aggregate_uuid()?, event.decode()?))).collect()
    }
}

/// Cuts `events` into runs of events of the `run_types` and single events of the
/// `single_types`, in the order of `events`. A single type is an aggregate type (`"Account"`)
/// or one event type of it (`"Account/AccountErased"`): the account's other events then pass
/// over without ending a run.
pub(crate) fn pieces<'e>(
    events: &'e [StoredEvent],
    run_types: &'e [&'e str],
    single_types: &'e [&'e str],
) -> impl Iterator<Item = Piece<'e>> + 'e {
    let in_run = move |e: &StoredEvent| run_types.contains(&e.aggregate_type.as_str());
    let mut wanted =
        events.iter().filter(move |e| in_run(e) || single_types.iter().any(|spec| is_single(spec, e))).peekable();
    std::iter::from_fn(move || {
        let first = wanted.next()?;
        if !in_run(first) {
            return Some(Piece::Single(first));
        }
        let mut run = vec![first];
        while let Some(event) = wanted.next_if(|e| in_run(e)) {
            run.push(event);
        }
        Some(Piece::Run(Run(run)))
    })
}

fn is_single(spec: &str, event: &StoredEvent) -> bool {
    match spec.split_once('/') {
        Some((aggregate_type, event_type)) => event.aggregate_type == aggregate_type && event.event_type == event_type,
        None => event.aggregate_type == spec,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(position: i64, aggregate_type: &str) -> StoredEvent {
        StoredEvent {
            global_position: position,
            transaction_id: 1,
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: position.to_string(),
            sequence: 1,
            event_type: "Tested".to_owned(),
            event_version: "1.0".to_owned(),
            payload: serde_json::Value::Null,
            metadata: serde_json::Value::Null,
            recorded_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    /// `R1 R2` for a run, `S3` for a single event.
    fn cut(events: &[StoredEvent]) -> Vec<String> {
        pieces(events, &["Run"], &["Single"])
            .map(|piece| match piece {
                Piece::Run(Run(run)) => {
                    run.iter().map(|e| format!("R{}", e.global_position)).collect::<Vec<_>>().join(" ")
                }
                Piece::Single(e) => format!("S{}", e.global_position),
            })
            .collect()
    }

    #[test]
    fn a_single_event_ends_a_run_and_others_are_passed_over() {
        let events = [
            event(1, "Run"),
            event(2, "Other"),
            event(3, "Run"),
            event(4, "Single"),
            event(5, "Single"),
            event(6, "Run"),
            event(7, "Other"),
        ];
        assert_eq!(cut(&events), ["R1 R3", "S4", "S5", "R6"]);
        assert!(cut(&[event(1, "Other")]).is_empty());
        assert!(cut(&[]).is_empty());
    }
}
