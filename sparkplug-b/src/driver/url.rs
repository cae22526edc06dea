//! Broker URLs: `mqtt://host:port` and friends.

use core::fmt;
use core::str::FromStr;
use std::borrow::Cow;

use super::error::UrlError;

/// The MQTT protocol version to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MqttVersion {
    /// MQTT 3.1.1 (CleanSession = 1).
    V311,
    /// MQTT 5 (Clean Start = 1, Session Expiry Interval 0).
    V5,
}

/// Where the broker is and how to talk to it, parsed from a URL.
///
/// | scheme | transport | protocol | default port |
/// |---|---|---|---|
/// | `mqtt`, `tcp` | TCP | MQTT 3.1.1 | 1883 |
/// | `mqtts`, `ssl` | TLS | MQTT 3.1.1 | 8883 |
/// | `mqtt5` | TCP | MQTT 5 | 1883 |
/// | `mqtts5` | TLS | MQTT 5 | 8883 |
///
/// The URL holds nothing but `scheme://host[:port]` (an IPv6 host in brackets); credentials go
/// in [`MqttConfig::with_credentials`](super::MqttConfig::with_credentials).
///
/// ```
/// use sparkplug_b::driver::{BrokerUrl, MqttVersion};
///
/// let url: BrokerUrl = "mqtts5://broker.example:8884".parse()?;
/// assert_eq!((url.host(), url.port(), url.tls()), ("broker.example", 8884, true));
/// assert_eq!(url.version(), MqttVersion::V5);
/// assert_eq!("mqtt://[::1]".parse::<BrokerUrl>()?.to_string(), "mqtt://[::1]:1883");
/// # Ok::<(), sparkplug_b::driver::UrlError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BrokerUrl {
    host: String,
    port: u16,
    tls: bool,
    version: MqttVersion,
}

impl BrokerUrl {
    /// A broker at `host:port`, plain TCP, MQTT 3.1.1.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        BrokerUrl {
            host: host.into(),
            port,
            tls: false,
            version: MqttVersion::V311,
        }
    }

    /// Turns TLS on or off (builder style).
    pub fn with_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Sets the protocol version (builder style).
    pub fn with_version(mut self, version: MqttVersion) -> Self {
        self.version = version;
        self
    }

    /// The host name or address (an IPv6 address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the connection uses TLS.
    pub fn tls(&self) -> bool {
        self.tls
    }

    /// The MQTT protocol version.
    pub fn version(&self) -> MqttVersion {
        self.version
    }

    /// `host:port`, for messages.
    pub(crate) fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// `url` with the password of its user info masked (`mqtt://user:****@host`, `mysql://root:****@db/x`),
/// for messages, logs and printed configurations; a URL without one is returned as it is.
///
/// Every URL this suite shows passes through here: the errors of [`BrokerUrl`]'s `FromStr`, and
/// the reference app's `config` output and start-up errors.
///
/// ```
/// use sparkplug_b::driver::redact_url;
///
/// assert_eq!(redact_url("mysql://app:hunter2@db:3306/plant"), "mysql://app:****@db:3306/plant");
/// assert_eq!(redact_url("mqtt://broker:1883"), "mqtt://broker:1883");
/// ```
pub fn redact_url(url: &str) -> Cow<'_, str> {
    // The authority runs from after `scheme://` (or the start, for a URL without a scheme)
    // to the first `/`, `?` or `#`; its user info ends at its last `@`.
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = url.get(start..).unwrap_or("");
    let end = rest.find(['/', '?', '#']).map_or(url.len(), |i| start + i);
    let authority = url.get(start..end).unwrap_or("");
    let Some(at) = authority.rfind('@') else {
        return Cow::Borrowed(url);
    };
    let userinfo = authority.get(..at).unwrap_or("");
    match userinfo.split_once(':') {
        Some((user, _password)) => Cow::Owned(format!(
            "{}{user}:****{}",
            url.get(..start).unwrap_or(""),
            url.get(start + at..).unwrap_or("")
        )),
        None => Cow::Borrowed(url),
    }
}

fn redacted(url: &str) -> String {
    redact_url(url).into_owned()
}

impl FromStr for BrokerUrl {
    type Err = UrlError;

