//! Tracing set-up, done once per process. Logs go to standard error, so that
//! commands that print a token or a report keep standard output clean.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// Installs the global subscriber. `default_filter` applies when `RUST_LOG`
/// is not set. Calling it twice is harmless (the second call does nothing).
pub fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let registry = tracing_subscriber::registry().with(filter);
    let result = if json {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    // The request span alone carries what a line needs;
                    // listing every span again would double each line.
                    .with_span_list(false)
                    .with_writer(std::io::stderr),
            )
            .try_init()
    } else {
        registry
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .try_init()
    };
    // Already initialised (tests start many apps in one process): keep the first.
    let _ = result;
}

/// The request span of `tracing-actix-web`, plus one log line per finished
/// request. The line names the route's pattern (`/api/v1/clients/{id}`),
/// never the path or the query's values (a search for a name must not put
/// the name in the log), only the names of the query parameters; no
/// address, no user agent. Health and readiness probes log at `debug`, so a
/// load balancer polling them does not fill the log.
pub struct RequestSpan;

/// Routes polled by load balancers and orchestrators.
const PROBES: &[&str] = &["/healthz", "/readyz"];

/// The longest list of query parameter names logged.
const MAX_QUERY_NAMES: usize = 120;

/// `q=Amina&limit=5&q=x` → `q,limit`: the names, once each, never values.
pub fn query_names(query: &str) -> String {
    let mut names: Vec<&str> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let name = pair.split('=').next().unwrap_or_default();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let mut joined = names.join(",");
    if joined.len() > MAX_QUERY_NAMES {
        let mut cut = MAX_QUERY_NAMES;
        while !joined.is_char_boundary(cut) {
            cut -= 1;
        }
        joined.truncate(cut);
        joined.push('…');
    }
    joined
}

/// The caller's address: the peer's, or behind a proxy in
/// `trusted_proxies` the one its forwarding headers give.
pub fn client_ip(req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    match req.app_data::<actix_web::web::Data<crate::domain::proxies::TrustedProxies>>() {
        Some(trusted) => {
            let lines: Vec<&str> = req
                .headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok())
                .collect();
            trusted.client(peer, &lines)
        }
        None => peer,
    }
}

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let query = query_names(request.query_string());
        let method = request.method().as_str().to_owned();
        let client_ip = client_ip(request.request())
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        if PROBES.contains(&route.as_str()) {
            tracing::debug_span!("request", %method, %route, %query, %client_ip, %request_id)
        } else {
            tracing::info_span!("request", %method, %route, %query, %client_ip, %request_id)
        }
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        let (status, probe) = match outcome {
            Ok(response) => (
                response.status().as_u16(),
                response
                    .request()
                    .match_pattern()
                    .is_some_and(|route| PROBES.contains(&route.as_str())),
            ),
            Err(error) => (error.as_response_error().status_code().as_u16(), false),
        };
        if probe {
            tracing::debug!(parent: &span, status, "request finished");
        } else {
            tracing::info!(parent: &span, status, "request finished");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_names_of_query_parameters_are_logged() {
        assert_eq!(query_names("q=Amina%20Example&country=GH&q=x"), "q,country");
        assert_eq!(query_names(""), "");
        assert_eq!(query_names("limit"), "limit");
        let long = (0..100)
            .map(|i| format!("p{i}=1"))
            .collect::<Vec<_>>()
            .join("&");
        assert!(query_names(&long).chars().count() <= MAX_QUERY_NAMES + 1);
    }
}
