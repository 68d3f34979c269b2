//! The client's address, resolved once per request.
//!
//! Limits that count per client (anonymous submissions, sign-in attempts) read
//! [`ClientAddress::of`]; none of them looks at the socket or the forwarding headers itself.
//! The address is kept in memory only, never logged, never stored.
//!
//! Behind a reverse proxy (the Helm chart's ingress) every connection comes from the proxy.
//! [`ClientAddressMiddleware`] then reads the proxy's forwarding header, but only when the
//! socket's peer is one of the configured trusted proxies (`server.trusted_proxies`): from
//! anyone else the header is the client's own claim and is ignored. The client is the
//! right-most address of the header that is not itself a trusted proxy (addresses to its left
//! were written by the client and prove nothing).

use std::net::{IpAddr, Ipv6Addr};

use poem::{Endpoint, FromRequest, IntoResponse, Middleware, Request, RequestBody, Response};

/// The address a request comes from, as far as this server can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientAddress {
    /// The client's IP address, if known.
    pub ip: Option<IpAddr>,
}

impl ClientAddress {
    /// The client address of a request: the one resolved by the edge (inserted in the
    /// request's extensions), else the socket's peer.
    pub fn of(req: &poem::Request) -> Self {
        if let Some(resolved) = req.extensions().get::<ClientAddress>() {
            return *resolved;
        }
        Self { ip: peer_of(req) }
    }

    /// The key limits count under: the address itself for IPv4, its /64 network for IPv6
    /// (one subscriber usually holds a whole /64).
    pub fn limit_key(&self) -> Option<IpAddr> {
        match self.ip? {
            IpAddr::V4(v4) => Some(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Some(IpAddr::V4(v4)),
                None => {
                    let s = v6.segments();
                    Some(IpAddr::V6(Ipv6Addr::new(
                        s[0], s[1], s[2], s[3], 0, 0, 0, 0,
                    )))
                }
            },
        }
    }
}

impl<'a> FromRequest<'a> for ClientAddress {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self::of(req))
    }
}

/// The socket's peer, IPv4-mapped IPv6 addresses unmapped.
fn peer_of(req: &Request) -> Option<IpAddr> {
    req.remote_addr().as_socket_addr().map(|a| unmap(a.ip()))
}

fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Why a trusted-proxy network could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an address or a network: write e.g. 10.0.0.0/8, 192.0.2.7 or fd00::/8")]
pub struct NetworkError(pub String);

/// An IP network, `address/prefix` (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// Reads `10.0.0.0/8`, `fd00::/8`, `192.0.2.7`.
    pub fn parse(raw: &str) -> Result<Self, NetworkError> {
        let err = || NetworkError(raw.to_owned());
        let raw_trim = raw.trim();
        let (addr, prefix) = match raw_trim.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw_trim, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| err())?;
        let addr = unmap(addr);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(err)?,
            None => max,
        };
        Ok(Self { addr, prefix })
    }

    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, unmap(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Which header the trusted proxies write the client's address in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, ingress-nginx, Traefik, HAProxy).
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for="[2001:db8::1]:443"` (RFC 7239).
    Forwarded,
}

impl ForwardedHeader {
    /// Reads `x-forwarded-for` or `forwarded` (any case).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(Self::XForwardedFor),
            "forwarded" => Some(Self::Forwarded),
            _ => None,
        }
    }
}

/// The reverse proxies whose forwarding header is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<Network>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// The proxies of `server.trusted_proxies` (addresses or networks), which write the
    /// client's address in `header`. No network: every forwarding header is ignored.
    pub fn new<S: AsRef<str>>(
        networks: &[S],
        header: ForwardedHeader,
    ) -> Result<Self, NetworkError> {
        Ok(Self {
            networks: networks
                .iter()
                .map(|n| Network::parse(n.as_ref()))
                .collect::<Result<_, _>>()?,
            header,
        })
    }

    /// Whether `ip` is a trusted proxy.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(ip))
    }

    /// The client's address, from the socket's peer and the request's headers.
    pub fn resolve(&self, peer: Option<IpAddr>, headers: &poem::http::HeaderMap) -> ClientAddress {
        let Some(peer) = peer.map(unmap) else {
            return ClientAddress { ip: None };
        };
        if !self.trusts(peer) {
            return ClientAddress { ip: Some(peer) };
        }
        let hops = match self.header {
            ForwardedHeader::XForwardedFor => x_forwarded_for(headers),
            ForwardedHeader::Forwarded => forwarded_for(headers),
        };
        // From the right: each address was written by the hop after it. The first one that is
        // not a trusted proxy is the client; an unreadable one ends the walk at the last
        // address we could trust (the proxy that wrote it).
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) => {
                    client = *ip;
                    if !self.trusts(*ip) {
                        break;
                    }
                }
                None => break,
            }
        }
        ClientAddress { ip: Some(client) }
    }
}

/// The addresses of every `X-Forwarded-For` header, left to right; `None` for an unreadable
/// entry.
fn x_forwarded_for(headers: &poem::http::HeaderMap) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(text) = value.to_str() else {
            hops.push(None);
            continue;
        };
        hops.extend(text.split(',').map(|e| node_address(e.trim())));
    }
    hops
}

/// The `for=` addresses of every `Forwarded` header, left to right; `None` for an element
/// without a readable `for=` (obfuscated, `unknown`, malformed).
fn forwarded_for(headers: &poem::http::HeaderMap) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    for value in headers.get_all("forwarded") {
        let Ok(text) = value.to_str() else {
            hops.push(None);
            continue;
        };
        for element in text.split(',') {
            let node = element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| v.trim().trim_matches('"'))
            });
            hops.push(node.and_then(node_address));
        }
    }
    hops
}

/// `192.0.2.1`, `192.0.2.1:443`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:443`.
fn node_address(node: &str) -> Option<IpAddr> {
    if node.is_empty() || node.len() > 64 {
        return None;
    }
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(unmap(ip));
    }
    if let Some(rest) = node.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return inside
            .parse::<Ipv6Addr>()
            .ok()
            .map(|v6| unmap(IpAddr::V6(v6)));
    }
    let (host, port) = node.rsplit_once(':')?;
    if !is_port(port) {
        return None;
    }
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

