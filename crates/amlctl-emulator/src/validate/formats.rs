//! String formats the spec names: ISO 8601 durations (`format: duration`, e.g. `PT5M`).

/// Seconds in an ISO 8601 duration `P[nD][T[nH][nM][n[.f]S]]` (weeks `PnW` too; years and
/// months are refused: they have no fixed length). `None` when it does not parse.
pub fn duration_secs(s: &str) -> Option<f64> {
    let rest = s.strip_prefix('P')?;
    if rest.is_empty() {
        return None;
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut total = 0.0;
    total += units(date, &[('W', 604_800.0), ('D', 86_400.0)])?;
    if let Some(t) = time {
        total += units(t, &[('H', 3_600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    Some(total)
}

/// Sum `number unit` pairs, units in the given order, each at most once.
fn units(mut s: &str, allowed: &[(char, f64)]) -> Option<f64> {
    let mut total = 0.0;
    let mut next = 0;
    while !s.is_empty() {
        let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let number: f64 = s[..end].parse().ok()?;
        let unit = s[end..].chars().next()?;
        let pos = allowed.iter().skip(next).position(|(u, _)| *u == unit)? + next;
        total += number * allowed[pos].1;
        next = pos + 1;
        s = &s[end + unit.len_utf8()..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_secs("PT5M"), Some(300.0));
        assert_eq!(duration_secs("PT120M"), Some(7200.0));
        assert_eq!(duration_secs("PT1S"), Some(1.0));
        assert_eq!(duration_secs("P1DT2H"), Some(93_600.0));
        assert_eq!(duration_secs("P2W"), Some(1_209_600.0));
        assert_eq!(duration_secs("PT0.5S"), Some(0.5));
        for bad in [
            "", "P", "PT", "5M", "PT5", "PTM", "PT5X", "P1M", "PT5M5H", "PT5M5M", "soon", "PT-5M",
        ] {
            assert_eq!(duration_secs(bad), None, "{bad}");
        }
    }
}
