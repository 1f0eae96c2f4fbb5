//! `.amlignore` / `.gitignore` rules for code folders (the subset of gitignore syntax that
//! matters: comments, `!` negation, trailing `/` for folders, leading or inner `/` anchoring,
//! `*`, `?`, `**` and `[...]` classes). Like the SDK, the file at the folder's root is used,
//! `.amlignore` in preference to `.gitignore`.

struct Rule {
    pattern: String,
    negate: bool,
    dir_only: bool,
    anchored: bool,
}

/// A parsed ignore file.
pub struct IgnoreRules {
    rules: Vec<Rule>,
}

impl IgnoreRules {
    pub fn parse(text: &str) -> IgnoreRules {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negate, mut pat) = match line.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, line.strip_prefix('\\').unwrap_or(line)),
            };
            let dir_only = pat.ends_with('/');
            if dir_only {
                pat = pat.trim_end_matches('/');
            }
            let anchored = pat.contains('/');
            let pat = pat.strip_prefix('/').unwrap_or(pat);
            if pat.is_empty() {
                continue;
            }
            rules.push(Rule {
                pattern: pat.to_owned(),
                negate,
                dir_only,
                anchored,
            });
        }
        IgnoreRules { rules }
    }

    /// Is the file at `rel` (`/`-separated, relative to the folder) ignored? A file inside an
    /// ignored folder is ignored, whatever later rules say (as in git).
    pub fn is_ignored(&self, rel: &str) -> bool {
        let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
        for i in 1..parts.len() {
            if self.decide(&parts[..i].join("/"), true) {
                return true;
            }
        }
        self.decide(&parts.join("/"), false)
    }

    fn decide(&self, path: &str, is_dir: bool) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        let mut ignored = false;
        for rule in &self.rules {
            if rule.dir_only && !is_dir {
                continue;
            }
            let target = if rule.anchored { path } else { name };
            if glob_match(rule.pattern.as_bytes(), target.as_bytes()) {
                ignored = !rule.negate;
            }
        }
        ignored
    }
}

/// Glob match where `*` and `?` stay within one path segment and `**` crosses segments.
fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') if p.get(1) == Some(&b'*') => {
            let mut rest = &p[2..];
            // `**/` may also match nothing at all.
            if rest.first() == Some(&b'/') {
                rest = &rest[1..];
            }
            (0..=s.len()).any(|i| glob_match(rest, &s[i..]))
        }
        Some(b'*') => {
            let rest = &p[1..];
            let mut i = 0;
            loop {
                if glob_match(rest, &s[i..]) {
                    return true;
                }
                if i >= s.len() || s[i] == b'/' {
                    return false;
                }
                i += 1;
            }
        }
        Some(b'?') => !s.is_empty() && s[0] != b'/' && glob_match(&p[1..], &s[1..]),
        Some(b'[') => match (p.iter().position(|&c| c == b']'), s.first()) {
            (Some(end), Some(&c)) if end > 1 && c != b'/' => {
                let class = &p[1..end];
                let (neg, class) = match class.first() {
                    Some(b'!') | Some(b'^') => (true, &class[1..]),
                    _ => (false, class),
                };
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == b'-' {
                        hit |= class[i] <= c && c <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == c;
                        i += 1;
                    }
                }
                hit != neg && glob_match(&p[end + 1..], &s[1..])
            }
            (Some(_), _) => false,
            (None, Some(&c)) => c == b'[' && glob_match(&p[1..], &s[1..]),
            (None, None) => false,
        },
        Some(&c) => s.first() == Some(&c) && glob_match(&p[1..], &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitignore_basics() {
        let r =
            IgnoreRules::parse("# comment\n*.pyc\n__pycache__/\n/build\ndata/**/raw\n!keep.pyc\n");
        assert!(r.is_ignored("a.pyc"));
        assert!(r.is_ignored("pkg/a.pyc"));
        assert!(!r.is_ignored("keep.pyc"));
        assert!(r.is_ignored("pkg/__pycache__/x.py"));
        assert!(
            !r.is_ignored("__pycache__"),
            "a file named like a dir-only pattern is kept"
        );
        assert!(r.is_ignored("build/out.txt"));
        assert!(
            !r.is_ignored("src/build/out.txt"),
            "anchored pattern only at the root"
        );
        assert!(r.is_ignored("data/raw/x.csv"));
        assert!(r.is_ignored("data/a/b/raw/x.csv"));
        assert!(!r.is_ignored("main.py"));
    }

    #[test]
    fn globs() {
        assert!(glob_match(b"*.py", b"main.py"));
        assert!(!glob_match(b"*.py", b"a/main.py"));
        assert!(glob_match(b"**/x", b"x"));
        assert!(glob_match(b"**/x", b"a/b/x"));
        assert!(glob_match(b"a/**", b"a/b/c"));
        assert!(glob_match(b"file?.[ch]", b"file1.c"));
        assert!(!glob_match(b"file?.[!ch]", b"file1.c"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(rules in "[a-z*?!/\\[\\]#^.-]{0,12}(\n[a-z*?!/\\[\\]#^.-]{0,12}){0,3}", path in "[a-z./\\[*]{0,20}") {
            let _ = IgnoreRules::parse(&rules).is_ignored(&path);
        }

        #[test]
        fn literal_pattern_matches_itself(name in "[a-z0-9_]{1,10}") {
            let rules = IgnoreRules::parse(&name);
            proptest::prop_assert!(rules.is_ignored(&name));
            let nested = format!("dir/{name}");
            proptest::prop_assert!(rules.is_ignored(&nested));
            let longer = format!("{name}x");
            proptest::prop_assert!(!rules.is_ignored(&longer));
        }
    }
}
