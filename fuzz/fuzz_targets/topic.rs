//! `topic`: the topic and STATE parsers on arbitrary input.
//!
//! Checks that
//! - [`Topic::parse`] never panics on any UTF-8 string, and a topic it accepts prints
//!   (`to_string()`) to text that parses back to an equal `Topic`;
//! - [`StateMessage::parse`] never panics on any bytes, and a STATE message it accepts renders
//!   (`to_json()`) to JSON that parses back to an equal message.
//!
//! Why: topics and STATE payloads arrive from any client of the broker before anything else is
//! checked, and a host rebuilds topics from parsed ones (to send commands, to log), so printing
//! and parsing must be inverse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sparkplug_b::topic::{StateMessage, Topic};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = core::str::from_utf8(bytes)
        && let Ok(topic) = Topic::parse(text)
    {
        let printed = topic.to_string();
        match Topic::parse(&printed) {
            Ok(again) => assert_eq!(again, topic, "{text:?} printed as {printed:?}"),
            Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse: {e}"),
        }
    }
    if let Ok(state) = StateMessage::parse(bytes) {
        let json = state.to_json();
        match StateMessage::parse(json.as_bytes()) {
            Ok(again) => assert_eq!(again, state, "rendered as {json}"),
            Err(e) => panic!("rendered as {json}, which does not parse: {e}"),
        }
    }
});
