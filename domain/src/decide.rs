//! The shape every aggregate here shares: `decide` is a pure function from state and command
//! to events; `handle` (cqrs-es) only records what `decide` returns.

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;

/// An aggregate whose decisions are a pure function of its state.
pub trait Decide: Aggregate {
    /// The events `command` produces from the current state, or why it is refused.
    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error>;
}

/// The body of every `Aggregate::handle`: decide, then fold and record each event.
pub async fn record<A: Decide>(aggregate: &mut A, command: A::Command, sink: &EventSink<A>) -> Result<(), A::Error> {
    for event in aggregate.decide(command)? {
        sink.write(event, aggregate).await;
    }
    Ok(())
}
