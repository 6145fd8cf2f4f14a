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
}

impl FailureFile {
    pub fn from_found(
        scenario: &str,
        variants: &[String],
        seed: u64,
        found: &Found,
        path_hint: &Path,
    ) -> Self {
        let variant_args: String = variants.iter().map(|v| format!(" --variant {v}")).collect();
        let build = match found.schedule {
            Schedule::Loom { .. } => "RUSTFLAGS=\"--cfg loom\" cargo run --release --",
            Schedule::Threads { .. } => "cargo run --release --no-default-features --",
            Schedule::Shuttle { .. } => "cargo run --release --",
        };
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
                "{build} hunt --scenario {scenario}{variant_args} --engine {} --seed {seed}",
                found.engine.name()
            ),
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
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Write a failure directory under `out` and return its path: `failure.json` (the replay
/// file) and `trace.txt` (one event per line, per CPU, kernel vocabulary).
pub fn write_failure_dir(
    out: &Path,
    scenario: &str,
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
    let file = FailureFile::from_found(scenario, variants, seed, found, &dir);
    let json = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
    let mut text = format!(
        "# {} in {scenario} ({variant_tag}): {}\n",
        found.failure.property, found.failure.message
    );
    for line in &found.trace {
        text.push_str(line);
        text.push('\n');
    }
    write_atomic(&dir.join("trace.txt"), text.as_bytes())?;
    write_atomic(&dir.join("failure.json"), &json)?;
    Ok(dir)
}
