//! Where the server may send requests that a tenant admin chose the address of (webhook endpoints,
//! back-channel logout URIs): never into the network it runs in, unless the operator allows it.

use super::DomainError;
use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Checks an outbound URL named `field`: https (or http when private addresses are allowed), a host, no
/// credentials, no fragment; an IP literal or `localhost` must be public unless private addresses are
/// allowed. Host names are checked again after resolution, before every request.
pub fn parse_outbound_url(
    raw: &str,
    allow_private: bool,
    field: &'static str,
) -> Result<String, DomainError> {
    let text = raw.trim();
    let url = url::Url::parse(text)
        .map_err(|_| DomainError::new(field, format!("{text:?} is not an absolute URL")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(DomainError::new(field, "use an https URL")),
    }
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(DomainError::new(
            field,
            "the URL cannot carry credentials or a fragment",
        ));
    }
    let inside = match url.host() {
        None => return Err(DomainError::new(field, "the URL needs a host")),
        Some(url::Host::Ipv4(ip)) => is_forbidden(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_forbidden(IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
    };
    if inside && !allow_private {
        return Err(DomainError::new(
            field,
            "private, loopback and link-local addresses are refused",
        ));
    }
    Ok(url.to_string())
}

/// The address of a URL's host when it is an IP literal.
pub fn literal_address(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// IPv4 blocks no outbound request may reach: "this network", private (RFC 1918), carrier-grade NAT,
/// loopback, link-local, IETF protocol assignments, benchmarking, reserved and multicast.
const FORBIDDEN_V4: [&str; 11] = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
];

/// IPv6 blocks refused outright: unspecified and loopback, unique local, site-local, link-local,
/// multicast, Teredo, and the local-use NAT64 prefix.
const FORBIDDEN_V6: [&str; 8] = [
    "::/127",
    "fc00::/7",
    "fec0::/10",
    "fe80::/10",
    "ff00::/8",
    "2001::/32",
    "64:ff9b:1::/48",
    "100::/64",
];

/// Whether an outbound request may not reach `ip` (see the blocks above). IPv6 forms that carry an
/// IPv4 address (mapped, compatible, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by that
/// address.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return forbidden_v4(v4);
            }
            FORBIDDEN_V6
                .iter()
                .filter_map(|n| n.parse::<Ipv6Net>().ok())
                .any(|n| n.contains(&v6))
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    ip.is_broadcast()
        || FORBIDDEN_V4
            .iter()
            .filter_map(|n| n.parse::<Ipv4Net>().ok())
            .any(|n| n.contains(&ip))
}

/// The IPv4 address an IPv6 address stands for, if it is one of the forms that carry one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible; not :: and ::1, which are v6 blocks).
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        [0, 0, 0, 0, 0, 0, hi, _] if hi != 0 => Some(low),
        // NAT64 well-known prefix 64:ff9b::/96.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
        [0x2002, a, b, ..] => Some(Ipv4Addr::new(
            (a >> 8) as u8,
            a as u8,
            (b >> 8) as u8,
            b as u8,
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_addresses_are_refused_in_every_spelling() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "198.18.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fe80::1",
            "fd00::1",
            "fec0::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2001:0:4136:e378::1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_https_to_public_hosts_unless_private_ones_are_allowed() {
        let f = "url";
        assert!(parse_outbound_url("https://hooks.example/in", false, f).is_ok());
        assert!(parse_outbound_url("http://hooks.example/in", false, f).is_err());
        assert!(parse_outbound_url("https://127.0.0.1/in", false, f).is_err());
        assert!(parse_outbound_url("https://[::1]/in", false, f).is_err());
        assert!(parse_outbound_url("https://localhost/in", false, f).is_err());
        assert!(parse_outbound_url("https://LOCALHOST./in", false, f).is_err());
        assert!(parse_outbound_url("https://app.localhost/in", false, f).is_err());
        assert!(parse_outbound_url("http://127.0.0.1:9/in", true, f).is_ok());
        assert!(parse_outbound_url("https://u:p@hooks.example/in", false, f).is_err());
        assert!(parse_outbound_url("https://hooks.example/in#x", false, f).is_err());
        assert!(parse_outbound_url("com.example.app:/bc", true, f).is_err());
        let e = parse_outbound_url("/relative", false, "backchannelLogoutUri").unwrap_err();
        assert_eq!(e.field, "backchannelLogoutUri");
    }
}
