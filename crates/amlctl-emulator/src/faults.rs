//! Fault injection, as data. A [`FaultSpec`] is parsed from
//! `latency=50ms,throttle=0.2,error=0.1,drop=0.05,lro-fail=0.05,lro-time=1s,seed=7` and turned
//! into a decision per request by [`FaultSpec::decide`]. Decisions depend only on the seed and the
//! request's sequence number, so a run with the same seed and the same request order injects the
//! same faults.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Which faults to inject. Shares are probabilities in `[0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    /// Added to every request before it is handled.
    pub latency: Duration,
    /// Share of requests answered `429 Too Many Requests` with `Retry-After`.
    pub throttle: f64,
    /// Share of requests answered 500 or 503 (half each).
    pub error: f64,
    /// Share of requests whose connection is closed without a response.
    pub drop: f64,
    /// Share of long-running operations that end `Failed`.
    pub lro_fail: f64,
    /// Overrides the configured LRO duration.
    pub lro_time: Option<Duration>,
    /// `Retry-After` seconds sent with injected 429/503.
    pub retry_after_secs: u64,
    /// Seed of the decisions.
    pub seed: u64,
}

impl Default for FaultSpec {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            throttle: 0.0,
            error: 0.0,
            drop: 0.0,
            lro_fail: 0.0,
            lro_time: None,
            retry_after_secs: 1,
            seed: 0,
        }
    }
}

/// What to do with one request, decided before any handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Handle normally.
    Pass,
    /// Answer 429 with `Retry-After`.
    Throttle,
    /// Answer this 5xx status (500 or 503).
    ServerError(u16),
    /// Close the connection without answering.
    Drop,
}

/// Why a fault spec did not parse.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FaultSpecError {
    #[error("fault rule {0:?} is not key=value")]
    NotKeyValue(String),
    #[error(
        "unknown fault {0:?} (known: latency, throttle, error, drop, lro-fail, lro-time, retry-after, seed)"
    )]
    UnknownKey(String),
    #[error("fault {key}: {value:?} is not a share between 0 and 1")]
    BadShare { key: String, value: String },
    #[error("fault {key}: {value:?} is not a duration like 50ms or 1s")]
    BadDuration { key: String, value: String },
    #[error("fault {key}: {value:?} is not a non-negative integer")]
    BadInteger { key: String, value: String },
    #[error("fault shares throttle+error+drop add up to more than 1")]
    SharesAboveOne,
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut spec = FaultSpec::default();
        for rule in s.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            let (key, value) = rule
                .split_once('=')
                .ok_or_else(|| FaultSpecError::NotKeyValue(rule.to_string()))?;
            let (key, value) = (key.trim(), value.trim());
            let share = || {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| (0.0..=1.0).contains(v))
                    .ok_or_else(|| FaultSpecError::BadShare {
                        key: key.to_string(),
                        value: value.to_string(),
                    })
            };
            let duration = || {
                humantime::parse_duration(value).map_err(|_| FaultSpecError::BadDuration {
                    key: key.to_string(),
                    value: value.to_string(),
                })
            };
            let integer = || {
                value
                    .parse::<u64>()
                    .map_err(|_| FaultSpecError::BadInteger {
                        key: key.to_string(),
                        value: value.to_string(),
                    })
            };
            match key {
                "latency" => spec.latency = duration()?,
                "throttle" => spec.throttle = share()?,
                "error" => spec.error = share()?,
                "drop" => spec.drop = share()?,
                "lro-fail" => spec.lro_fail = share()?,
                "lro-time" => spec.lro_time = Some(duration()?),
                "retry-after" => spec.retry_after_secs = integer()?,
                "seed" => spec.seed = integer()?,
                other => return Err(FaultSpecError::UnknownKey(other.to_string())),
            }
        }
        if spec.throttle + spec.error + spec.drop > 1.0 + f64::EPSILON {
            return Err(FaultSpecError::SharesAboveOne);
        }
        Ok(spec)
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "latency={},throttle={},error={},drop={},lro-fail={},retry-after={},seed={}",
            humantime::format_duration(self.latency),
            self.throttle,
            self.error,
            self.drop,
            self.lro_fail,
            self.retry_after_secs,
            self.seed
        )?;
        if let Some(t) = self.lro_time {
            write!(f, ",lro-time={}", humantime::format_duration(t))?;
        }
        Ok(())
    }
}

