//! Where the server may send a request of its own (webhook and robot channels), and how a
//! channel's URL is shown. A channel URL is typed by a city or province department, so it must
//! not turn the server into a proxy for its own network: only public unicast addresses are
//! reached, unless the operator names a host in `webhook_allow_hosts` (a robot gateway inside a
//! government network, or a test's loopback receiver).
//!
//! The URL is checked when a channel is saved (scheme, no user info, no literal address or name
//! that can only be local), and every address a name resolves to is checked again just before
//! each delivery, which then connects to that checked address (see `jobs::delivery`), so a DNS
//! answer that changes between the check and the connection cannot redirect it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::DomainError;

/// A channel's URL, parsed and checked for what can be decided without the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    url: String,
    host: String,
    port: u16,
    literal: Option<IpAddr>,
}

/// Host names that only ever mean this machine or its own network.
fn local_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "localhost"
        || h.ends_with(".localhost")
        || h.ends_with(".local")
        || h.ends_with(".internal")
        || !h.contains('.')
}

/// Whether the operator let this host through (`webhook_allow_hosts`; names compare without case).
pub fn allowed_host(host: &str, allow: &[String]) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.');
    allow.iter().any(|a| a.trim().trim_start_matches('[').trim_end_matches(']').eq_ignore_ascii_case(h))
}

impl WebhookUrl {
    /// Checks an http(s) URL: no user info, a host, and — unless the host is allowed — neither a
    /// literal non-public address nor a local-only name. Odd spellings of addresses
    /// (`0x7f000001`, `2130706433`, `127.1`, `[::ffff:127.0.0.1]`) are read as the address they mean.
    pub fn parse(raw: &str, allow: &[String]) -> Result<Self, DomainError> {
        let bad = |m: &str| DomainError::invalid("url", m.to_owned());
        let raw = raw.trim();
        if raw.len() > 2000 {
            return Err(bad("at most 2,000 characters"));
        }
        let url = url::Url::parse(raw).map_err(|e| bad(&format!("not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("an http or https URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("a URL without a user name or password in it"));
        }
        let port = url.port_or_known_default().ok_or_else(|| bad("a URL with a port"))?;
        let (host, literal) = match url.host() {
            Some(url::Host::Domain(d)) => (d.to_owned(), None),
            Some(url::Host::Ipv4(a)) => (a.to_string(), Some(IpAddr::V4(a))),
            Some(url::Host::Ipv6(a)) => (a.to_string(), Some(IpAddr::V6(a))),
            None => return Err(bad("a URL with a host")),
        };
        if !allowed_host(&host, allow) {
            match literal {
                Some(ip) if !is_public(ip) => {
                    return Err(bad(&format!(
                        "{ip} is not a public address; the server only calls public addresses (an operator may allow a host in webhook_allow_hosts)"
                    )));
                }
                None if local_name(&host) => {
                    return Err(bad(&format!(
                        "`{host}` is a local name; the server only calls public addresses (an operator may allow a host in webhook_allow_hosts)"
                    )));
                }
                _ => {}
            }
        }
        Ok(Self { url: url.to_string(), host, port, literal })
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The host as written in the URL (a name, or an address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address, when the URL names one instead of a host name.
    pub fn literal(&self) -> Option<IpAddr> {
        self.literal
    }

    /// The first address that may be called among those the host resolves to, or why none may.
    pub fn pick(&self, resolved: &[IpAddr], allow: &[String]) -> Result<IpAddr, &'static str> {
        if resolved.is_empty() {
            return Err("the host name does not resolve");
        }
        if allowed_host(&self.host, allow) {
            return Ok(resolved[0]);
        }
        // Every answer must be public: a name that resolves to both is suspect, not half-good.
        if resolved.iter().all(|ip| is_public(*ip)) {
            Ok(resolved[0])
        } else {
            Err("the host resolves to an address that is not public")
        }
    }
}

/// A public unicast address: not loopback, private, link-local, unique-local, shared (CGNAT),
/// multicast, broadcast, documentation, reserved or unspecified. An IPv4-mapped or -compatible
/// IPv6 address is judged as the IPv4 address inside it.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => public_v4(a),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(a),
        },
    }
}

