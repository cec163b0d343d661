//! A memory budget for decoding uploads: each check-and-clean reserves what it may need
//! ([`super::sanitize::decode_cost`]) before it runs, so concurrent uploads wait rather than
//! add up. 16 concurrent large photos from one resident drove peak RSS to 8.1 GB before.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::Error;

/// The budget is counted in units of this many bytes (the semaphore counts `u32` permits).
const UNIT: u64 = 1 << 20;

/// The decode memory budget of one process.
#[derive(Debug)]
pub struct DecodeGate {
    units: Semaphore,
    capacity: u32,
    in_use: AtomicU64,
    peak: AtomicU64,
}

/// A reservation of the budget, given back on drop.
#[derive(Debug)]
pub struct DecodeSlot<'a> {
    gate: &'a DecodeGate,
    units: u32,
    _permit: SemaphorePermit<'a>,
}

impl DecodeGate {
    /// A budget of `bytes` (at least one unit).
    pub fn new(bytes: u64) -> Self {
        let capacity = u32::try_from((bytes / UNIT).max(1)).unwrap_or(u32::MAX);
        Self { units: Semaphore::new(capacity as usize), capacity, in_use: AtomicU64::new(0), peak: AtomicU64::new(0) }
    }

    /// Waits until `cost` bytes of the budget are free and reserves them. A cost larger than
    /// the whole budget reserves all of it (it then runs alone).
    pub async fn reserve(&self, cost: u64) -> Result<DecodeSlot<'_>, Error> {
        let units = u32::try_from(cost.div_ceil(UNIT)).unwrap_or(u32::MAX).clamp(1, self.capacity);
        let permit = self.units.acquire_many(units).await.map_err(|_| Error::Internal("decode gate closed".into()))?;
        let now = self.in_use.fetch_add(u64::from(units), Ordering::SeqCst) + u64::from(units);
        self.peak.fetch_max(now, Ordering::SeqCst);
        Ok(DecodeSlot { gate: self, units, _permit: permit })
    }

    /// The budget, in bytes.
    pub fn capacity_bytes(&self) -> u64 {
        u64::from(self.capacity) * UNIT
    }

    /// The most ever reserved at once, in bytes.
    pub fn peak_bytes(&self) -> u64 {
        self.peak.load(Ordering::SeqCst) * UNIT
    }

    /// Reserved now, in bytes.
    pub fn in_use_bytes(&self) -> u64 {
        self.in_use.load(Ordering::SeqCst) * UNIT
    }
}

impl Drop for DecodeSlot<'_> {
    fn drop(&mut self) {
        self.gate.in_use.fetch_sub(u64::from(self.units), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reservations_wait_for_room_and_the_peak_stays_within_the_budget() -> Result<(), Error> {
        let gate = std::sync::Arc::new(DecodeGate::new(10 * UNIT));
        let first = gate.reserve(6 * UNIT).await?;
        let waiting = {
            let gate = gate.clone();
            tokio::spawn(async move {
                let _slot = gate.reserve(6 * UNIT).await;
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "6 + 6 units do not fit in 10: the second waits");
        drop(first);
        let _ = waiting.await;
        assert_eq!(gate.peak_bytes(), 6 * UNIT);
        let _all = gate.reserve(100 * UNIT).await?;
        assert_eq!(gate.in_use_bytes(), 10 * UNIT, "more than the budget takes all of it");
        Ok(())
    }
}
