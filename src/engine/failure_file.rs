//! Failure files: what `hunt` writes for every failure (atomically, before the process
//! can exit) and what `replay` reads.

use super::{Found, Schedule};
use crate::model::property::Property;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const FORMAT_VERSION: u32 = 1;

/// The replay file (`failure.json` in a failure directory).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FailureFile {
    pub format: u32,
    pub scenario: String,
    /// Enabled variants (empty = the fixed model).
    pub variants: Vec<String>,
    /// The engine that found it and the build needed to replay it.
    pub engine: String,
    pub property: Property,
    pub message: String,
    pub seed: u64,
    /// Index of the failing execution within its exploration.
    pub execution: usize,
    pub schedule: Schedule,
    pub trace: Vec<String>,
    pub replay_command: String,
    pub refind_command: String,
    /// The scenario file the scenario was loaded from (`hunt --scenario-file`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_file: Option<String>,
    /// What the reported WARN led to when the execution went on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consequence: Option<crate::model::property::ModelFailure>,
    /// The failures injected in the failing execution (also in `schedule`, which
    /// replays them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub injected: Vec<String>,
    /// The kernel config options (`--config`) the failure needs; replay turns them on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<String>,
    /// The repeating part of a livelock: a lasso's cycle, the part of `trace` that repeats
    /// forever (from the first visit of the repeated global state to the second), or the
    /// retry-bound fallback's last retry iteration (its message says it is not proven).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cycle: Vec<String>,
}

impl FailureFile {
    pub fn from_found(
        scenario: &str,
        variants: &[String],
        seed: u64,
        found: &Found,
        path_hint: &Path,
    ) -> Self {
        Self::from_found_in(scenario, None, variants, seed, found, path_hint)
    }

    /// As `from_found`, for a scenario loaded from `scenario_file` (the re-find command
    /// then loads the file).
    pub fn from_found_in(
        scenario: &str,
        scenario_file: Option<&Path>,
        variants: &[String],
        seed: u64,
        found: &Found,
        path_hint: &Path,
    ) -> Self {
        let scenario_arg = match scenario_file {
            Some(f) => format!("--scenario-file {}", f.display()),
            None => format!("--scenario {scenario}"),
        };
        let variant_args: String = variants
            .iter()
            .map(|v| format!(" --variant {v}"))
            .chain(found.config.iter().map(|c| format!(" --config {c}")))
            .collect();
        let build = build_command(&found.schedule);
        FailureFile {
            format: FORMAT_VERSION,
            scenario: scenario.to_string(),
            variants: variants.to_vec(),
            engine: found.engine.name().to_string(),
            property: found.failure.property,
            message: found.failure.message.clone(),
            seed,
            execution: found.execution,
            schedule: found.schedule.clone(),
            trace: found.trace.clone(),
            replay_command: format!("{build} replay {}", path_hint.display()),
            refind_command: format!(
                "{build} hunt {scenario_arg}{variant_args} --engine {} --seed {seed} --inject {}",
                found.engine.name(),
                found.injected.len()
            ),
            scenario_file: scenario_file.map(|f| f.display().to_string()),
            consequence: found.consequence.clone(),
            injected: found.injected.iter().map(|e| e.describe()).collect(),
            config: found.config.clone(),
            cycle: found.cycle_lines().to_vec(),
        }
    }

    /// Read a failure file (or a failure directory holding `failure.json`).
    pub fn load(path: &Path) -> Result<FailureFile, String> {
        let file = if path.is_dir() {
            path.join("failure.json")
        } else {
            path.to_path_buf()
        };
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let f: FailureFile = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is not a ttm-model failure file: {e} (line {}, column {})",
                file.display(),
                e.line(),
                e.column()
            )
        })?;
        if f.format != FORMAT_VERSION {
            return Err(format!(
                "{} has format {} but this ttm-model reads format {FORMAT_VERSION}",
                file.display(),
                f.format
            ));
        }
        Ok(f)
    }
}

/// The `cargo run` prefix of the build that replays `schedule`.
pub fn build_command(schedule: &Schedule) -> &'static str {
    match schedule {
        Schedule::Loom { .. } => "RUSTFLAGS=\"--cfg loom\" cargo run --release --",
        Schedule::Threads { .. } => "cargo run --release --no-default-features --",
        Schedule::Shuttle { .. } => "cargo run --release --",
    }
}

/// Write `bytes` to `path` atomically: temporary file in the same directory, fsync,
/// rename. A reader sees the old file or the complete new one, never a torn one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        // Out of space or similar: leave no half-written temporary behind.
        let _ = std::fs::remove_file(&tmp);
    } else if let Ok(d) = std::fs::File::open(dir) {
        // Make the rename itself durable (best effort: not every file system allows it).
        let _ = d.sync_all();
    }
    written
}

