//! List responses: `{"value": [...], "nextLink": "<absolute URL with $skip>"}`.

use serde_json::{Value, json};

use super::{Ctx, Req, Resp};

/// One page of `items`; `collection_id` is the ARM path of the list (e.g. `.../computes`).
/// Items may be borrowed from the state: only the page's own items are cloned.
pub fn page<V: std::borrow::Borrow<Value>>(
    ctx: &Ctx,
    req: &Req,
    collection_path: &str,
    items: Vec<V>,
) -> Resp {
    let skip = req
        .q("$skip")
        .or_else(|| req.q("$skipToken"))
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let size = ctx.page_size.max(1);
    let total = items.len();
    let value: Vec<Value> = items
        .iter()
        .skip(skip)
        .take(size)
        .map(|v| v.borrow().clone())
        .collect();
    let mut body = json!({"value": value});
    let next = skip.saturating_add(size);
    if next < total {
        let mut q: Vec<String> = req
            .query
            .iter()
            .filter(|(k, _)| {
                !k.eq_ignore_ascii_case("$skip") && !k.eq_ignore_ascii_case("$skipToken")
            })
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        q.push(format!("$skip={next}"));
        body["nextLink"] = json!(format!(
            "{}{}?{}",
            ctx.base_url,
            collection_path,
            q.join("&")
        ));
    }
    Resp::json(200, body)
}

/// Percent-encode a query component (RFC 3986 unreserved characters kept; `$` kept for `$skip`).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~$".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decode (and `+` → space when `plus` is set).
pub fn decode(s: &str, plus: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parse a raw query string.
pub fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k, true), decode(v, true)),
            None => (decode(p, true), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_handles_escapes_and_garbage() {
        assert_eq!(decode("a%20b+c", true), "a b c");
        assert_eq!(decode("%zz%", false), "%zz%");
        assert_eq!(decode("%4", false), "%4");
        assert_eq!(encode("a b/$skip"), "a%20b%2F$skip");
        assert_eq!(
            parse_query(Some("api-version=1&x&$skip=2")),
            vec![
                ("api-version".into(), "1".into()),
                ("x".into(), String::new()),
                ("$skip".into(), "2".into())
            ]
        );
    }
}
