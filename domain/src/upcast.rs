//! Event schema evolution. Stored events are never edited; old shapes are translated when read,
//! by upcasters keyed by (event type, version), both when aggregates are loaded (cqrs-es) and
//! when the projector reads the history.
//!
//! Policy: (1) adding a field with a serde default needs no new version; (2) a change of
//! meaning, a rename or a removed field gets a new `event_version` and an upcaster from the
//! previous one here; (3) upcasters chain, so a very old event walks through every step.

use serde_json::Value;

/// One step of evolution.
#[derive(Debug, Clone, Copy)]
pub struct Upcaster {
    pub event_type: &'static str,
    pub from_version: &'static str,
    pub to_version: &'static str,
    pub apply: fn(Value) -> Value,
}

/// Every known step. `HolidayAdded` 0.9 is the shape before closed days had a kind (the
/// pre-release calendar); it is read as a national holiday.
pub const UPCASTERS: &[Upcaster] =
    &[Upcaster { event_type: "HolidayAdded", from_version: "0.9", to_version: "1.0", apply: holiday_added_kind }];

fn holiday_added_kind(mut payload: Value) -> Value {
    if let Some(body) = payload.get_mut("HolidayAdded").and_then(Value::as_object_mut) {
        body.entry("kind").or_insert_with(|| Value::from("NATIONAL_HOLIDAY"));
    }
    payload
}

/// Whether an event of this type and version needs translating.
pub fn needs_upcast(event_type: &str, version: &str) -> bool {
    UPCASTERS.iter().any(|u| u.event_type == event_type && u.from_version == version)
}

/// Brings a stored payload to the current shape; returns the version reached.
pub fn upcast(event_type: &str, version: &str, mut payload: Value) -> (String, Value) {
    let mut version = version.to_owned();
    while let Some(step) = UPCASTERS.iter().find(|u| u.event_type == event_type && u.from_version == version) {
        payload = (step.apply)(payload);
        version = step.to_version.to_owned();
    }
    (version, payload)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::calendar::{CalendarEvent, HolidayKind};

    #[test]
    fn old_holiday_added_reads_as_a_national_holiday() {
        let old = json!({ "HolidayAdded": { "date": "2026-12-25", "name": "Hari Raya Natal" } });
        assert!(needs_upcast("HolidayAdded", "0.9"));
        let (version, payload) = upcast("HolidayAdded", "0.9", old);
        assert_eq!(version, "1.0");
        let event: Result<CalendarEvent, _> = serde_json::from_value(payload);
        assert!(matches!(event, Ok(CalendarEvent::HolidayAdded { kind: HolidayKind::NationalHoliday, .. })));
    }

    #[test]
    fn current_events_are_untouched() {
        let current = json!({ "HolidayAdded": { "date": "2026-12-25", "name": "Natal", "kind": "CUTI_BERSAMA" } });
        assert!(!needs_upcast("HolidayAdded", "1.0"));
        assert_eq!(upcast("HolidayAdded", "1.0", current.clone()), ("1.0".to_owned(), current));
    }
}
