//! Lease Blob (`PUT ?comp=lease`), from the published Blob service reference: `x-ms-lease-action`
//! acquire / renew / change / release / break, `x-ms-lease-duration` (15 to 60 s, or -1 for
//! infinite), `x-ms-lease-id`, `x-ms-proposed-lease-id`, `x-ms-lease-break-period` (0 to 60 s),
//! and the lease conditions on writes (`x-ms-lease-id` on Put Blob, Set Blob Metadata, Delete
//! Blob). Error codes and statuses are the service's (Blob service error codes table):
//! `LeaseAlreadyPresent`, `LeaseIdMismatchWithLeaseOperation`,
//! `LeaseNotPresentWithLeaseOperation`, `LeaseIsBreakingAndCannotBeAcquired`,
//! `LeaseIsBrokenAndCannotBeRenewed`, `LeaseIsBreakingAndCannotBeChanged` (409) and
//! `LeaseIdMissing`, `LeaseIdMismatchWithBlobOperation`, `LeaseNotPresentWithBlobOperation` (412).

use super::{Ctx, Req, Resp};
use crate::clock::http_date;
use crate::state::{Blob, Lease, LeaseState, State};

/// A storage error: status, code, message.
pub struct LeaseError(pub u16, pub &'static str, pub &'static str);

fn conflict(code: &'static str, message: &'static str) -> LeaseError {
    LeaseError(409, code, message)
}

fn bad_header(message: &'static str) -> LeaseError {
    LeaseError(400, "InvalidHeaderValue", message)
}

fn missing_header(message: &'static str) -> LeaseError {
    LeaseError(400, "MissingRequiredHeader", message)
}

/// `8-4-4-4-12` hex digits, as the service requires of lease ids.
fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn new_guid(state: &mut State, now: u64) -> String {
    let hex = format!("{:0>32}", state.next_id(now));
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn lease_id_header<'a>(req: &'a Req, name: &str) -> Result<Option<&'a str>, LeaseError> {
    match req.header(name) {
        None => Ok(None),
        Some(v) if is_guid(v) => Ok(Some(v)),
        Some(_) => Err(bad_header("The lease ID must be a GUID.")),
    }
}

/// Checks the lease condition of a write (Put Blob, Set Blob Metadata, Delete Blob).
pub fn check_write(blob: Option<&Blob>, req: &Req, now: u64) -> Result<(), LeaseError> {
    let given = lease_id_header(req, "x-ms-lease-id")?;
    let Some(blob) = blob else {
        return match given {
            Some(_) => Err(LeaseError(
                412,
                "LeaseNotPresentWithBlobOperation",
                "There is currently no lease on the blob.",
            )),
            None => Ok(()),
        };
    };
    let state = blob.lease_state(now);
    let current = blob.lease.as_ref().map(|l| l.id.as_str());
    match (state.is_active(), given) {
        (true, None) => Err(LeaseError(
            412,
            "LeaseIdMissing",
            "There is currently a lease on the blob and no lease ID was specified in the request.",
        )),
        (true, Some(id)) if Some(id) != current => Err(LeaseError(
            412,
            "LeaseIdMismatchWithBlobOperation",
            "The lease ID specified did not match the lease ID for the blob.",
        )),
        (true, Some(_)) => Ok(()),
        // An expired lease still accepts its own id (the blob was not leased by anyone else).
        (false, Some(id)) if state == LeaseState::Expired && Some(id) == current => Ok(()),
        (false, Some(_)) => Err(LeaseError(
            412,
            "LeaseNotPresentWithBlobOperation",
            "There is currently no lease on the blob.",
        )),
        (false, None) => Ok(()),
    }
}

