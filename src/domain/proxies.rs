//! The caller's address. The forwarding header (`X-Forwarded-For`) is
//! believed only when the connection comes from a
//! proxy in `trusted_proxies`: anyone else could write any address there,
//! to dodge the throttle or to put someone else's address in the logs.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The proxies whose forwarding headers are believed (setting
/// `trusted_proxies`): addresses or networks, as a list in the file or
/// comma-separated in `BRUG_TRUSTED_PROXIES`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|one| {
                one.parse::<IpNet>()
                    .or_else(|_| one.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{one}` is not an IP address or network"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn trusts(&self, addr: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&addr))
    }

    /// The client behind `peer`: the peer itself unless it is a trusted
    /// proxy; then the nearest address in the forwarding header that is not
    /// one of ours (the header is read right to left: each proxy appends).
    ///
    /// Only `X-Forwarded-For` is read, all its lines in order: the header
    /// every common proxy appends to. `Forwarded` is ignored, as a proxy
    /// that appends to `X-Forwarded-For` passes a client's own `Forwarded`
    /// through untouched.
    pub fn client(&self, peer: Option<IpAddr>, x_forwarded_for: &[&str]) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(peer) || x_forwarded_for.is_empty() {
            return Some(peer);
        }
        let hops: Vec<IpAddr> = x_forwarded_for
            .iter()
            .flat_map(|line| line.split(','))
            .filter_map(parse_node)
            .collect();
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            client = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        Some(client)
    }
}

/// `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Ok(addr) = node.parse::<IpAddr>() {
        return Some(addr);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.rsplit_once(':')?.0.parse().ok()
}

impl<'de> Deserialize<'de> for TrustedProxies {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            List(Vec<String>),
            Text(String),
        }
        let text = match Given::deserialize(deserializer)? {
            Given::List(list) => list.join(","),
            Given::Text(text) => text,
        };
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for TrustedProxies {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(ToString::to_string))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.10").expect("parsed");
        let proxy = Some(ip("10.1.2.3"));
        let stranger = Some(ip("198.51.100.7"));
        // A stranger cannot choose its address.
        assert_eq!(proxies.client(stranger, &["203.0.113.9"]), stranger);
        // Behind our proxy, the nearest address that is not ours.
        assert_eq!(
            proxies.client(proxy, &["203.0.113.9, 192.0.2.10"]),
            Some(ip("203.0.113.9"))
        );
        // A client that wrote its own header in front is not believed.
        assert_eq!(
            proxies.client(proxy, &["1.2.3.4, 203.0.113.9"]),
            Some(ip("203.0.113.9"))
        );
        // A line the client sent, then the one our proxy appended.
        assert_eq!(
            proxies.client(proxy, &["1.2.3.4", "[2001:db8::7]:4711"]),
            Some(ip("2001:db8::7"))
        );
        assert_eq!(proxies.client(proxy, &[]), proxy);
        assert_eq!(proxies.client(proxy, &["garbage"]), proxy);
        assert_eq!(
            TrustedProxies::default().client(proxy, &["203.0.113.9"]),
            proxy,
            "nothing is trusted by default"
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example.org").is_err());
    }
}
