//! The error policy: the one place that decides whether an attempt is retried, and after how long.
//!
//! Rule: a request is sent again only when doing so cannot duplicate a write.
//! - GET, HEAD, PUT, PATCH (ARM PATCH is a merge of the same body) and DELETE are idempotent in
//!   ARM: retried on 429, 500, 502, 503, 504, on connection failures and on lost responses.
//! - POST (start/stop/restart/cancel, startPendingUpload, listKeys) is not: it is retried only when
//!   the server certainly did not act: on 429 and 503 (throttled / not accepted), and when the
//!   connection could not be established. A POST whose response was lost (connection dropped
//!   after sending, timeout) or that got 500/502/504 is NOT retried; the caller sees the error.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::config::RetryPolicy;

/// Whether sending the same request twice is harmless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replay {
    Idempotent,
    NotIdempotent,
}

impl Replay {
    pub(crate) fn of(method: &reqwest::Method) -> Replay {
        if method == reqwest::Method::POST {
            Replay::NotIdempotent
        } else {
            Replay::Idempotent
        }
    }
}

/// What one attempt produced, as far as the policy cares.
#[derive(Debug)]
pub(crate) enum Outcome<'a> {
    /// A complete response.
    Response { status: u16, headers: &'a HeaderMap },
    /// The request never reached the server (DNS, connect or TLS handshake failed).
    NotSent,
    /// The request was (maybe) sent but no complete response came back: the server may have acted.
    Lost,
}

/// What to do after an attempt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Keep this outcome (success or a final error).
    Accept,
    /// Send again after this delay.
    RetryAfter(Duration),
    /// Retryable, but the budget (attempts or total time) is spent.
    GiveUp,
}

/// Decides whether attempt number `attempt` (1-based) is retried. See the module docs for the rule.
pub(crate) fn error_policy(
    replay: Replay,
    outcome: &Outcome<'_>,
    attempt: u32,
    elapsed: Duration,
    policy: &RetryPolicy,
) -> Decision {
    let (retryable, server_delay) = match outcome {
        Outcome::Response { status, headers } => {
            let retryable = match status {
                // The server did not act: safe for every method.
                429 | 503 => true,
                // The server (or a gateway) may have acted: only for idempotent methods.
                500 | 502 | 504 => replay == Replay::Idempotent,
                _ => false,
            };
            let delay = retry_after(headers).or_else(|| {
                (*status == 429 && rate_limit_exhausted(headers)).then_some(policy.max_delay)
            });
            (retryable, delay)
        }
        Outcome::NotSent => (true, None),
        Outcome::Lost => (replay == Replay::Idempotent, None),
    };
    if !retryable {
        return Decision::Accept;
    }
    if attempt >= policy.max_attempts {
        return Decision::GiveUp;
    }
    let delay = server_delay
        .unwrap_or_else(|| backoff(attempt, policy))
        .min(policy.max_delay);
    if elapsed + delay > policy.max_elapsed {
        return Decision::GiveUp;
    }
    Decision::RetryAfter(delay)
}

/// Exponential backoff with jitter: half of `base * 2^(attempt-1)` fixed, half random, capped.
pub(crate) fn backoff(attempt: u32, policy: &RetryPolicy) -> Duration {
    let exp = policy
        .base_delay
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(policy.max_delay);
    let half = exp / 2;
    let jitter_ms = fastrand::u64(0..=half.as_millis().min(u128::from(u64::MAX)) as u64);
    half + Duration::from_millis(jitter_ms)
}

/// The server-requested delay: `retry-after-ms` / `x-ms-retry-after-ms`, then `Retry-After`
/// (delta seconds or an HTTP date).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = header_str(headers, name).and_then(|v| v.trim().parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    let value = header_str(headers, "retry-after")?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some(Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// ARM's `x-ms-ratelimit-remaining-*` headers: true when one of them reached zero.
pub(crate) fn rate_limit_exhausted(headers: &HeaderMap) -> bool {
    headers.iter().any(|(name, value)| {
        name.as_str().starts_with("x-ms-ratelimit-remaining-")
            && value.to_str().ok().map(str::trim) == Some("0")
    })
}