fn is_port(p: &str) -> bool {
    p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok()
}

/// Resolves every request's [`ClientAddress`] once and puts it in the request's extensions.
pub struct ClientAddressMiddleware {
    proxies: std::sync::Arc<TrustedProxies>,
}

impl ClientAddressMiddleware {
    /// The middleware, believing the forwarding header of `proxies` only.
    pub fn new(proxies: TrustedProxies) -> Self {
        Self {
            proxies: std::sync::Arc::new(proxies),
        }
    }
}

impl<E: Endpoint> Middleware<E> for ClientAddressMiddleware {
    type Output = ClientAddressEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        ClientAddressEndpoint {
            inner: ep,
            proxies: self.proxies.clone(),
        }
    }
}

/// The endpoint made by [`ClientAddressMiddleware`].
pub struct ClientAddressEndpoint<E> {
    inner: E,
    proxies: std::sync::Arc<TrustedProxies>,
}

impl<E: Endpoint> Endpoint for ClientAddressEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        let client = self.proxies.resolve(peer_of(&req), req.headers());
        req.extensions_mut().insert(client);
        Ok(self.inner.call(req).await?.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::http::{HeaderMap, HeaderValue};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets, ForwardedHeader::XForwardedFor).unwrap()
    }

    #[test]
    fn networks_parse_and_contain() {
        let n = Network::parse("10.0.0.0/8").unwrap();
        assert!(n.contains(ip("10.42.3.4")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped");
        assert!(!n.contains(ip("fd00::1")));
        let one = Network::parse("192.0.2.7").unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6 = Network::parse("fd00::/8").unwrap();
        assert!(v6.contains(ip("fd12:3456::1")) && !v6.contains(ip("2001:db8::1")));
        assert!(
            Network::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("203.0.113.9"))
        );
        assert!(Network::parse("::/0").unwrap().contains(ip("2001:db8::1")));
        for bad in [
            "",
            "10.0.0.0/33",
            "fd00::/129",
            "example.org",
            "10.0.0/8",
            "1.2.3.4/x",
        ] {
            assert!(Network::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn without_trusted_proxies_the_headers_are_ignored() {
        let p = TrustedProxies::default();
        let h = headers(&[
            ("x-forwarded-for", "198.51.100.1"),
            ("forwarded", "for=198.51.100.2"),
        ]);
        assert_eq!(
            p.resolve(Some(ip("203.0.113.5")), &h).ip,
            Some(ip("203.0.113.5"))
        );
        assert_eq!(p.resolve(None, &h).ip, None);
    }

    #[test]
    fn a_spoofed_header_from_an_untrusted_peer_is_ignored() {
        let p = proxies(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "198.51.100.1")]);
        assert_eq!(
            p.resolve(Some(ip("203.0.113.5")), &h).ip,
            Some(ip("203.0.113.5"))
        );
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let p = proxies(&["10.0.0.0/8"]);
        // The client wrote 1.1.1.1 itself; the ingress appended the address it saw.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.0.0.3")]);
        assert_eq!(
            p.resolve(Some(ip("10.0.0.2")), &h).ip,
            Some(ip("198.51.100.7"))
        );
        // Several headers are one list, in order.
        let h = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "198.51.100.8"),
        ]);
        assert_eq!(
            p.resolve(Some(ip("10.0.0.2")), &h).ip,
            Some(ip("198.51.100.8"))
        );
        // Ports and IPv6, bracketed or not.
        for (value, want) in [
            ("198.51.100.9:5123", "198.51.100.9"),
            ("2001:db8::5", "2001:db8::5"),
            ("[2001:db8::6]:443", "2001:db8::6"),
            ("::ffff:198.51.100.10", "198.51.100.10"),
        ] {
            let h = headers(&[("x-forwarded-for", value)]);
            assert_eq!(
                p.resolve(Some(ip("10.0.0.2")), &h).ip,
                Some(ip(want)),
                "{value}"
            );
        }
        // Only proxies: the left-most one.
        let h = headers(&[("x-forwarded-for", "10.0.0.9, 10.0.0.3")]);
        assert_eq!(p.resolve(Some(ip("10.0.0.2")), &h).ip, Some(ip("10.0.0.9")));
        // No header: the proxy itself.
        assert_eq!(
            p.resolve(Some(ip("10.0.0.2")), &HeaderMap::new()).ip,
            Some(ip("10.0.0.2"))
        );
    }

    #[test]
    fn malformed_entries_stop_at_the_last_trusted_hop() {
        let p = proxies(&["10.0.0.0/8"]);
        for value in [
            "garbage",
            "198.51.100.1, not-an-ip",
            "",
            "198.51.100.1:99999",
            "[2001:db8::1",
            "unknown",
        ] {
            let h = headers(&[("x-forwarded-for", value)]);
            assert_eq!(
                p.resolve(Some(ip("10.0.0.2")), &h).ip,
                Some(ip("10.0.0.2")),
                "{value}"
            );
        }
        let h = headers(&[("x-forwarded-for", "198.51.100.1, junk, 10.0.0.4")]);
        assert_eq!(p.resolve(Some(ip("10.0.0.2")), &h).ip, Some(ip("10.0.0.4")));
    }

    #[test]
    fn the_forwarded_header_when_configured() {
        let p = TrustedProxies::new(&["10.0.0.0/8"], ForwardedHeader::Forwarded).unwrap();
        let h = headers(&[(
            "forwarded",
            "for=1.1.1.1, for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.3",
        )]);
        assert_eq!(
            p.resolve(Some(ip("10.0.0.2")), &h).ip,
            Some(ip("2001:db8:cafe::17"))
        );
        // X-Forwarded-For is then the client's own claim.
        let h = headers(&[("x-forwarded-for", "198.51.100.1")]);
        assert_eq!(p.resolve(Some(ip("10.0.0.2")), &h).ip, Some(ip("10.0.0.2")));
        let h = headers(&[("forwarded", "for=_hidden, for=unknown")]);
        assert_eq!(p.resolve(Some(ip("10.0.0.2")), &h).ip, Some(ip("10.0.0.2")));
        let h = headers(&[("forwarded", "proto=https;For=198.51.100.3:80")]);
        assert_eq!(
            p.resolve(Some(ip("10.0.0.2")), &h).ip,
            Some(ip("198.51.100.3"))
        );
    }

    #[test]
    fn ipv6_counts_per_64() {
        let a = ClientAddress {
            ip: Some(ip("2001:db8:1:2:aaaa::1")),
        };
        let b = ClientAddress {
            ip: Some(ip("2001:db8:1:2:bbbb::2")),
        };
        let c = ClientAddress {
            ip: Some(ip("2001:db8:1:3::1")),
        };
        assert_eq!(a.limit_key(), b.limit_key());
        assert_ne!(a.limit_key(), c.limit_key());
        assert_eq!(a.limit_key(), Some(ip("2001:db8:1:2::")));
        let v4 = ClientAddress {
            ip: Some(ip("192.0.2.1")),
        };
        assert_eq!(v4.limit_key(), Some(ip("192.0.2.1")));
        let mapped = ClientAddress {
            ip: Some(ip("::ffff:192.0.2.1")),
        };
        assert_eq!(mapped.limit_key(), Some(ip("192.0.2.1")));
        assert_eq!(ClientAddress::default().limit_key(), None);
    }

    #[test]
    fn header_names_parse() {
        assert_eq!(
            ForwardedHeader::parse("X-Forwarded-For"),
            Some(ForwardedHeader::XForwardedFor)
        );
        assert_eq!(
            ForwardedHeader::parse("forwarded"),
            Some(ForwardedHeader::Forwarded)
        );
        assert_eq!(ForwardedHeader::parse("x-real-ip"), None);
    }
}
