//! Who the client is when the server sits behind reverse proxies (`TRUSTED_PROXIES`).
//!
//! The TCP peer is the client unless it is a trusted proxy. Then the proxy's
//! `X-Forwarded-For` (or, when that is absent, `Forwarded: for=`) is read from the right: every
//! trusted hop is skipped and the first untrusted address is the client, so whatever a client
//! wrote into the header itself (the left part) is never believed. Each trusted proxy must
//! append to (or overwrite) the header it forwards.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// Addresses and networks (`10.0.0.0/8`, `::1`, `fd00::/8`) whose forwarding headers are believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl TrustedProxies {
    /// Comma-separated IPs and CIDRs; empty = trust nobody.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut networks = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, prefix) = match item.split_once('/') {
                Some((addr, prefix)) => (addr, Some(prefix)),
                None => (item, None),
            };
            let addr: IpAddr =
                addr.parse().map_err(|_| format!("'{item}' is not an IP address or CIDR such as 10.0.0.0/8"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| format!("'{item}': the prefix length must be from 0 to {max}"))?,
            };
            networks.push(Network { addr: canonical(addr), prefix });
        }
        Ok(Self(networks))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(ip))
    }
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) is `1.2.3.4`.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// The client's address: `peer` itself unless it is a trusted proxy (see the module docs).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = canonical(peer);
    if trusted.is_empty() || !trusted.contains(peer) {
        return peer;
    }
    let hops =
        if headers.contains_key("x-forwarded-for") { forwarded_for(headers) } else { forwarded_rfc7239(headers) };
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        match hop {
            // A hop we cannot read ends the chain: the last address known good is the client.
            None => break,
            Some(ip) => {
                client = ip;
                if !trusted.contains(ip) {
                    break;
                }
            }
        }
    }
    client
}

/// The host the client asked for, as a trusted proxy reports it (`X-Forwarded-Host`, else
/// `Forwarded: host=`); `None` when the peer is not trusted or reports nothing.
pub fn forwarded_host(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> Option<String> {
    if trusted.is_empty() || !trusted.contains(peer) {
        return None;
    }
    let from_x = headers
        .get_all("x-forwarded-host")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|v| !v.is_empty())
        .map(str::to_owned);
    from_x.or_else(|| rfc7239_params(headers, "host").into_iter().rev().find(|v| !v.is_empty()))
}

/// Every `X-Forwarded-For` hop, leftmost first; `None` for one that is not an address.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| match v.to_str() {
            Ok(v) => v.split(',').map(|hop| parse_node(hop.trim())).collect::<Vec<_>>(),
            Err(_) => vec![None],
        })
        .collect()
}

/// Every `Forwarded: for=` node, leftmost first.
fn forwarded_rfc7239(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    rfc7239_params(headers, "for").iter().map(|node| parse_node(node)).collect()
}

/// The values of parameter `name` in each element of every `Forwarded` header, in order,
/// with quotes removed.
fn rfc7239_params(headers: &HeaderMap, name: &str) -> Vec<String> {
    let mut values = Vec::new();
    for header in headers.get_all("forwarded").iter() {
        let Ok(header) = header.to_str() else {
            values.push(String::new());
            continue;
        };
        for element in header.split(',') {
            for pair in element.split(';') {
                if let Some((key, value)) = pair.trim().split_once('=') {
                    if key.trim().eq_ignore_ascii_case(name) {
                        values.push(value.trim().trim_matches('"').to_owned());
                    }
                }
            }
        }
    }
    values
}

/// `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:443`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = node.strip_prefix('[') {
        let inside = &rest[..rest.find(']')?];
        return inside.parse().ok().map(canonical);
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("header value"));
        }
        map
    }

    #[test]
    fn parses_addresses_and_networks() {
        let t = TrustedProxies::parse(" 10.0.0.0/8, 192.168.1.5 ,::1, fd00::/8").expect("valid");
        assert!(t.contains(ip("10.200.3.4")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert!(t.contains(ip("192.168.1.5")));
        assert!(!t.contains(ip("192.168.1.6")));
        assert!(t.contains(ip("::1")));
        assert!(t.contains(ip("fd12::1")));
        assert!(!t.contains(ip("fe80::1")));
        assert!(t.contains(ip("::ffff:10.1.1.1")), "IPv4-mapped peers count as IPv4");
        assert!(TrustedProxies::parse("0.0.0.0/0").expect("all").contains(ip("8.8.8.8")));
        assert!(TrustedProxies::parse("").expect("empty").is_empty());
        assert!(TrustedProxies::parse("localhost").is_err());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("::/129").is_err());
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &TrustedProxies::default()), ip("127.0.0.1"));
        let t = TrustedProxies::parse("10.0.0.1").expect("valid");
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &t), ip("10.0.0.2"));
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let t = TrustedProxies::parse("10.0.0.0/8").expect("valid");
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.0.0.7")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &t), ip("203.0.113.9"));
        // Several header lines are one list.
        let h = headers(&[("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &t), ip("203.0.113.9"));
        // Only trusted hops: the leftmost one is as far as we can see.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.0.0.7")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &t), ip("10.9.9.9"));
        // Garbage stops the walk at the last good address.
        let h = headers(&[("x-forwarded-for", "203.0.113.1, unknown, 10.0.0.7")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &t), ip("10.0.0.7"));
        // No header: the proxy itself.
        assert_eq!(client_ip(ip("10.0.0.1"), &HeaderMap::new(), &t), ip("10.0.0.1"));
        // Ports and brackets are tolerated.
        let h = headers(&[("x-forwarded-for", "203.0.113.9:5555")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &t), ip("203.0.113.9"));
        let h = headers(&[("x-forwarded-for", "[2001:db8::5]:443")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &t), ip("2001:db8::5"));
    }

    #[test]
    fn forwarded_is_read_when_there_is_no_x_forwarded_for() {
        let t = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").expect("valid");
        let h = headers(&[("forwarded", "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.3")]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &t), ip("2001:db8:cafe::17"));
        let h = headers(&[("forwarded", "proto=https;For=192.0.2.60;by=10.0.0.1")]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &t), ip("192.0.2.60"));
        // Obfuscated identifiers are not addresses.
        let h = headers(&[("forwarded", "for=_hidden, for=10.0.0.3")]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &t), ip("10.0.0.3"));
    }

    #[test]
    fn the_forwarded_host_comes_only_from_a_trusted_peer() {
        let t = TrustedProxies::parse("127.0.0.1").expect("valid");
        let h = headers(&[("x-forwarded-host", "shop.example")]);
        assert_eq!(forwarded_host(ip("127.0.0.1"), &h, &t).as_deref(), Some("shop.example"));
        assert_eq!(forwarded_host(ip("127.0.0.2"), &h, &t), None);
        assert_eq!(forwarded_host(ip("127.0.0.1"), &h, &TrustedProxies::default()), None);
        let h = headers(&[("forwarded", "for=1.2.3.4;host=\"shop.example:8443\"")]);
        assert_eq!(forwarded_host(ip("127.0.0.1"), &h, &t).as_deref(), Some("shop.example:8443"));
    }
}
