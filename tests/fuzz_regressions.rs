//! Replays the fuzz targets' seeds (fuzz/seeds/TARGET/ and the fixtures
//! fuzz/seeds.txt names) and the inputs that
//! once crashed a target (fuzz/regressions/TARGET/, each named after its bug)
//! through the same checks the fuzzer runs (fuzz/checks.rs), so a fixed crash
//! stays fixed without a fuzzing toolchain. `fuzz/run.sh` does the fuzzing.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

#[test]
fn fuzz_seeds_and_crash_fixtures_pass_their_targets_checks() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = repo.join("fuzz");
    let listed = std::fs::read_to_string(root.join("seeds.txt")).unwrap();
    let listed: Vec<(&str, &str)> = listed
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_once(' ').expect("seeds.txt: TARGET PATH"))
        .collect();
    for (name, check) in checks::TARGETS {
        // (file, is a seed rather than a crash fixture)
        let mut files: Vec<(PathBuf, bool)> = listed
            .iter()
            .filter(|(t, _)| t == name)
            .map(|(_, p)| (repo.join(p), true))
            .collect();
        for kind in ["seeds", "regressions"] {
            if let Ok(dir) = std::fs::read_dir(root.join(kind).join(name)) {
                files.extend(dir.map(|e| (e.unwrap().path(), kind == "seeds")));
            }
        }
        assert!(
            files.iter().any(|f| f.1),
            "target {name} has no seed (fuzz/seeds/{name}/ or fuzz/seeds.txt)"
        );
        for (path, _) in files {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let run = std::panic::catch_unwind(|| check(&data));
            assert!(run.is_ok(), "{} fails target {name}", path.display());
        }
    }
}
