//! The Host Application STATE message body: `{"online":<bool>,"timestamp":<UTC ms>}`.
//!
//! Published on `spBv1.0/STATE/<sparkplug_host_id>` as the host's birth (`online: true`) and as
//! its MQTT Will or clean-shutdown death (`online: false`). The payload is UTF-8 JSON, not
//! protobuf (`tck-id-host-topic-phid-birth-payload`, `tck-id-host-topic-phid-death-payload`,
//! `tck-id-payloads-state-will-message-payload`, `tck-id-payloads-state-birth-payload`).
//!
//! The accepted grammar and the choices behind it are documented on [`StateMessage::parse`].

use core::fmt;

/// The TCK assertions that define the STATE payload.
const RULES: &str = "tck-id-host-topic-phid-birth-payload, tck-id-host-topic-phid-death-payload";

/// The body of a Host Application STATE message.
///
/// ```
/// use sparkplug_b::topic::StateMessage;
///
/// let birth = StateMessage::birth(1_700_000_000_000);
/// assert_eq!(birth.to_json(), r#"{"online":true,"timestamp":1700000000000}"#);
///
/// let will = StateMessage::parse(b"{ \"timestamp\": 1700000000000, \"online\": false }")?;
/// assert_eq!(will, StateMessage::death(1_700_000_000_000));
///
/// assert!(StateMessage::parse(br#"{"online":true,"timestamp":1.7e12}"#).is_err());
/// # Ok::<(), sparkplug_b::topic::StateParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateMessage {
    /// `true` for the host's birth, `false` for its death.
    pub online: bool,
    /// UTC milliseconds since the Unix epoch. Birth and Will carry the time the host sent its
    /// MQTT CONNECT (`tck-id-host-topic-phid-birth-payload-timestamp`,
    /// `tck-id-host-topic-phid-death-payload-timestamp-connect`).
    pub timestamp: u64,
}

impl StateMessage {
    /// A birth: `online: true`.
    pub const fn birth(timestamp: u64) -> Self {
        Self {
            online: true,
            timestamp,
        }
    }

    /// A death: `online: false`.
    pub const fn death(timestamp: u64) -> Self {
        Self {
            online: false,
            timestamp,
        }
    }

    /// The payload as compact JSON, e.g. `{"online":true,"timestamp":1700000000000}`, with the
    /// timestamp as an integer literal.
    pub fn to_json(&self) -> String {
        self.to_string()
    }

    /// Parses a STATE payload.
    ///
    /// Accepts one JSON object, with JSON whitespace around any token, holding both keys in
    /// either order, each once: `online` as a JSON boolean and `timestamp` as a non-negative
    /// JSON integer that fits `u64`. `1.7e12`, `1700000000000.0`, `"1700000000000"`, `-1`, `-0`
    /// and values past `u64::MAX` are rejected (the TCK, too, requires an integer literal).
    ///
    /// Other keys are **ignored** when their value is a string, number, boolean or `null`: the
    /// spec says the payload MUST include the two pairs, not that it holds nothing else, and a
    /// later version may add keys; an edge node that refused them would never see its Primary
    /// Host online and so never publish its births. Objects and arrays are rejected wherever
    /// they appear (no STATE key uses them, and it keeps the parser flat). A repeated `online`
    /// or `timestamp` is rejected, as its meaning is ambiguous; repeated ignored keys are not
    /// tracked. A byte order mark, invalid UTF-8 and anything after the closing `}` other than
    /// whitespace are rejected.
    ///
    /// The parser makes one forward pass over the bytes: no recursion, no allocation, work
    /// linear in the input length, and no panics on any input.
    ///
    /// # Errors
    /// [`StateParseError`], naming the rule the payload breaks.
    pub fn parse(payload: &[u8]) -> Result<StateMessage, StateParseError> {
        let text = core::str::from_utf8(payload).map_err(|e| StateParseError::InvalidUtf8 {
            valid_up_to: e.valid_up_to(),
        })?;
        Parser { text, pos: 0 }.message()
    }
}

