//! A timer trigger's invocation body.
//!
//! The trigger value is the WebJobs `TimerInfo` (azure-webjobs-sdk-extensions,
//! `TimerListener.InvokeJobFunction`), an object, so the host sends it as one
//! (`JObject.FromObject`): `{"Schedule": {"AdjustForDST": true},
//! "ScheduleStatus": {"Last", "Next", "LastUpdated"} or null, "IsPastDue"}`.
//! `ScheduleStatus` is null without a schedule monitor (`useMonitor: false`,
//! or before the first status is recorded); its times are
//! `DateTimeOffset.LocalDateTime` values, written with the machine's offset
//! (`+00:00` on Azure). A timer's Metadata holds only `sys`.

use chrono::NaiveDateTime;
use serde_json::{json, Value};

use crate::dotnet::{datetime, DateTimeKind};
use crate::events::{sys, ENQUEUED_BASE};

/// One firing of a timer.
#[derive(Debug, Clone, PartialEq)]
pub struct TimerPayload {
    /// The binding's name in function.json (`timer`).
    pub binding: String,
    /// With a `ScheduleStatus` (a schedule monitor has recorded runs) or null.
    pub schedule_status: bool,
    pub past_due: bool,
    pub last: NaiveDateTime,
    pub next: NaiveDateTime,
    pub last_updated: NaiveDateTime,
}

impl TimerPayload {
    /// Last run 2026-11-26T00:00:00, next 2026-11-26T06:00:00 (local = UTC).
    pub fn new(schedule_status: bool, past_due: bool) -> Self {
        let last = ENQUEUED_BASE - chrono::TimeDelta::hours(6);
        TimerPayload {
            binding: "timer".into(),
            schedule_status,
            past_due,
            last,
            next: ENQUEUED_BASE,
            last_updated: last,
        }
    }

    /// The invocation body: `{"Data": {"timer": {...}}, "Metadata": {"sys": {...}}}`.
    pub fn invocation(&self, function: &str) -> Value {
        let status = if self.schedule_status {
            json!({
                "Last": datetime(self.last, DateTimeKind::Local),
                "Next": datetime(self.next, DateTimeKind::Local),
                "LastUpdated": datetime(self.last_updated, DateTimeKind::Local),
            })
        } else {
            Value::Null
        };
        json!({
            "Data": {self.binding.clone(): {
                "Schedule": {"AdjustForDST": true},
                "ScheduleStatus": status,
                "IsPastDue": self.past_due,
            }},
            "Metadata": {"sys": sys(function)},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timer_is_an_object_with_or_without_a_status() {
        let body = TimerPayload::new(true, true).invocation("RetrainModel");
        let timer = &body["Data"]["timer"];
        assert_eq!(timer["Schedule"]["AdjustForDST"], true);
        assert_eq!(timer["IsPastDue"], true);
        assert_eq!(timer["ScheduleStatus"]["Last"], "2026-11-26T00:00:00+00:00");
        assert_eq!(timer["ScheduleStatus"]["Next"], "2026-11-26T06:00:00+00:00");
        assert_eq!(body["Metadata"]["sys"]["MethodName"], "RetrainModel");
        let body = TimerPayload::new(false, false).invocation("RetrainModel");
        assert!(body["Data"]["timer"]["ScheduleStatus"].is_null());
        assert_eq!(body["Data"]["timer"]["IsPastDue"], false);
    }
}