impl FaultSpec {
    /// True when no fault at all is configured.
    pub fn is_none(&self) -> bool {
        self.latency.is_zero()
            && self.throttle == 0.0
            && self.error == 0.0
            && self.drop == 0.0
            && self.lro_fail == 0.0
    }

    /// The fault for the `n`-th request (0-based, in arrival order).
    pub fn decide(&self, n: u64) -> FaultAction {
        let r = unit(self.seed, 1, n);
        if r < self.drop {
            FaultAction::Drop
        } else if r < self.drop + self.throttle {
            FaultAction::Throttle
        } else if r < self.drop + self.throttle + self.error {
            if unit(self.seed, 2, n) < 0.5 {
                FaultAction::ServerError(500)
            } else {
                FaultAction::ServerError(503)
            }
        } else {
            FaultAction::Pass
        }
    }

    /// Whether the `n`-th long-running operation (0-based) ends `Failed`.
    pub fn lro_fails(&self, n: u64) -> bool {
        unit(self.seed, 3, n) < self.lro_fail
    }
}

/// A uniform number in [0, 1) from (seed, stream, n): splitmix64 finaliser.
fn unit(seed: u64, stream: u64, n: u64) -> f64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(stream.wrapping_mul(0xD1B5_4A32_D192_ED03))
        .wrapping_add(n.wrapping_add(1).wrapping_mul(0x94D0_49BB_1331_11EB));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    // 53 high bits → [0,1)
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let s: FaultSpec =
            "latency=50ms,throttle=0.2,error=0.1,drop=0.05,lro-fail=0.05,lro-time=1s,seed=7"
                .parse()
                .unwrap();
        assert_eq!(s.latency, Duration::from_millis(50));
        assert_eq!(s.throttle, 0.2);
        assert_eq!(s.error, 0.1);
        assert_eq!(s.drop, 0.05);
        assert_eq!(s.lro_fail, 0.05);
        assert_eq!(s.lro_time, Some(Duration::from_secs(1)));
        assert_eq!(s.seed, 7);
        assert!(!s.is_none());
        assert!(FaultSpec::from_str("").unwrap().is_none());
    }

    #[test]
    fn rejects_bad_rules() {
        assert!(matches!(
            "throttle=2".parse::<FaultSpec>(),
            Err(FaultSpecError::BadShare { .. })
        ));
        assert!(matches!(
            "latency=soon".parse::<FaultSpec>(),
            Err(FaultSpecError::BadDuration { .. })
        ));
        assert!(matches!(
            "boom=1".parse::<FaultSpec>(),
            Err(FaultSpecError::UnknownKey(_))
        ));
        assert!(matches!(
            "throttle".parse::<FaultSpec>(),
            Err(FaultSpecError::NotKeyValue(_))
        ));
        assert_eq!(
            "throttle=0.6,error=0.6".parse::<FaultSpec>(),
            Err(FaultSpecError::SharesAboveOne)
        );
    }

    #[test]
    fn decisions_are_deterministic_and_roughly_proportional() {
        let s: FaultSpec = "throttle=0.2,error=0.1,drop=0.1,seed=42".parse().unwrap();
        let a: Vec<_> = (0..1000).map(|n| s.decide(n)).collect();
        let b: Vec<_> = (0..1000).map(|n| s.decide(n)).collect();
        assert_eq!(a, b);
        let throttled = a.iter().filter(|d| **d == FaultAction::Throttle).count();
        assert!((120..280).contains(&throttled), "throttled {throttled}");
        let other: FaultSpec = "throttle=0.2,error=0.1,drop=0.1,seed=43".parse().unwrap();
        let c: Vec<_> = (0..1000).map(|n| other.decide(n)).collect();
        assert_ne!(a, c);
        let none = FaultSpec::default();
        assert!((0..100).all(|n| none.decide(n) == FaultAction::Pass && !none.lro_fails(n)));
    }
}