fn public_v4(a: Ipv4Addr) -> bool {
    let [o0, o1, o2, _] = a.octets();
    !(a.is_unspecified()
        || a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || a.is_multicast()
        || a.is_broadcast()
        || a.is_documentation()
        || o0 == 0 // "this network"
        || (o0 == 100 && (64..128).contains(&o1)) // shared address space (CGNAT)
        || (o0 == 192 && o1 == 0 && o2 == 0) // IETF protocol assignments
        || (o0 == 198 && (o1 == 18 || o1 == 19)) // benchmarking
        || o0 >= 240) // reserved
}

fn public_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    // ::a.b.c.d (deprecated IPv4-compatible) carries an IPv4 address too.
    if s[..6].iter().all(|x| *x == 0) && !(a.is_unspecified() || a.is_loopback()) {
        return public_v4(Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8));
    }
    !(a.is_unspecified()
        || a.is_loopback()
        || a.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site local (deprecated) fec0::/10
        || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64: may reach IPv4 private space
        || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
}

/// A channel URL as every response shows it: scheme and host, then only the last four
/// characters, so a robot's `key=`/`access_token=` never leaves the server. E-mail channels
/// show their addresses (they are where reminders go, not a credential).
pub fn masked(url: &str) -> String {
    if url.starts_with("mailto:") {
        return url.to_owned();
    }
    let head = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(|h| format!("{}://{h}", u.scheme())))
        .unwrap_or_else(|| "?".into());
    let tail: String = {
        let chars: Vec<char> = url.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    };
    format!("{head}/…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        WebhookUrl::parse(url, &[]).is_err()
    }

    #[test]
    fn local_and_private_targets_are_refused_in_every_spelling() {
        for url in [
            "http://127.0.0.1:8080/x",
            "http://0x7f000001:9000/",
            "http://2130706433/",
            "http://127.1/",
            "http://0177.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://user:pw@127.0.0.1/",
            "http://user:pw@example.com/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[fe80::1]/",
            "http://[fc00::1]/",
            "http://[fd12:3456::1]/",
            "http://[ff02::1]/",
            "http://[::]/",
            "http://[64:ff9b::a00:1]/",
            "http://intranet/",
            "ftp://example.com/",
            "file:///etc/passwd",
            "gopher://example.com/",
        ] {
            assert!(refused(url), "{url} should be refused");
        }
    }

    #[test]
    fn public_robots_pass_and_allowed_hosts_pass() {
        for url in [
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
            "https://oapi.dingtalk.com/robot/send?access_token=abc",
            "http://8.8.8.8/hook",
            "http://[2400:3200::1]/hook",
        ] {
            assert!(!refused(url), "{url} should pass");
        }
        let allow = vec!["127.0.0.1".to_owned(), "Robot.Gov.Internal".to_owned()];
        assert!(WebhookUrl::parse("http://127.0.0.1:9000/x", &allow).is_ok());
        assert!(WebhookUrl::parse("http://0x7f000001:9000/x", &allow).is_ok(), "the address meant is allowed");
        assert!(WebhookUrl::parse("http://robot.gov.internal/x", &allow).is_ok());
        assert!(WebhookUrl::parse("http://127.0.0.2/x", &allow).is_err());
    }

    #[test]
    fn every_resolved_address_must_be_public() {
        let u = WebhookUrl::parse("https://robot.example.com/x", &[]).unwrap();
        let public: IpAddr = "203.0.113.9".parse().unwrap(); // documentation range: not public
        let real: IpAddr = "8.8.4.4".parse().unwrap();
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(u.pick(&[real], &[]), Ok(real));
        assert!(u.pick(&[real, lo], &[]).is_err(), "a name that also resolves to loopback is refused");
        assert!(u.pick(&[public], &[]).is_err());
        assert!(u.pick(&[], &[]).is_err());
        assert_eq!(u.pick(&[lo], &["robot.example.com".into()]), Ok(lo));
    }

    #[test]
    fn masks_keep_the_host_and_four_characters() {
        assert_eq!(
            masked("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"),
            "https://qyapi.weixin.qq.com/…5aaa"
        );
        assert_eq!(masked("mailto:a@mca.gov.cn"), "mailto:a@mca.gov.cn");
        assert!(!masked("https://oapi.dingtalk.com/robot/send?access_token=SECRET123456").contains("SECRET"));
    }
}
