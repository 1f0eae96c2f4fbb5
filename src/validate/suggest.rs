//! "Did you mean": the closest candidate by edit distance, if it is close enough.

/// The candidate closest to `input` (case-insensitive exact matches win), or `None` when
/// nothing is within a third of the input's length (at least 2 edits).
pub fn did_you_mean<'a>(input: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let lower = input.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = if c.to_lowercase() == lower {
            0
        } else {
            strsim::damerau_levenshtein(&lower, &c.to_lowercase())
        };
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let limit = (input.chars().count() / 3).max(2);
    best.filter(|(d, _)| *d <= limit).map(|(_, c)| c.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let keys = ["command", "compute", "environment", "code"];
        assert_eq!(
            did_you_mean("comand", keys.iter().copied()).as_deref(),
            Some("command")
        );
        assert_eq!(
            did_you_mean("enviroment", keys.iter().copied()).as_deref(),
            Some("environment")
        );
        assert_eq!(
            did_you_mean("Code", keys.iter().copied()).as_deref(),
            Some("code")
        );
        assert_eq!(did_you_mean("xyzzy_flub", keys.iter().copied()), None);
    }
}