/// The lowest `x-ms-ratelimit-remaining-*` value, for logging.
pub(crate) fn rate_limit_remaining(headers: &HeaderMap) -> Option<u64> {
    headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-ms-ratelimit-remaining-"))
        .filter_map(|(_, v)| v.to_str().ok()?.trim().parse::<u64>().ok())
        .min()
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(5),
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("header value"));
        }
        h
    }

    fn decide(replay: Replay, status: u16, h: &HeaderMap, attempt: u32) -> Decision {
        error_policy(
            replay,
            &Outcome::Response { status, headers: h },
            attempt,
            Duration::ZERO,
            &policy(),
        )
    }

    #[test]
    fn post_is_retried_only_when_the_server_did_not_act() {
        let h = HeaderMap::new();
        for status in [429, 503] {
            assert!(matches!(
                decide(Replay::NotIdempotent, status, &h, 1),
                Decision::RetryAfter(_)
            ));
        }
        for status in [500, 502, 504] {
            assert_eq!(
                decide(Replay::NotIdempotent, status, &h, 1),
                Decision::Accept
            );
            assert!(matches!(
                decide(Replay::Idempotent, status, &h, 1),
                Decision::RetryAfter(_)
            ));
        }
        let p = policy();
        assert_eq!(
            error_policy(Replay::NotIdempotent, &Outcome::Lost, 1, Duration::ZERO, &p),
            Decision::Accept
        );
        assert!(matches!(
            error_policy(
                Replay::NotIdempotent,
                &Outcome::NotSent,
                1,
                Duration::ZERO,
                &p
            ),
            Decision::RetryAfter(_)
        ));
        assert!(matches!(
            error_policy(Replay::Idempotent, &Outcome::Lost, 1, Duration::ZERO, &p),
            Decision::RetryAfter(_)
        ));
    }

    #[test]
    fn client_errors_are_final() {
        let h = HeaderMap::new();
        for status in [200, 201, 400, 401, 403, 404, 409] {
            assert_eq!(decide(Replay::Idempotent, status, &h, 1), Decision::Accept);
        }
    }

    #[test]
    fn retry_after_seconds_and_date_are_honoured() {
        let h = headers(&[("retry-after", "7")]);
        assert_eq!(
            decide(Replay::Idempotent, 429, &h, 1),
            Decision::RetryAfter(Duration::from_secs(7))
        );
        let future = SystemTime::now() + Duration::from_secs(120);
        let date = httpdate::fmt_http_date(future);
        let d = retry_after(&headers(&[("retry-after", &date)])).expect("date parsed");
        assert!(d > Duration::from_secs(100) && d <= Duration::from_secs(120));
        // capped at max_delay
        let h = headers(&[("retry-after", "3600")]);
        assert_eq!(
            decide(Replay::Idempotent, 503, &h, 1),
            Decision::RetryAfter(Duration::from_secs(10))
        );
        let h = headers(&[("retry-after-ms", "250")]);
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
    }

    #[test]
    fn exhausted_rate_limit_waits_the_longest() {
        let h = headers(&[("x-ms-ratelimit-remaining-subscription-writes", "0")]);
        assert_eq!(
            decide(Replay::Idempotent, 429, &h, 1),
            Decision::RetryAfter(Duration::from_secs(10))
        );
        assert_eq!(rate_limit_remaining(&h), Some(0));
    }

    #[test]
    fn budget_is_bounded() {
        let h = HeaderMap::new();
        assert_eq!(decide(Replay::Idempotent, 503, &h, 4), Decision::GiveUp);
        let p = policy();
        assert_eq!(
            error_policy(
                Replay::Idempotent,
                &Outcome::NotSent,
                1,
                Duration::from_secs(60),
                &p
            ),
            Decision::GiveUp
        );
    }

    #[test]
    fn backoff_grows_and_stays_capped() {
        let p = policy();
        for attempt in 1..30 {
            let d = backoff(attempt, &p);
            let exp = p
                .base_delay
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(p.max_delay);
            assert!(d >= exp / 2 && d <= exp, "attempt {attempt}: {d:?}");
        }
    }
}
