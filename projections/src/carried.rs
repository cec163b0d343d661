//! State a projection carries from one batch to the next instead of reading it back from its
//! tables every time (the SLA calendars, the hash chain's head): each of those reads was a
//! round trip of the projector's cycle, which under load waits for a core like every other
//! statement and so lengthens the lag from acknowledgement to read model (docs/PERFORMANCE.md).

use std::sync::Mutex;

use crate::{Checkpoint, Context, Mode};

/// Where a value was kept: the checkpoint, and whether live or in a rebuild's shadow (so a
/// projection shared by both never hands one's state to the other).
type Place = (Mode, Checkpoint);

/// A value derived from a projection's own tables as they stand at one checkpoint.
///
/// A projection's tables at a checkpoint are a function of the history up to that checkpoint,
/// so the value is right for any batch that starts exactly there, and for no other: a batch
/// rolled back and tried again, a checkpoint another process's projector moved on, or a replay
/// starting from the beginning all start somewhere else and read the tables again. Taking the
/// value empties the slot, so two users of one projection never share it.
pub(crate) struct Carried<T> {
    kept: Mutex<Option<(Place, T)>>,
}

impl<T> Default for Carried<T> {
    fn default() -> Self {
        Self { kept: Mutex::new(None) }
    }
}

impl<T> Carried<T> {
    /// The value the batch before left, if this batch (`cx.from`) starts where it ended.
    pub fn take(&self, cx: &Context<'_>) -> Option<T> {
        self.take_at((cx.mode, cx.from))
    }

    /// Keeps `value` as the state of the tables at the end of this batch (`cx.to`; if the
    /// batch does not commit, its checkpoint never gets there and the value is never taken).
    pub fn keep(&self, cx: &Context<'_>, value: T) {
        self.keep_at((cx.mode, cx.to), value);
    }

    fn take_at(&self, place: Place) -> Option<T> {
        let kept = self.kept.lock().map_or(None, |mut slot| slot.take());
        kept.and_then(|(at, value)| (at == place).then_some(value))
    }

    fn keep_at(&self, place: Place, value: T) {
        if let Ok(mut slot) = self.kept.lock() {
            *slot = Some((place, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(position: i64) -> Place {
        (Mode::Live, Checkpoint { transaction_id: position, position })
    }

    #[test]
    fn a_value_is_taken_only_by_the_batch_that_starts_where_it_was_kept_and_only_once() {
        let carried = Carried::default();
        carried.keep_at(at(10), "head");
        assert_eq!(carried.take_at(at(9)), None, "a batch starting elsewhere reads the tables");
        assert_eq!(carried.take_at(at(10)), None, "a mismatch discards the value");
        carried.keep_at(at(10), "head");
        assert_eq!(carried.take_at(at(10)), Some("head"));
        assert_eq!(carried.take_at(at(10)), None, "taken once");
        carried.keep_at(at(10), "head");
        assert_eq!(carried.take_at((Mode::Rebuild, at(10).1)), None, "live state is not a rebuild's");
    }
}
