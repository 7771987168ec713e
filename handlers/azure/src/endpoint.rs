//! Local stand-ins: an endpoint on this machine is a test server (the Cosmos
//! DB emulator, the Event Hubs stand-in), which gets a relaxed sign-in (a
//! fixed key or token) that an Azure endpoint never does. It answers the
//! question only; each client picks its relaxed sign-in itself.

/// True when `endpoint` is on this machine: `localhost` or a loopback
/// address (127.0.0.0/8, `[::1]`), with any scheme (`http://`, `https://`,
/// `amqp://`) or none (a `Host` header: `127.0.0.1:7071`), port and path.
pub fn is_local_endpoint(endpoint: &str) -> bool {
    let rest = endpoint
        .split_once("://")
        .map_or(endpoint, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let name = match authority.strip_prefix('[') {
        // [::1]:7071
        Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(name, _port)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_local() {
        assert!(is_local_endpoint("http://127.0.0.1:8082/"));
        assert!(is_local_endpoint("https://localhost:8081"));
        assert!(is_local_endpoint("amqp://127.0.0.1:5672"));
        assert!(is_local_endpoint("amqp://[::1]:5672"));
        assert!(!is_local_endpoint(
            "https://myaccount.documents.azure.com:443/"
        ));
        assert!(!is_local_endpoint("https://127.0.0.1.evil.example/"));
        assert!(!is_local_endpoint("https://localhost.evil.example/"));
    }

    #[test]
    fn a_host_header_is_read_the_same_way() {
        for local in [
            "localhost",
            "LOCALHOST:7071",
            "127.0.0.1:7071",
            "127.3.4.5",
            "[::1]:7071",
            "[::1]",
        ] {
            assert!(is_local_endpoint(local), "{local}");
        }
        for remote in [
            "example.com",
            "evil.example:7071",
            "10.0.0.1:7071",
            "[2001:db8::1]:80",
            "",
            "localhost.evil.example",
        ] {
            assert!(!is_local_endpoint(remote), "{remote}");
        }
    }
}
