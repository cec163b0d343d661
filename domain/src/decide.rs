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

/// Implements cqrs-es's `Aggregate` for a [`Decide`] aggregate: `handle` records what `decide`
/// returns ([`record`]) and `apply` is the aggregate's own `fold`, so that wiring is written once.
macro_rules! decided_aggregate {
    ($aggregate:ty, $type_name:literal, $command:ty, $event:ty, $error:ty) => {
        impl cqrs_es::Aggregate for $aggregate {
            const TYPE: &'static str = $type_name;
            type Command = $command;
            type Event = $event;
            type Error = $error;
            type Services = ();

            async fn handle(
                &mut self,
                command: Self::Command,
                _services: &Self::Services,
                sink: &cqrs_es::event_sink::EventSink<Self>,
            ) -> Result<(), Self::Error> {
                $crate::decide::record(self, command, sink).await
            }

            fn apply(&mut self, event: Self::Event) {
                self.fold(event)
            }
        }
    };
}
pub(crate) use decided_aggregate;
