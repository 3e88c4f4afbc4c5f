//! Training the learned heads that ship in `models/heads/`, reproducibly:
//! each recipe writes its head with a provenance that records the command
//! that rebuilds it (`veracity train ...`), the data files' checksums, the
//! options and the held-out figures. Recipes build on [`crate::eval`] (data
//! sets, splits, fitting options).

pub mod checkworthiness;
pub mod propaganda;
pub mod stance;

use std::path::{Component, Path, PathBuf};

/// The command line `args` (without the program name) as `veracity ...`,
/// for a head's provenance: absolute paths inside the current directory or
/// beside it (its parent's tree, where a data folder such as
/// `../shared/data` sits) are written relative to the current directory, so
/// that the provenance does not name this machine's folders; the options in
/// `drop` (e.g. `--cache`, which does not change the result) are left out
/// with their values.
pub fn reproducible_command(args: &[String], drop: &[&str]) -> String {
    let cwd = std::env::current_dir().ok();
    let mut out: Vec<String> = Vec::new();
    let mut skip_value = false;
    for s in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if drop.contains(&s.as_str()) {
            skip_value = true;
            continue;
        }
        if drop.iter().any(|d| s.starts_with(&format!("{d}="))) {
            continue;
        }
        let p = Path::new(s);
        let shown = match (&cwd, p.is_absolute()) {
            (Some(cwd), true) => {
                let rel = relative_to(p, cwd);
                let ups = rel.components().take_while(|c| *c == Component::ParentDir);
                if ups.count() <= 1 {
                    rel.display().to_string()
                } else {
                    s.clone()
                }
            }
            _ => s.clone(),
        };
        out.push(shown);
    }
    format!("veracity {}", out.join(" "))
}

/// `path` relative to the folder `base` (both absolute), with `..` steps.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &p[common..] {
        rel.push(c.as_os_str());
    }
    if rel.as_os_str().is_empty() {
        rel.push(".");
    }
    rel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths_become_relative_and_dropped_options_go() {
        let cwd = std::env::current_dir().unwrap();
        let data = cwd.parent().unwrap().join("shared/data/x.csv");
        let args: Vec<String> = [
            "train",
            "checkworthiness",
            "--data",
            data.to_str().unwrap(),
            "--cache",
            "/tmp/c.vec",
            "--seed=3",
            "--out",
            "/",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            reproducible_command(&args, &["--cache"]),
            "veracity train checkworthiness --data ../shared/data/x.csv --seed=3 --out /"
        );
    }

    #[test]
    fn relative_paths_walk_up_and_down() {
        assert_eq!(
            relative_to(Path::new("/a/b/c"), Path::new("/a/d")),
            PathBuf::from("../b/c")
        );
        assert_eq!(
            relative_to(Path::new("/a"), Path::new("/a")),
            PathBuf::from(".")
        );
    }
}
