//! How the host's .NET code turns values into the JSON a handler receives.
//!
//! The host serialises the invocation with Newtonsoft.Json (through
//! `JsonMediaTypeFormatter`), after one conversion per binding value,
//! `GetHttpScriptInvocationContextValue` in
//! `src/WebJobs.Script/Workers/MessageExtensions/ScriptInvocationContextExtensions.cs`
//! (lines 56-82): `JObject.FromObject(value)` when the value serialises to a
//! JSON object, otherwise `JsonConvert.SerializeObject(value)`, a string.

use chrono::NaiveDateTime;
use serde_json::{json, Value};

/// One Data or Metadata value as the host sends it: an object as it is,
/// anything else (array, number, string, bool, null) JSON-encoded into a
/// string. So `[100,101]` arrives as `"[100,101]"` and `"abc"` as `"\"abc\""`.
pub fn binding_value(value: Value) -> Value {
    match value {
        Value::Object(_) => value,
        other => Value::String(other.to_string()),
    }
}

/// The kind of a .NET `DateTime`, which decides Newtonsoft's suffix (`K`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateTimeKind {
    /// No suffix: `DateTimeOffset.DateTime` (the Event Hub enqueued times).
    Unspecified,
    /// `Z`: `DateTime.UtcNow` (`sys.UtcNow`).
    Utc,
    /// The machine's offset, `+00:00` on Azure's UTC machines
    /// (`DateTimeOffset.LocalDateTime`: the timer's `ScheduleStatus`).
    Local,
}

/// A `DateTime` as Newtonsoft writes it (`IsoDateFormat`,
/// `yyyy-MM-ddTHH:mm:ss.FFFFFFFK`): at most 7 fractional digits, trailing
/// zeros (and a bare dot) dropped, the suffix from the kind.
pub fn datetime(t: NaiveDateTime, kind: DateTimeKind) -> String {
    let ticks = t.and_utc().timestamp_subsec_nanos() / 100;
    let mut fraction = format!("{ticks:07}");
    while fraction.ends_with('0') {
        fraction.pop();
    }
    let suffix = match kind {
        DateTimeKind::Unspecified => "",
        DateTimeKind::Utc => "Z",
        DateTimeKind::Local => "+00:00",
    };
    let dot = if fraction.is_empty() { "" } else { "." };
    format!("{}{dot}{fraction}{suffix}", t.format("%Y-%m-%dT%H:%M:%S"))
}

/// A `DateTimeOffset` at UTC as Newtonsoft writes it (`...+00:00`).
pub fn datetime_offset(t: NaiveDateTime) -> String {
    datetime(t, DateTimeKind::Local)
}

/// An `Exception` as Newtonsoft serialises it (through `ISerializable`).
pub fn exception(class_name: &str, message: &str, inner: Option<Value>) -> Value {
    json!({
        "ClassName": class_name,
        "Message": message,
        "Data": null,
        "InnerException": inner,
        "HelpURL": null,
        "StackTraceString": null,
        "RemoteStackTraceString": null,
        "RemoteStackIndex": 0,
        "ExceptionMethod": null,
        "HResult": -2146233088,
        "Source": null,
        "WatsonBuckets": null
    })
}

/// A fresh GUID in .NET's `D` format (lower case), random enough for ids.
pub fn guid() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let half = |salt: u64| {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u64(salt);
        h.finish()
    };
    let (a, b) = (half(1), half(2));
    // Version 4, variant 1, as Guid.NewGuid().
    let a = (a & !0xF000) | 0x4000;
    let b = (b & !(0b11 << 62)) | (0b10 << 62);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").unwrap()
    }

    #[test]
    fn values_that_are_not_objects_become_json_strings() {
        assert_eq!(binding_value(json!([100, 101])), json!("[100,101]"));
        assert_eq!(binding_value(json!("abc")), json!("\"abc\""));
        assert_eq!(binding_value(json!(7)), json!("7"));
        assert_eq!(binding_value(json!({"a": [1]})), json!({"a": [1]}));
    }

    #[test]
    fn datetimes_are_written_as_newtonsoft_writes_them() {
        let t = at("2026-11-26T06:00:01.123");
        assert_eq!(
            datetime(t, DateTimeKind::Unspecified),
            "2026-11-26T06:00:01.123"
        );
        assert_eq!(datetime(t, DateTimeKind::Utc), "2026-11-26T06:00:01.123Z");
        assert_eq!(
            datetime(at("2026-11-26T06:00:00"), DateTimeKind::Local),
            "2026-11-26T06:00:00+00:00"
        );
        assert_eq!(
            datetime(at("2026-11-26T06:00:00.00123456"), DateTimeKind::Utc),
            "2026-11-26T06:00:00.0012345Z"
        );
    }

    #[test]
    fn guids_look_like_guids_and_differ() {
        let (a, b) = (guid(), guid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_eq!(a.matches('-').count(), 4);
    }
}