/// Why a payload is not a STATE message body.
///
/// Offsets are byte offsets into the payload. Each message names the TCK assertions on STATE
/// payloads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateParseError {
    /// The payload is not UTF-8.
    #[error(
        "STATE payload is not UTF-8 (invalid byte at {valid_up_to}) ({})",
        RULES
    )]
    InvalidUtf8 {
        /// Length of the valid UTF-8 prefix.
        valid_up_to: usize,
    },
    /// The payload ends inside the JSON object.
    #[error("STATE payload ends early, expected {expected} ({})", RULES)]
    UnexpectedEnd {
        /// What the parser was looking for.
        expected: &'static str,
    },
    /// A character that does not fit the JSON object grammar.
    #[error(
        "STATE payload has `{found}` at byte {offset}, expected {expected} ({})",
        RULES
    )]
    UnexpectedChar {
        /// Byte offset of the character.
        offset: usize,
        /// The character found.
        found: char,
        /// What the parser was looking for.
        expected: &'static str,
    },
    /// A malformed JSON string: bad escape, lone surrogate or raw control character.
    #[error(
        "STATE payload has an invalid JSON string at byte {offset} ({})",
        RULES
    )]
    InvalidString {
        /// Byte offset of the fault.
        offset: usize,
    },
    /// A malformed JSON number as the value of an ignored key.
    #[error(
        "STATE payload has an invalid JSON number at byte {offset} ({})",
        RULES
    )]
    InvalidNumber {
        /// Byte offset of the number.
        offset: usize,
    },
    /// An object or array value.
    #[error("STATE payload nests an object or array at byte {offset} ({})", RULES)]
    NestedValue {
        /// Byte offset of the `{` or `[`.
        offset: usize,
    },
    /// Something other than whitespace after the closing `}`.
    #[error(
        "STATE payload has data after the JSON object at byte {offset} ({})",
        RULES
    )]
    TrailingData {
        /// Byte offset of the first extra character.
        offset: usize,
    },
    /// `online` or `timestamp` appears twice.
    #[error("STATE payload repeats the key `{key}` at byte {offset} ({})", RULES)]
    DuplicateKey {
        /// `"online"` or `"timestamp"`.
        key: &'static str,
        /// Byte offset of the second occurrence.
        offset: usize,
    },
    /// `online` or `timestamp` is absent.
    #[error("STATE payload lacks the key `{key}` ({})", RULES)]
    MissingKey {
        /// `"online"` or `"timestamp"`.
        key: &'static str,
    },
    /// The `online` value is not `true` or `false`.
    #[error("STATE `online` at byte {offset} is not a JSON boolean ({})", RULES)]
    OnlineNotBoolean {
        /// Byte offset of the value.
        offset: usize,
    },
    /// The `timestamp` value is not an integer literal (a fraction, an exponent, a string...).
    #[error("STATE `timestamp` at byte {offset} is not a JSON integer ({})", RULES)]
    TimestampNotInteger {
        /// Byte offset of the value.
        offset: usize,
    },
    /// The `timestamp` value is negative (including `-0`).
    #[error("STATE `timestamp` at byte {offset} is negative ({})", RULES)]
    NegativeTimestamp {
        /// Byte offset of the value.
        offset: usize,
    },
    /// The `timestamp` value exceeds `u64::MAX`.
    #[error("STATE `timestamp` at byte {offset} does not fit u64 ({})", RULES)]
    TimestampOverflow {
        /// Byte offset of the value.
        offset: usize,
    },
}

/// A key of the STATE object, decoded from its JSON string.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Online,
    Timestamp,
    Other,
}

/// Collects the first bytes of a decoded key: enough to recognise `timestamp`.
struct KeyBuf {
    bytes: [u8; 9],
    len: usize,
    overflow: bool,
}

impl KeyBuf {
    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match self.bytes.get_mut(self.len) {
                Some(slot) => {
                    *slot = b;
                    self.len += 1;
                }
                None => self.overflow = true,
            }
        }
    }

    fn key(&self) -> Key {
        match self.bytes.get(..self.len) {
            Some(b"online") if !self.overflow => Key::Online,
            Some(b"timestamp") if !self.overflow => Key::Timestamp,
            _ => Key::Other,
        }
    }
}