    fn from_str(url: &str) -> Result<Self, UrlError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| UrlError::MissingScheme(redacted(url)))?;
        let (tls, version) = match scheme.to_ascii_lowercase().as_str() {
            "mqtt" | "tcp" => (false, MqttVersion::V311),
            "mqtts" | "ssl" => (true, MqttVersion::V311),
            "mqtt5" => (false, MqttVersion::V5),
            "mqtts5" => (true, MqttVersion::V5),
            _ => return Err(UrlError::UnsupportedScheme(scheme.to_owned())),
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) {
            return Err(UrlError::UnexpectedPart(redacted(url)));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| UrlError::MissingHost(redacted(url)))?;
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(UrlError::UnexpectedPart(redacted(url))),
                },
            }
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(UrlError::MissingHost(redacted(url)));
        }
        let port = match port {
            None => {
                if tls {
                    8883
                } else {
                    1883
                }
            }
            Some(p) => match p.parse::<u16>() {
                Ok(port) if port != 0 => port,
                _ => return Err(UrlError::InvalidPort(p.to_owned())),
            },
        };
        Ok(BrokerUrl {
            host: host.to_owned(),
            port,
            tls,
            version,
        })
    }
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match (self.tls, self.version) {
            (false, MqttVersion::V311) => "mqtt",
            (true, MqttVersion::V311) => "mqtts",
            (false, MqttVersion::V5) => "mqtt5",
            (true, MqttVersion::V5) => "mqtts5",
        };
        write!(f, "{scheme}://{}", self.address())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<BrokerUrl, UrlError> {
        url.parse()
    }

    #[test]
    fn schemes_ports_and_hosts() {
        let u = parse("mqtt://127.0.0.1:1884").unwrap();
        assert_eq!((u.host(), u.port(), u.tls()), ("127.0.0.1", 1884, false));
        assert_eq!(u.version(), MqttVersion::V311);
        assert_eq!(parse("tcp://h").unwrap().port(), 1883);
        assert_eq!(
            parse("MQTTS://h/").unwrap(),
            BrokerUrl::new("h", 8883).with_tls(true)
        );
        assert_eq!(parse("ssl://h:1").unwrap().port(), 1);
        let u = parse("mqtt5://[::1]:2000").unwrap();
        assert_eq!(
            (u.host(), u.port(), u.version()),
            ("::1", 2000, MqttVersion::V5)
        );
        assert_eq!(u.to_string(), "mqtt5://[::1]:2000");
        let u = parse("mqtts5://h").unwrap();
        assert_eq!(
            (u.port(), u.tls(), u.to_string().as_str()),
            (8883, true, "mqtts5://h:8883")
        );
        assert_eq!(
            BrokerUrl::new("h", 1)
                .with_version(MqttVersion::V5)
                .to_string(),
            "mqtt5://h:1"
        );
    }

    #[test]
    fn passwords_are_masked() {
        for (url, shown) in [
            ("mqtt://u:pw@h:1883", "mqtt://u:****@h:1883"),
            (
                "mysql://root:s3cr@t@db:3306/x?ssl=1",
                "mysql://root:****@db:3306/x?ssl=1",
            ),
            ("u:pw@h:1883", "u:****@h:1883"),
            ("mqtts://user@h", "mqtts://user@h"),
            ("mqtt://h:1883/a@b", "mqtt://h:1883/a@b"),
            (
                "sqlite://data/iceplant.db?mode=rwc",
                "sqlite://data/iceplant.db?mode=rwc",
            ),
            ("", ""),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn url_errors_do_not_repeat_the_password() {
        for url in [
            "mqtt://u:hunter2@h:1883",
            "u:hunter2@h:1883",
            "mqtts://u:hunter2@h/x",
        ] {
            let e = parse(url).unwrap_err();
            assert!(!e.to_string().contains("hunter2"), "{e}");
            assert!(e.to_string().contains("u:****@h"), "{e}");
        }
    }

    #[test]
    fn bad_urls_are_typed_errors() {
        assert!(matches!(
            parse("localhost:1883"),
            Err(UrlError::MissingScheme(_))
        ));
        assert!(matches!(parse("ws://h"), Err(UrlError::UnsupportedScheme(s)) if s == "ws"));
        assert!(matches!(
            parse("mqtt://:1883"),
            Err(UrlError::MissingHost(_))
        ));
        assert!(matches!(
            parse("mqtt://[::1"),
            Err(UrlError::MissingHost(_))
        ));
        assert!(matches!(parse("mqtt://h:0"), Err(UrlError::InvalidPort(_))));
        assert!(matches!(
            parse("mqtt://h:99999"),
            Err(UrlError::InvalidPort(_))
        ));
        assert!(matches!(parse("mqtt://h:x"), Err(UrlError::InvalidPort(_))));
        assert!(matches!(
            parse("mqtt://u:p@h"),
            Err(UrlError::UnexpectedPart(_))
        ));
        assert!(matches!(
            parse("mqtt://h/path"),
            Err(UrlError::UnexpectedPart(_))
        ));
        assert!(matches!(
            parse("mqtt://[::1]x"),
            Err(UrlError::UnexpectedPart(_))
        ));
    }
}
