//! The `ttm-model` CLI: `list`, `hunt`, `replay` (contract in DESIGN.md).

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use ttm_model::cli;

#[derive(Parser)]
#[command(
    name = "ttm-model",
    version = ttm_model::model::baseline::VERSION_LINE,
    about = "Model-check the Linux DRM GPU-buffer locking stack (ww_mutex, drm_exec)",
    after_help = cli::ENGINES_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List scenarios and variants.
    List {
        /// One JSON object on stdout.
        #[arg(long)]
        json: bool,
        /// Also list the scenarios of this scenario file (repeatable).
        #[arg(long = "scenario-file")]
        scenario_files: Vec<PathBuf>,
        /// What the registry says about an older kernel (e.g. v6.12): the known bugs it
        /// still has and the scenarios whose code it has.
        #[arg(long)]
        kernel: Option<String>,
        /// What a kernel config option does (repeatable; e.g. proxy-exec).
        #[arg(long = "config")]
        configs: Vec<String>,
        /// Only the scenarios and variants of this area (ww, ttm, svm, design).
        #[arg(long)]
        area: Option<String>,
        /// Print the scenario-file format of every area (objects, operations, options) as
        /// markdown tables, and nothing else.
        #[arg(long)]
        formats: bool,
    },
    /// Explore scenarios (default: every scenario on the fixed model).
    Hunt(Box<cli::HuntArgs>),
    /// Re-run a saved failure (a failure.json or its directory) and print its trace.
    Replay {
        /// The failure file or directory written by `hunt`.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let parsed = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
                _ => 2,
            };
            if code == 0 {
                let _ = e.print();
            } else {
                // One line: clap's first line carries the error.
                let text = e.to_string();
                let first = text.lines().next().unwrap_or("bad usage");
                eprintln!("{first} (see --help)");
            }
            return ExitCode::from(code);
        }
    };
    let result = match parsed.command {
        Command::List {
            json,
            scenario_files,
            kernel,
            configs,
            area,
            formats,
        } if !formats => cli::list(
            json,
            &scenario_files,
            kernel.as_deref(),
            &configs,
            area.as_deref(),
        ),
        Command::List { .. } => cli::list_formats(),
        Command::Hunt(args) => cli::hunt(&args),
        Command::Replay { file } => cli::replay(&file),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("ttm-model: {e}");
            ExitCode::from(2)
        }
    }
}
