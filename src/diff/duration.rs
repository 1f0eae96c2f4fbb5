//! ISO-8601 durations compared by meaning: `PT120S`, `PT2M` and `PT0H2M` are the same value.

/// Total seconds of an ISO-8601 duration (`PnYnMnWnDTnHnMnS`), or `None` when `text` is not one.
/// Years count 365 days and months 30 days (the service uses neither for the fields amlctl
/// compares).
pub fn seconds(text: &str) -> Option<f64> {
    let rest = text.trim().strip_prefix(['P', 'p'])?;
    let (date, time) = match rest.split_once(['T', 't']) {
        Some((d, t)) => {
            if t.is_empty() {
                return None;
            }
            (d, Some(t))
        }
        None => (rest, None),
    };
    let mut total = 0.0;
    let mut any = false;
    let mut add = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                number.push(if c == ',' { '.' } else { c });
                continue;
            }
            let unit = c.to_ascii_uppercase();
            let factor = units.iter().find(|(u, _)| *u == unit)?.1;
            let n: f64 = number.parse().ok()?;
            total += n * factor;
            any = true;
            number.clear();
        }
        number.is_empty().then_some(())
    };
    const DAY: f64 = 86_400.0;
    add(
        date,
        &[
            ('Y', 365.0 * DAY),
            ('M', 30.0 * DAY),
            ('W', 7.0 * DAY),
            ('D', DAY),
        ],
    )?;
    if let Some(time) = time {
        add(time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    any.then_some(total)
}

/// Canonical spelling used for comparison: `PT{seconds}S`.
pub fn canonical(text: &str) -> Option<String> {
    let s = seconds(text)?;
    if s.fract() == 0.0 && s.is_finite() {
        Some(format!("PT{}S", s as u64))
    } else {
        Some(format!("PT{s}S"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_meaning_equal_canonical_form() {
        assert_eq!(canonical("PT120S"), canonical("PT2M"));
        assert_eq!(canonical("PT1H"), Some("PT3600S".to_owned()));
        assert_eq!(canonical("P1DT1S"), Some("PT86401S".to_owned()));
        assert_eq!(canonical("PT0.5S"), Some("PT0.5S".to_owned()));
    }

    #[test]
    fn rejects_non_durations() {
        for s in ["", "P", "PT", "120", "PTXM", "P1H", "hello", "PT5"] {
            assert_eq!(seconds(s), None, "{s}");
        }
    }
}