/// A cursor over the payload. `pos` never exceeds `text.len()`.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &[u8] {
        self.text.as_bytes().get(self.pos..).unwrap_or_default()
    }

    fn peek(&self) -> Option<u8> {
        self.rest().first().copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The error for the character at `pos`, or for the end of input.
    fn unexpected(&self, expected: &'static str) -> StateParseError {
        match self.text.get(self.pos..).and_then(|r| r.chars().next()) {
            Some(found) => StateParseError::UnexpectedChar {
                offset: self.pos,
                found,
                expected,
            },
            None => StateParseError::UnexpectedEnd { expected },
        }
    }

    fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), StateParseError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn message(mut self) -> Result<StateMessage, StateParseError> {
        let mut online = None;
        let mut timestamp = None;
        self.skip_ws();
        self.expect(b'{', "`{`")?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                let key_offset = self.pos;
                let key = self.key()?;
                self.skip_ws();
                self.expect(b':', "`:`")?;
                self.skip_ws();
                match key {
                    Key::Online if online.is_some() => {
                        return Err(duplicate("online", key_offset));
                    }
                    Key::Timestamp if timestamp.is_some() => {
                        return Err(duplicate("timestamp", key_offset));
                    }
                    Key::Online => online = Some(self.boolean()?),
                    Key::Timestamp => timestamp = Some(self.timestamp()?),
                    Key::Other => self.skip_scalar()?,
                }
                self.skip_ws();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_ws();
                    }
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.unexpected("`,` or `}`")),
                }
            }
        }
        self.skip_ws();
        if self.pos < self.text.len() {
            return Err(StateParseError::TrailingData { offset: self.pos });
        }
        Ok(StateMessage {
            online: online.ok_or(StateParseError::MissingKey { key: "online" })?,
            timestamp: timestamp.ok_or(StateParseError::MissingKey { key: "timestamp" })?,
        })
    }

    fn key(&mut self) -> Result<Key, StateParseError> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected("a string key"));
        }
        let mut buf = KeyBuf {
            bytes: [0; 9],
            len: 0,
            overflow: false,
        };
        self.string(Some(&mut buf))?;
        Ok(buf.key())
    }

    /// Reads a JSON string starting at its opening quote, feeding the decoded bytes to `key`.
    fn string(&mut self, mut key: Option<&mut KeyBuf>) -> Result<(), StateParseError> {
        let start = self.pos;
        self.pos += 1;
        loop {
            let Some(b) = self.peek() else {
                return Err(StateParseError::InvalidString { offset: start });
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {
                    let c = self.escape()?;
                    if let Some(k) = key.as_deref_mut() {
                        k.push(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                }
                0x00..=0x1f => return Err(StateParseError::InvalidString { offset: self.pos }),
                _ => {
                    // Bytes of multi-byte characters are all >= 0x80, so copying them one by one
                    // keeps the UTF-8 the input already is.
                    if let Some(k) = key.as_deref_mut() {
                        k.push(&[b]);
                    }
                    self.pos += 1;
                }
            }
        }
    }

    /// Decodes the escape at `pos` (a backslash), including a `\uXXXX\uXXXX` surrogate pair.
    fn escape(&mut self) -> Result<char, StateParseError> {
        let offset = self.pos;
        let bad = StateParseError::InvalidString { offset };
        let c = match self.rest().get(1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let high = self.hex4(2).ok_or(bad.clone())?;
                let (code, len) = match high {
                    0xd800..=0xdbff => {
                        let low = match self.rest().get(6..8) {
                            Some(b"\\u") => self.hex4(8).ok_or(bad.clone())?,
                            _ => return Err(bad),
                        };
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return Err(bad);
                        }
                        (0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00), 12)
                    }
                    0xdc00..=0xdfff => return Err(bad),
                    _ => (high, 6),
                };
                let c = char::from_u32(code).ok_or(bad)?;
                self.pos += len;
                return Ok(c);
            }
            _ => return Err(bad),
        };
        self.pos += 2;
        Ok(c)
    }

    /// The four hex digits at `pos + at`.
    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.rest().get(at..at + 4)?;
        digits
            .iter()
            .try_fold(0u32, |acc, &d| Some(acc * 16 + char::from(d).to_digit(16)?))
    }

    fn boolean(&mut self) -> Result<bool, StateParseError> {
        let rest = self.rest();
        let (value, len) = if rest.starts_with(b"true") {
            (true, 4)
        } else if rest.starts_with(b"false") {
            (false, 5)
        } else {
            return Err(StateParseError::OnlineNotBoolean { offset: self.pos });
        };
        self.pos += len;
        Ok(value)
    }

    fn timestamp(&mut self) -> Result<u64, StateParseError> {
        let offset = self.pos;
        let mut value: u64 = 0;
        let mut digits = 0usize;
        loop {
            match self.peek() {
                Some(d @ b'0'..=b'9') => {
                    if digits == 1 && value == 0 {
                        // `0123` is not a JSON number.
                        return Err(StateParseError::InvalidNumber { offset });
                    }
                    value = value
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(d - b'0')))
                        .ok_or(StateParseError::TimestampOverflow { offset })?;
                    digits += 1;
                    self.pos += 1;
                }
                Some(b'-') if digits == 0 => {
                    return Err(StateParseError::NegativeTimestamp { offset });
                }
                Some(b'.' | b'e' | b'E') if digits > 0 => {
                    return Err(StateParseError::TimestampNotInteger { offset });
                }
                _ if digits == 0 => return Err(StateParseError::TimestampNotInteger { offset }),
                _ => return Ok(value),
            }
        }
    }

    /// Skips the value of an ignored key: a string, number, `true`, `false` or `null`.
    fn skip_scalar(&mut self) -> Result<(), StateParseError> {
        match self.peek() {
            Some(b'"') => self.string(None),
            Some(b'-' | b'0'..=b'9') => self.skip_number(),
            Some(b'{' | b'[') => Err(StateParseError::NestedValue { offset: self.pos }),
            _ => {
                let rest = self.rest();
                let len = [&b"true"[..], b"false", b"null"]
                    .into_iter()
                    .find(|lit| rest.starts_with(lit))
                    .map(<[u8]>::len)
                    .ok_or_else(|| self.unexpected("a JSON value"))?;
                self.pos += len;
                Ok(())
            }
        }
    }

    /// Skips `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn skip_number(&mut self) -> Result<(), StateParseError> {
        let offset = self.pos;
        let bad = StateParseError::InvalidNumber { offset };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    // `01` is not a JSON number.
                    return Err(bad);
                }
            }
            Some(b'1'..=b'9') => {
                self.skip_digits();
            }
            _ => return Err(bad),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.skip_digits() == 0 {
                return Err(bad);
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.skip_digits() == 0 {
                return Err(bad);
            }
        }
        Ok(())
    }

    /// Skips ASCII digits and returns how many.
    fn skip_digits(&mut self) -> usize {
        let n = self
            .rest()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        self.pos += n;
        n
    }
}