/// `x-ms-lease-*` headers of Get Blob / Get Blob Properties.
pub fn properties(mut r: Resp, blob: &Blob, now: u64) -> Resp {
    let state = blob.lease_state(now);
    r = r
        .with_header(
            "x-ms-lease-status",
            if state.is_active() {
                "locked"
            } else {
                "unlocked"
            },
        )
        .with_header("x-ms-lease-state", state.as_str());
    if state == LeaseState::Leased
        && let Some(l) = &blob.lease
    {
        r = r.with_header(
            "x-ms-lease-duration",
            if l.duration_secs < 0 {
                "infinite"
            } else {
                "fixed"
            },
        );
    }
    r
}

/// Lease Blob on the blob at `path`.
pub fn handle(ctx: &Ctx, state: &mut State, req: &Req, path: &str) -> Result<Resp, LeaseError> {
    let now = ctx.now;
    let action = req
        .header("x-ms-lease-action")
        .ok_or_else(|| missing_header("x-ms-lease-action is required."))?
        .to_ascii_lowercase();
    let lease_id = lease_id_header(req, "x-ms-lease-id")?.map(str::to_owned);
    let proposed = lease_id_header(req, "x-ms-proposed-lease-id")?.map(str::to_owned);
    if !state.blobs.contains_key(path) {
        return Err(LeaseError(
            404,
            "BlobNotFound",
            "The specified blob does not exist.",
        ));
    }
    let fresh_id = new_guid(state, now);
    let blob = state.blobs.get_mut(path).expect("checked above");
    let lease_state = blob.lease_state(now);
    let current = blob.lease.clone();
    let mut headers: Vec<(String, String)> = Vec::new();
    let status = match action.as_str() {
        "acquire" => {
            let duration = duration(ctx, req)?;
            match lease_state {
                LeaseState::Leased => {
                    let current = current.expect("leased");
                    if proposed.as_deref() != Some(current.id.as_str()) {
                        return Err(conflict(
                            "LeaseAlreadyPresent",
                            "There is already a lease present.",
                        ));
                    }
                }
                LeaseState::Breaking => {
                    return Err(conflict(
                        "LeaseIsBreakingAndCannotBeAcquired",
                        "There is already a breaking lease present on the blob.",
                    ));
                }
                LeaseState::Available | LeaseState::Expired | LeaseState::Broken => {}
            }
            let id = proposed.unwrap_or(fresh_id);
            blob.lease = Some(Lease {
                id: id.clone(),
                duration_secs: duration,
                until_ms: until(now, duration),
                breaking: false,
            });
            headers.push(("x-ms-lease-id".into(), id));
            201
        }
        "renew" => {
            let id = lease_id.ok_or_else(|| missing_header("x-ms-lease-id is required."))?;
            let lease = matching(current.as_ref(), &id)?;
            if matches!(lease_state, LeaseState::Breaking | LeaseState::Broken) {
                return Err(conflict(
                    "LeaseIsBrokenAndCannotBeRenewed",
                    "The lease has been broken explicitly and cannot be renewed.",
                ));
            }
            let duration = lease.duration_secs;
            blob.lease = Some(Lease {
                until_ms: until(now, duration),
                ..lease.clone()
            });
            headers.push(("x-ms-lease-id".into(), id));
            200
        }
        "change" => {
            let id = lease_id.ok_or_else(|| missing_header("x-ms-lease-id is required."))?;
            let new =
                proposed.ok_or_else(|| missing_header("x-ms-proposed-lease-id is required."))?;
            let Some(lease) = current.filter(|_| lease_state != LeaseState::Available) else {
                return Err(not_present());
            };
            if lease.id != id && lease.id != new {
                return Err(mismatch());
            }
            if matches!(lease_state, LeaseState::Breaking | LeaseState::Broken) {
                return Err(conflict(
                    "LeaseIsBreakingAndCannotBeChanged",
                    "The lease ID matched, but the lease is currently in breaking state and cannot be changed.",
                ));
            }
            blob.lease = Some(Lease {
                id: new.clone(),
                ..lease
            });
            headers.push(("x-ms-lease-id".into(), new));
            200
        }
        "release" => {
            let id = lease_id.ok_or_else(|| missing_header("x-ms-lease-id is required."))?;
            matching(current.as_ref(), &id)?;
            blob.lease = None;
            200
        }
        "break" => {
            let period = match req.header("x-ms-lease-break-period") {
                None => None,
                Some(v) => match v.parse::<u64>() {
                    Ok(p) if p <= 60 => Some(p),
                    _ => return Err(bad_header("x-ms-lease-break-period must be 0 to 60.")),
                },
            };
            let Some(lease) = current.filter(|_| lease_state != LeaseState::Available) else {
                return Err(not_present());
            };
            let remaining_ms = match lease_state {
                LeaseState::Leased | LeaseState::Breaking => {
                    lease.until_ms.map_or(u64::MAX, |u| u.saturating_sub(now))
                }
                _ => 0,
            };
            // The break period is the given one, never longer than what the lease has left; an
            // infinite lease without a period breaks at once.
            let break_ms = match (period, remaining_ms) {
                (Some(p), r) => (p * 1000).min(r),
                (None, u64::MAX) => 0,
                (None, r) => r,
            };
            blob.lease = Some(Lease {
                until_ms: Some(now + break_ms),
                breaking: true,
                ..lease
            });
            headers.push((
                "x-ms-lease-time".into(),
                break_ms.div_ceil(1000).to_string(),
            ));
            202
        }
        _ => {
            return Err(bad_header(
                "x-ms-lease-action must be acquire, renew, change, release or break.",
            ));
        }
    };
    let mut r = Resp::empty(status)
        .with_header("ETag", blob.etag.clone())
        .with_header("Last-Modified", http_date(blob.modified_ms));
    for (k, v) in headers {
        r = r.with_header(&k, v);
    }
    state.dirty = true;
    Ok(r)
}