/// A one-line description of a failed write of `path`; running out of disk space is
/// named as such (the hunt then exits with status 2).
pub fn describe_write_error(path: &Path, e: &std::io::Error) -> String {
    const ENOSPC: i32 = 28;
    const EDQUOT: i32 = 122;
    if matches!(e.raw_os_error(), Some(ENOSPC) | Some(EDQUOT))
        || e.kind() == std::io::ErrorKind::StorageFull
    {
        format!(
            "out of disk space writing {} ({e}); free some space or pass --out / --junit on another file system",
            path.display()
        )
    } else {
        format!("cannot write {}: {e}", path.display())
    }
}

/// Write a failure directory under `out` and return its path: `failure.json` (the replay
/// file), `trace.txt` (one event per line, per CPU, kernel vocabulary),
/// `trace.perfetto.json` (Chrome trace-event JSON for ui.perfetto.dev) and
/// `sequence.mmd` (a Mermaid sequence diagram). `failure.json` is written last, so a
/// directory with it is complete.
pub fn write_failure_dir(
    out: &Path,
    scenario: &str,
    variants: &[String],
    seed: u64,
    found: &Found,
) -> std::io::Result<PathBuf> {
    write_failure_dir_in(out, scenario, None, variants, seed, found)
}

/// As `write_failure_dir`, for a scenario loaded from `scenario_file`.
pub fn write_failure_dir_in(
    out: &Path,
    scenario: &str,
    scenario_file: Option<&Path>,
    variants: &[String],
    seed: u64,
    found: &Found,
) -> std::io::Result<PathBuf> {
    let variant_tag = if variants.is_empty() {
        "fixed".to_string()
    } else {
        variants.join("+")
    };
    let base = format!("{scenario}--{variant_tag}--{}", found.failure.property);
    let mut dir = out.join(&base);
    let mut n = 1;
    while dir.exists() {
        n += 1;
        dir = out.join(format!("{base}-{n}"));
    }
    std::fs::create_dir_all(&dir)?;
    let file = FailureFile::from_found_in(scenario, scenario_file, variants, seed, found, &dir);
    let json = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
    let mut text = format!(
        "# {} in {scenario} ({variant_tag}): {}\n",
        found.failure.property, found.failure.message
    );
    if !found.injected.is_empty() {
        text.push_str(&format!(
            "# injected: {}\n",
            crate::engine::inject::describe(&found.injected)
        ));
    }
    for (i, line) in found.trace.iter().enumerate() {
        match found.cycle {
            Some((a, b)) if i == a => text.push_str(&format!(
                "# ---- cycle start: from here to the end marker the execution repeats forever ({} events)\n",
                b - a
            )),
            _ => {}
        }
        text.push_str(line);
        text.push('\n');
    }
    if let Some((_, b)) = found.cycle {
        text.push_str(&format!(
            "# ---- cycle end (event {b}): the global state is the one at the cycle start again\n"
        ));
    }
    write_atomic(&dir.join("trace.txt"), text.as_bytes())?;
    let title = format!("{scenario} ({variant_tag})");
    let failure = found.failure.to_string();
    let perfetto = crate::report::perfetto::render(&title, &failure, &found.timeline);
    write_atomic(
        &dir.join("trace.perfetto.json"),
        &serde_json::to_vec(&perfetto).map_err(std::io::Error::other)?,
    )?;
    let mermaid = crate::report::mermaid::render(&title, &failure, &found.timeline);
    write_atomic(&dir.join("sequence.mmd"), mermaid.as_bytes())?;
    write_atomic(&dir.join("failure.json"), &json)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_space_is_named() {
        let p = Path::new("failures/x/failure.json");
        let full = std::io::Error::from_raw_os_error(28);
        let msg = describe_write_error(p, &full);
        assert!(
            msg.starts_with("out of disk space writing failures/x/failure.json"),
            "{msg}"
        );
        assert!(!msg.contains('\n'));
        let denied = std::io::Error::from_raw_os_error(13);
        assert!(
            describe_write_error(p, &denied).starts_with("cannot write failures/x/failure.json")
        );
    }

    #[test]
    fn atomic_write_replaces_whole_files() {
        let dir = std::env::temp_dir().join(format!("ttm-model-atomic-{}", std::process::id()));
        let p = dir.join("f.json");
        write_atomic(&p, b"old").unwrap();
        write_atomic(&p, b"new contents").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new contents");
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary file left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
