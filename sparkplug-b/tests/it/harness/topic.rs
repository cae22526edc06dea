//! MQTT topic names and topic filters (MQTT 3.1.1 and MQTT 5, section 4.7): validation and
//! matching, as a broker applies them.
//!
//! Sparkplug relies on these rules: a host subscribes to `spBv1.0/#` and must also see
//! `spBv1.0/STATE/<id>`, an edge node subscribes to `spBv1.0/G/DCMD/E/+`, and the optional
//! `$sparkplug/certificates/...` copies must not reach a plain `#` subscriber.

/// Whether `topic` may be published to: at least one character, no wildcard, no NUL.
pub(crate) fn is_valid_topic_name(topic: &str) -> bool {
    !topic.is_empty() && !topic.contains(['+', '#', '\0'])
}

/// Whether `filter` may be subscribed to: at least one character, no NUL, `+` only as a whole
/// level, `#` only as the whole last level.
pub(crate) fn is_valid_filter(filter: &str) -> bool {
    if filter.is_empty() || filter.contains('\0') {
        return false;
    }
    let levels = filter.split('/').count();
    filter.split('/').enumerate().all(|(i, level)| match level {
        "#" => i + 1 == levels,
        "+" => true,
        other => !other.contains(['+', '#']),
    })
}

/// Whether the topic filter `filter` matches the topic name `topic`.
///
/// Levels are separated by `/` and may be empty. `+` matches exactly one level (an empty one
/// too), `#` matches any number of levels including none, so `a/#` matches `a` itself. A topic
/// starting with `$` is not matched by a filter starting with a wildcard (`#`, `+/...`), only by
/// one that names the `$` level (`$SYS/#`).
pub(crate) fn matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut filter_levels = filter.split('/');
    let mut topic_levels = topic.split('/');
    loop {
        match (filter_levels.next(), topic_levels.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(f), Some(t)) if f == t => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of MQTT 3.1.1 section 4.7.1 and the edge cases Sparkplug filters meet.
    #[test]
    fn wildcard_matching_table() {
        let table: &[(&str, &str, bool)] = &[
            // exact
            ("a/b", "a/b", true),
            ("a/b", "a/c", false),
            ("a/b", "a/b/c", false),
            ("a/b/c", "a/b", false),
            ("A/b", "a/b", false),
            // multi-level wildcard, including the parent level
            ("sport/tennis/player1/#", "sport/tennis/player1", true),
            (
                "sport/tennis/player1/#",
                "sport/tennis/player1/ranking",
                true,
            ),
            (
                "sport/tennis/player1/#",
                "sport/tennis/player1/score/wimbledon",
                true,
            ),
            ("sport/tennis/player1/#", "sport/tennis/player2", false),
            ("sport/#", "sport", true),
            ("sport/#", "sport/", true),
            ("sport/#", "sports", false),
            ("#", "sport", true),
            ("#", "/", true),
            ("#", "a/b/c", true),
            // single-level wildcard
            ("sport/tennis/+", "sport/tennis/player1", true),
            ("sport/tennis/+", "sport/tennis/player1/ranking", false),
            ("sport/+", "sport", false),
            ("sport/+", "sport/", true),
            ("+", "sport", true),
            ("+", "/finance", false),
            ("+/+", "/finance", true),
            ("/+", "/finance", true),
            ("+/tennis/#", "sport/tennis", true),
            ("+/+/+", "a/b", false),
            // $-topics
            ("#", "$SYS/broker/clients", false),
            ("+/broker/clients", "$SYS/broker/clients", false),
            ("$SYS/#", "$SYS/broker/clients", true),
            ("$SYS/broker/+", "$SYS/broker/clients", true),
            (
                "$sparkplug/certificates/#",
                "$sparkplug/certificates/spBv1.0/G/NBIRTH/E",
                true,
            ),
            (
                "spBv1.0/#",
                "$sparkplug/certificates/spBv1.0/G/NBIRTH/E",
                false,
            ),
            ("a/#", "a/$b", true),
            ("a/+", "a/$b", true),
            // Sparkplug filters
            ("spBv1.0/#", "spBv1.0/STATE/host", true),
            ("spBv1.0/STATE/+", "spBv1.0/STATE/host", true),
            ("spBv1.0/G/DCMD/E/+", "spBv1.0/G/DCMD/E/D1", true),
            ("spBv1.0/G/DCMD/E/+", "spBv1.0/G/NCMD/E", false),
            ("spBv1.0/G/NCMD/E", "spBv1.0/G/NCMD/E", true),
            ("spBv1.0/+/NDEATH/+", "spBv1.0/G/NDEATH/E", true),
            ("spBv1.0/+/NDEATH/+", "spBv1.0/G/DDEATH/E/D", false),
        ];
        for &(filter, topic, expected) in table {
            assert!(is_valid_filter(filter), "{filter} is a valid filter");
            assert!(is_valid_topic_name(topic), "{topic} is a valid topic name");
            assert_eq!(matches(filter, topic), expected, "{filter} vs {topic}");
        }
    }

    #[test]
    fn filter_validation() {
        for valid in ["#", "+", "a/#", "+/+", "/", "a//b", "$SYS/#", "a/+/c/#"] {
            assert!(is_valid_filter(valid), "{valid}");
        }
        for invalid in ["", "a/#/b", "a#", "a/b#", "a+", "a/+b", "##", "#/", "a\0b"] {
            assert!(!is_valid_filter(invalid), "{invalid:?}");
        }
        for invalid in ["", "a/+", "a/#", "a\0"] {
            assert!(!is_valid_topic_name(invalid), "{invalid:?}");
        }
        assert!(is_valid_topic_name("/"));
    }
}