fn duplicate(key: &'static str, offset: usize) -> StateParseError {
    StateParseError::DuplicateKey { key, offset }
}

impl fmt::Display for StateMessage {
    /// Writes [`StateMessage::to_json`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{\"online\":{},\"timestamp\":{}}}",
            self.online, self.timestamp
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type E = StateParseError;

    fn parse(s: &str) -> Result<StateMessage, E> {
        StateMessage::parse(s.as_bytes())
    }

    // tck-id-host-topic-phid-birth-payload, tck-id-host-topic-phid-death-payload
    #[test]
    fn writes_compact_json_with_integer_timestamp() {
        let birth = StateMessage::birth(1_700_000_000_000);
        assert_eq!(
            birth.to_json(),
            r#"{"online":true,"timestamp":1700000000000}"#
        );
        assert_eq!(
            StateMessage::death(0).to_json(),
            r#"{"online":false,"timestamp":0}"#
        );
        assert_eq!(
            StateMessage::birth(u64::MAX).to_json(),
            r#"{"online":true,"timestamp":18446744073709551615}"#
        );
    }

    // tck-id-host-topic-phid-birth-payload, tck-id-host-topic-phid-death-payload
    #[test]
    fn accepts_whitespace_and_either_key_order() -> Result<(), E> {
        let want = StateMessage::death(1_700_000_000_000);
        for s in [
            r#"{"online":false,"timestamp":1700000000000}"#,
            r#"{"timestamp":1700000000000,"online":false}"#,
            " \t\r\n{ \"timestamp\" :\n1700000000000 ,\t\"online\" : false } \n",
            r#"{"onl\u0069ne":false,"time\/stamp":1,"timestamp":1700000000000}"#,
        ] {
            assert_eq!(parse(s)?, want, "{s:?}");
        }
        assert_eq!(
            parse(r#"{"online":true,"timestamp":0}"#)?,
            StateMessage::birth(0)
        );
        assert_eq!(
            parse(r#"{"online":true,"timestamp":18446744073709551615}"#)?,
            StateMessage::birth(u64::MAX)
        );
        Ok(())
    }

    // tck-id-host-topic-phid-birth-payload: unknown scalar keys are ignored (forward compat).
    #[test]
    fn ignores_unknown_scalar_keys() -> Result<(), E> {
        let s = r#"{"v":"3.1 \"β\" \ud83d\ude00 \n","online":true,"n":-1.5e-3,"z":0,"t":true,
                   "f":false,"x":null,"timestamp":5,"":"", "timestamps":1, "Online":"x"}"#;
        assert_eq!(parse(s)?, StateMessage::birth(5));
        Ok(())
    }

    // tck-id-host-topic-phid-birth-payload: "MUST include two key/value pairs".
    #[test]
    fn rejects_missing_keys() {
        assert_eq!(parse("{}"), Err(E::MissingKey { key: "online" }));
        assert_eq!(
            parse(r#"{"online":true}"#),
            Err(E::MissingKey { key: "timestamp" })
        );
        assert_eq!(
            parse(r#"{"timestamp":1}"#),
            Err(E::MissingKey { key: "online" })
        );
        assert_eq!(
            parse(r#"{"ONLINE":true,"timestamp":1}"#),
            Err(E::MissingKey { key: "online" })
        );
    }

    // tck-id-host-topic-phid-birth-payload
    #[test]
    fn rejects_duplicate_keys() {
        assert_eq!(
            parse(r#"{"online":true,"timestamp":1,"online":false}"#),
            Err(E::DuplicateKey {
                key: "online",
                offset: 29
            })
        );
        assert!(matches!(
            parse(r#"{"timestamp":1,"online":true,"timest\u0061mp":2}"#),
            Err(E::DuplicateKey {
                key: "timestamp",
                ..
            })
        ));
    }

    // tck-id-host-topic-phid-birth-payload: `online` is a JSON boolean.
    #[test]
    fn rejects_non_boolean_online() {
        for v in [r#""true""#, "1", "0", "null", "True", "{}", "[true]"] {
            let s = format!(r#"{{"online":{v},"timestamp":1}}"#);
            assert_eq!(parse(&s), Err(E::OnlineNotBoolean { offset: 10 }), "{s}");
        }
    }

    // tck-id-host-topic-phid-birth-payload: `timestamp` is an integer literal (TCK: isLong()).
    #[test]
    fn rejects_non_integer_timestamps() {
        let cases = [
            ("1.7e12", E::TimestampNotInteger { offset: 13 }),
            ("1700000000000.0", E::TimestampNotInteger { offset: 13 }),
            ("17E11", E::TimestampNotInteger { offset: 13 }),
            (r#""1700000000000""#, E::TimestampNotInteger { offset: 13 }),
            ("true", E::TimestampNotInteger { offset: 13 }),
            ("null", E::TimestampNotInteger { offset: 13 }),
            ("[1]", E::TimestampNotInteger { offset: 13 }),
            ("-1", E::NegativeTimestamp { offset: 13 }),
            ("-0", E::NegativeTimestamp { offset: 13 }),
            ("18446744073709551616", E::TimestampOverflow { offset: 13 }),
            (
                "99999999999999999999999",
                E::TimestampOverflow { offset: 13 },
            ),
            ("0123", E::InvalidNumber { offset: 13 }),
        ];
        for (v, err) in cases {
            let s = format!(r#"{{"timestamp":{v},"online":true}}"#);
            assert_eq!(parse(&s), Err(err), "{s}");
        }
        assert!(matches!(
            parse(r#"{"timestamp":+1,"online":true}"#),
            Err(E::TimestampNotInteger { .. })
        ));
        assert!(matches!(
            parse(r#"{"timestamp":1-2,"online":true}"#),
            Err(E::UnexpectedChar { found: '-', .. })
        ));
    }

    // tck-id-host-topic-phid-birth-payload: "MUST be JSON UTF-8 data".
    #[test]
    fn rejects_invalid_utf8() {
        assert_eq!(
            StateMessage::parse(b"\xff"),
            Err(E::InvalidUtf8 { valid_up_to: 0 })
        );
        assert_eq!(
            StateMessage::parse(b"{\"v\":\"\xc3\",\"online\":true,\"timestamp\":1}"),
            Err(E::InvalidUtf8 { valid_up_to: 6 })
        );
    }

    // tck-id-host-topic-phid-birth-payload: exactly one JSON object.
    #[test]
    fn rejects_trailing_data_and_nesting() {
        let ok = r#"{"online":true,"timestamp":1}"#;
        assert_eq!(
            parse(&format!("{ok}x")),
            Err(E::TrailingData { offset: 29 })
        );
        assert_eq!(
            parse(&format!("{ok} {{}}")),
            Err(E::TrailingData { offset: 30 })
        );
        assert_eq!(
            parse(&format!("{ok}\0")),
            Err(E::TrailingData { offset: 29 })
        );
        assert_eq!(
            parse(r#"{"x":{"online":true},"online":true,"timestamp":1}"#),
            Err(E::NestedValue { offset: 5 })
        );
        assert_eq!(
            parse(r#"{"online":true,"timestamp":1,"x":[]}"#),
            Err(E::NestedValue { offset: 33 })
        );
        assert!(matches!(
            parse(&format!("[{ok}]")),
            Err(E::UnexpectedChar { found: '[', .. })
        ));
    }

    // tck-id-host-topic-phid-birth-payload: malformed JSON is not a STATE payload.
    #[test]
    fn rejects_malformed_json() {
        let unexpected = |s: &str| matches!(parse(s), Err(E::UnexpectedChar { .. }));
        assert_eq!(parse(""), Err(E::UnexpectedEnd { expected: "`{`" }));
        assert_eq!(parse("   "), Err(E::UnexpectedEnd { expected: "`{`" }));
        assert_eq!(
            parse(r#"{"online":true"#),
            Err(E::UnexpectedEnd {
                expected: "`,` or `}`"
            })
        );
        assert_eq!(
            parse(r#"{"online""#),
            Err(E::UnexpectedEnd { expected: "`:`" })
        );
        assert!(unexpected("\u{feff}{\"online\":true,\"timestamp\":1}")); // BOM
        assert!(unexpected(r#"{"online":true,"timestamp":1,}"#)); // trailing comma
        assert!(unexpected(r#"{'online':true,"timestamp":1}"#));
        assert!(unexpected(r#"{online:true,"timestamp":1}"#));
        assert!(unexpected(r#"{"online" true,"timestamp":1}"#));
        assert!(unexpected(r#"{"online":true "timestamp":1}"#));
        assert!(unexpected(r#"{"online":truex,"timestamp":1}"#));
        assert!(unexpected(r#"{"x":nul,"online":true,"timestamp":1}"#));
        assert!(unexpected(r#"{"x":undefined,"online":true,"timestamp":1}"#));
        assert!(unexpected("{\"online\":true,\u{a0}\"timestamp\":1}")); // not JSON whitespace
    }

    // tck-id-host-topic-phid-birth-payload: JSON strings and numbers follow RFC 8259.
    #[test]
    fn rejects_bad_strings_and_numbers() {
        let tail = r#","online":true,"timestamp":1}"#;
        for (v, err) in [
            (r#""\x""#, E::InvalidString { offset: 6 }),
            (r#""\u12G4""#, E::InvalidString { offset: 6 }),
            (r#""\ud800""#, E::InvalidString { offset: 6 }),
            (r#""\ud800\u0041""#, E::InvalidString { offset: 6 }),
            (r#""\udc00""#, E::InvalidString { offset: 6 }),
            ("\"a\nb\"", E::InvalidString { offset: 7 }),
            ("\"\t\"", E::InvalidString { offset: 6 }),
            ("01", E::InvalidNumber { offset: 5 }),
            ("-", E::InvalidNumber { offset: 5 }),
            ("1.", E::InvalidNumber { offset: 5 }),
            (
                ".5",
                E::UnexpectedChar {
                    offset: 5,
                    found: '.',
                    expected: "a JSON value",
                },
            ),
            ("1e", E::InvalidNumber { offset: 5 }),
            ("1e+", E::InvalidNumber { offset: 5 }),
        ] {
            let s = format!(r#"{{"x":{v}{tail}"#);
            assert_eq!(parse(&s), Err(err), "{s}");
        }
        assert_eq!(parse(r#"{"x":"abc"#), Err(E::InvalidString { offset: 5 }));
        assert_eq!(parse(r#"{"x":"\u00"#), Err(E::InvalidString { offset: 6 }));
        assert_eq!(parse(r#"{"x":"\"#), Err(E::InvalidString { offset: 6 }));
    }

    #[test]
    fn error_messages_name_tck_ids() {
        let e = parse(r#"{"online":true,"timestamp":1.5}"#).err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some(
                "STATE `timestamp` at byte 27 is not a JSON integer \
                 (tck-id-host-topic-phid-birth-payload, tck-id-host-topic-phid-death-payload)"
                    .to_owned()
            )
        );
    }

    fn json_soup() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("{"),
            Just("}"),
            Just("["),
            Just("]"),
            Just(":"),
            Just(","),
            Just(" "),
            Just("\"online\""),
            Just("\"timestamp\""),
            Just("\"x\""),
            Just("true"),
            Just("false"),
            Just("null"),
            Just("1700000000000"),
            Just("-1"),
            Just("1.5e3"),
            Just("\""),
            Just("\\"),
            Just("\\u"),
            Just("d800"),
            Just("0"),
            Just("18446744073709551616"),
            Just("é"),
        ];
        prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    /// A member `(key, value, valid_for_key)`: valid means a boolean for `online`, a u64 integer
    /// literal for `timestamp`, a scalar for any other key.
    fn member() -> impl Strategy<Value = (String, String, bool)> {
        let online = prop_oneof![
            any::<bool>().prop_map(|b| (b.to_string(), true)),
            prop::sample::select(vec!["\"true\"", "1", "null"]).prop_map(|v| (v.to_owned(), false)),
        ];
        let timestamp = prop_oneof![
            any::<u64>().prop_map(|t| (t.to_string(), true)),
            prop::sample::select(vec!["1.5", "-1", "\"1\"", "1e3", "18446744073709551616"])
                .prop_map(|v| (v.to_owned(), false)),
        ];
        let other = prop::sample::select(vec![
            ("\"s\"", true),
            ("-1.5E+3", true),
            ("null", true),
            ("false", true),
            ("{}", false),
            ("[1]", false),
        ])
        .prop_map(|(v, ok)| (v.to_owned(), ok));
        prop_oneof![
            online.prop_map(|(v, ok)| ("online".to_owned(), v, ok)),
            timestamp.prop_map(|(v, ok)| ("timestamp".to_owned(), v, ok)),
            ("[a-z]{0,10}", other)
                .prop_filter("unknown keys only", |(k, _)| k != "online"
                    && k != "timestamp")
                .prop_map(|(k, (v, ok))| (k, v, ok)),
        ]
    }

    proptest! {
        // tck-id-host-topic-phid-birth-payload: accepted exactly when both keys appear once with
        // valid values and no value nests; the values read agree with serde_json.
        #[test]
        fn members_oracle(
            members in prop::collection::vec(member(), 0..5),
            ws in prop::sample::select(vec!["", " ", "\n\t", "\r\n  "]),
        ) {
            let body: Vec<String> =
                members.iter().map(|(k, v, _)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}")).collect();
            let s = format!("{ws}{{{}}}{ws}", body.join(","));
            let count = |key: &str| members.iter().filter(|(k, _, _)| k == key).count();
            let expected_ok = count("online") == 1
                && count("timestamp") == 1
                && members.iter().all(|(_, _, ok)| *ok);
            let result = parse(&s);
            prop_assert_eq!(result.is_ok(), expected_ok, "{} -> {:?}", s, result);
            if let Ok(msg) = result {
                let value: serde_json::Value = serde_json::from_str(&s)
                    .map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
                prop_assert_eq!(value["online"].as_bool(), Some(msg.online));
                prop_assert_eq!(value["timestamp"].as_u64(), Some(msg.timestamp));
            }
        }

        // tck-id-host-topic-phid-birth-payload: to_json -> parse is the identity.
        #[test]
        fn json_round_trip(online in any::<bool>(), timestamp in any::<u64>()) {
            let msg = StateMessage { online, timestamp };
            prop_assert_eq!(StateMessage::parse(msg.to_json().as_bytes()), Ok(msg));
            let spaced = format!(" {{ \"timestamp\" : {timestamp} , \"online\" : {online} }} ");
            prop_assert_eq!(parse(&spaced), Ok(msg));
        }

        // Total on arbitrary bytes.
        #[test]
        fn parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = StateMessage::parse(&bytes);
        }

        // On JSON-like input: never panics, and whatever we accept serde_json reads the same way.
        #[test]
        fn accepted_soup_agrees_with_serde_json(s in json_soup()) {
            if let Ok(msg) = parse(&s) {
                let value: serde_json::Value = serde_json::from_str(&s)
                    .map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
                prop_assert_eq!(value["online"].as_bool(), Some(msg.online));
                prop_assert_eq!(value["timestamp"].as_u64(), Some(msg.timestamp));
            }
        }
    }
}
