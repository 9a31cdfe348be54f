//! Who is on the other end of a request: the peer's address, or, when the
//! peer is one of the configured reverse proxies (`RENKEI_TRUSTED_PROXIES`),
//! the client it names in `X-Forwarded-For`. Throttling keys on this.

use std::net::IpAddr;

use poem::Request;
use poem::http::HeaderMap;

/// The client's address. `X-Forwarded-For` is read from the right, each
/// proxy appending the address it received from, so the first entry that
/// is not a trusted proxy is the client; entries to its left are whatever
/// the client chose to send and are never believed.
pub fn client_ip(req: &Request, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip())?;
    Some(resolve(peer, req.headers(), trusted))
}

fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            // An entry that is not an address ends what can be believed.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let h = headers(&["203.0.113.9"]);
        assert_eq!(resolve(ip("198.51.100.7"), &h, &[]), ip("198.51.100.7"));
        assert_eq!(
            resolve(ip("198.51.100.7"), &h, &[ip("10.0.0.1")]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_forged_entries_are_ignored() {
        let lb = ip("10.0.0.1");
        let h = headers(&["1.2.3.4, 203.0.113.9"]);
        assert_eq!(resolve(lb, &h, &[lb]), ip("203.0.113.9"));
        // Two proxies in a row, the header split over two lines.
        let inner = ip("10.0.0.2");
        let h = headers(&["1.2.3.4, 203.0.113.9", "10.0.0.2"]);
        assert_eq!(resolve(lb, &h, &[lb, inner]), ip("203.0.113.9"));
        // No header: the proxy itself.
        assert_eq!(resolve(lb, &HeaderMap::new(), &[lb]), lb);
        // Garbage stops the walk at the last believable hop.
        let h = headers(&["203.0.113.9, not-an-ip"]);
        assert_eq!(resolve(lb, &h, &[lb]), lb);
    }
}