fn not_present() -> LeaseError {
    conflict(
        "LeaseNotPresentWithLeaseOperation",
        "There is currently no lease on the blob.",
    )
}

fn mismatch() -> LeaseError {
    conflict(
        "LeaseIdMismatchWithLeaseOperation",
        "The lease ID specified did not match the lease ID for the blob.",
    )
}

/// The current lease when `id` is its id (an expired one included).
fn matching<'a>(current: Option<&'a Lease>, id: &str) -> Result<&'a Lease, LeaseError> {
    match current {
        None => Err(not_present()),
        Some(l) if l.id != id => Err(mismatch()),
        Some(l) => Ok(l),
    }
}

/// `x-ms-lease-duration`: -1, or 15 to 60 (from 1 with short leases).
fn duration(ctx: &Ctx, req: &Req) -> Result<i64, LeaseError> {
    let raw = req
        .header("x-ms-lease-duration")
        .ok_or_else(|| missing_header("x-ms-lease-duration is required to acquire a lease."))?;
    let min = if ctx.short_leases { 1 } else { 15 };
    match raw.trim().parse::<i64>() {
        Ok(-1) => Ok(-1),
        Ok(d) if (min..=60).contains(&d) => Ok(d),
        _ => Err(bad_header(
            "x-ms-lease-duration must be between 15 and 60 seconds, or -1 for infinite.",
        )),
    }
}

fn until(now: u64, duration_secs: i64) -> Option<u64> {
    u64::try_from(duration_secs)
        .ok()
        .map(|d| now.saturating_add(d * 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_ids_are_guids() {
        assert!(is_guid("0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(!is_guid("0f8fad5b-d9cb-469f-a165-70867728950"));
        assert!(!is_guid("not-a-guid"));
    }

    #[test]
    fn lease_state_follows_the_clock() {
        let l = Lease {
            id: "x".into(),
            duration_secs: 15,
            until_ms: Some(1000),
            breaking: false,
        };
        assert_eq!(l.state(999), LeaseState::Leased);
        assert_eq!(l.state(1000), LeaseState::Expired);
        let b = Lease {
            breaking: true,
            ..l
        };
        assert_eq!(b.state(999), LeaseState::Breaking);
        assert_eq!(b.state(1000), LeaseState::Broken);
    }
}
