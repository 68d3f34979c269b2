//! The client's address, resolved once per request.
//!
//! Limits that count per client (anonymous submissions, sign-in attempts) read
//! [`ClientAddress::of`]; none of them looks at the socket or the forwarding headers itself.
//! The address is kept in memory only, never logged, never stored.

use std::net::IpAddr;

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
        Self {
            ip: req.remote_addr().as_socket_addr().map(|a| a.ip()),
        }
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
                    Some(IpAddr::V6(std::net::Ipv6Addr::new(
                        s[0], s[1], s[2], s[3], 0, 0, 0, 0,
                    )))
                }
            },
        }
    }
}
