//! Scenario files: workloads written in TOML instead of Rust (`hunt --scenario-file F`,
//! `list --scenario-file F`, and the regression tests). A file names its area, its
//! objects, its actors (CPUs) with their ordered operations, its options, and what is
//! expected of the fixed model and of each variant that re-creates a reported race:
//!
//! ```toml
//! name = "abba-wd-file"
//! description = "two contexts lock A,B and B,A"
//! area = "ww"                   # "ww" (default), "ttm" or "svm": which objects and ops
//! [options]                     # common: kernel, config, inject, inject_sites; + the area's
//! class = "wait-die"
//! [[object]]
//! kind = "lock"
//! name = "A"
//! [[actor]]
//! name = "ctx_ab"
//! repeat = 1
//! ops = ["ww_acquire_init", "ww_mutex_lock A", "ww_mutex_lock B", "yield",
//!        "ww_mutex_unlock B", "ww_mutex_unlock A", "ww_acquire_fini"]
//! [expect]
//! fixed = "pass"
//! [[expect.variant]]
//! name = "no-backoff-wake"
//! property = "deadlock"
//! ```
//!
//! This module holds what every area shares: the file's frame (name, description, area,
//! actors, expectations), the common options, the `file:line:column: what was expected`
//! errors, and the operations every area has (`yield`, `complete C`,
//! `wait_for_completion C`, `fail SITE ERRNO`). Each area is a module of its own with its
//! object kinds, its operations and a table documenting them (`ww`, `ttm`, `svm`; the table is
//! `AREAS`, shown by `list --formats`).
//!
//! Common options (`[options]`, every area):
//! * `kernel = "6.14"` — the kernel the file is about: `hunt --scenario-file` checks it as
//!   `--kernel 6.14` does (unless the command line names another);
//! * `config = ["proxy-exec"]` — kernel config options on (`--config`);
//! * `inject = N`, `inject_sites = "a,b"` — explore up to N injected failures per
//!   execution at those sites (as `hunt --inject N --inject-sites`); the regression harness
//!   runs the file's variants with them.
//!
//! `fail SITE ERRNO` (every area) makes this actor's next call at fault site SITE return
//! -ERRNO, so a report that says "swapout failed with -ENOMEM" is written down exactly
//! (`fail ttm_tt_swapout ENOMEM`); the sites and their errnos are `list --json`'s
//! `fault_sites`.

pub mod svm;
pub mod ttm;
pub mod ww;

use super::Scenario;
use crate::engine::InjectConfig;
use crate::model::baseline::KernelVersion;
use crate::model::config::{KConfig, KernelConfig};
use crate::model::fault::{SITES, Site};
use crate::model::property::Property;
use crate::model::variants::Variant;
use serde::Deserialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// One area's file format: what `list --formats` prints and what an unknown operation
/// lists.
pub struct AreaFormat {
    pub area: &'static str,
    /// Object kinds: (kind, fields, what it is).
    pub objects: &'static [(&'static str, &'static str, &'static str)],
    /// Operations: (syntax, kernel function it runs, what it does).
    pub ops: &'static [(&'static str, &'static str, &'static str)],
    /// The area's own `[options]` fields: (field, meaning).
    pub options: &'static [(&'static str, &'static str)],
    parse: fn(&Source) -> Result<FileScenario, String>,
}

impl AreaFormat {
    /// The operation names (first word of every op of the table, plus the common ones).
    pub fn op_names(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self
            .ops
            .iter()
            .chain(COMMON_OPS)
            .map(|(syntax, _, _)| syntax.split_whitespace().next().unwrap_or(""))
            .collect();
        v.dedup();
        v
    }
}

/// The operations every area has.
pub const COMMON_OPS: &[(&str, &str, &str)] = &[
    (
        "yield",
        "cond_resched()",
        "let the other CPUs run for a moment (no lock is taken)",
    ),
    (
        "complete C",
        "complete()",
        "complete(C): lets one wait_for_completion of C through (one count per call, as the kernel's complete())",
    ),
    (
        "wait_for_completion C",
        "wait_for_completion()",
        "sleep until C is completed",
    ),
    (
        "fail SITE ERRNO",
        "should_fail() (lib/fault-inject.c)",
        "this actor's next call at fault site SITE returns -ERRNO (`list --json`: fault_sites)",
    ),
];

/// Every area's format, in `list` order.
pub static AREAS: &[&AreaFormat] = &[&ww::FORMAT, &ttm::FORMAT, &svm::FORMAT];

/// A scenario loaded from a file, with what the file expects.
#[derive(Clone, Debug)]
pub struct FileScenario {
    pub scenario: Scenario,
    pub source: PathBuf,
    /// The fixed model must pass (`expect.fixed = "pass"`).
    pub fixed_passes: bool,
    /// Variants that re-create the race, with the property the checker must report.
    pub variants: Vec<(Variant, Property)>,
    /// `[options] inject` / `inject_sites` (off unless the file asks).
    pub inject: InjectConfig,
    /// `[options] kernel`: the kernel the file is about.
    pub kernel: Option<KernelVersion>,
}

/// The text of a file being parsed, for located errors.
pub struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    /// `file:line:column: msg` at `span` (or `file: msg` without one).
    pub fn err(&self, span: Option<Range<usize>>, msg: &str) -> String {
        located(self.path, self.text, span, msg)
    }

    /// `file:line:column: msg` at a spanned value.
    pub fn at<T>(&self, v: &Spanned<T>, msg: &str) -> String {
        self.err(Some(v.span()), msg)
    }
}

/// `file:line:column: message` for a byte range of `text`.
fn located(path: &Path, text: &str, span: Option<Range<usize>>, msg: &str) -> String {
    let msg = msg.trim().replace('\n', " ");
    match span {
        Some(r) if r.start <= text.len() && !(r.start == 0 && r.end == 0) => {
            let before = &text[..r.start];
            let line = before.matches('\n').count() + 1;
            let col = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
            format!("{}:{line}:{col}: {msg}", path.display())
        }
        _ => format!("{}: {msg}", path.display()),
    }
}

/// Load a scenario file. Errors are one line: `file:line:column: what was expected`.
pub fn load(path: &Path) -> Result<FileScenario, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read scenario file {}: {e}", path.display()))?;
    parse(path, &text)
}

/// Only the `area` key (every other key is the area's to check).
#[derive(Deserialize)]
struct AreaProbe {
    area: Option<Spanned<String>>,
}

/// Parse the text of a scenario file (`path` names it in errors).
pub fn parse(path: &Path, text: &str) -> Result<FileScenario, String> {
    let src = Source { path, text };
    let probe: AreaProbe =
        toml::from_str(text).map_err(|e| located(path, text, e.span(), e.message()))?;
    let format = match &probe.area {
        None => &ww::FORMAT,
        Some(a) => AREAS
            .iter()
            .find(|f| f.area == a.get_ref())
            .ok_or_else(|| {
                src.at(
                    a,
                    &format!(
                        "unknown area '{}': expected one of {}",
                        a.get_ref(),
                        AREAS.iter().map(|f| f.area).collect::<Vec<_>>().join(", ")
                    ),
                )
            })?,
    };
    (format.parse)(&src)
}

/// Deserialize the whole file as an area's spec type, with located errors.
pub fn deserialize<T: serde::de::DeserializeOwned>(src: &Source) -> Result<T, String> {
    toml::from_str(src.text).map_err(|e| src.err(e.span(), e.message()))
}

/// The frame of every file, generic over the area's options and object specs. Every
/// area deserializes its files as `FileSpec<ItsOptions, ItsObject>`.
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    bound(deserialize = "O: Deserialize<'de> + Default, B: Deserialize<'de>")
)]
pub struct FileSpec<O, B> {
    pub name: Option<Spanned<String>>,
    pub description: Option<String>,
    pub area: Option<Spanned<String>>,
    #[serde(default)]
    pub options: O,
    #[serde(default = "Vec::new", rename = "object")]
    pub objects: Vec<B>,
    #[serde(rename = "actor")]
    pub actors: Vec<ActorSpec>,
    #[serde(default)]
    pub expect: ExpectSpec,
}

/// `[[actor]]`: one CPU and its operations.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorSpec {
    pub name: Option<String>,
    #[serde(default = "one")]
    pub repeat: usize,
    pub ops: Vec<Spanned<String>>,
}

fn one() -> usize {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    #[serde(default = "pass")]
    fixed: Spanned<String>,
    #[serde(default, rename = "variant")]
    variants: Vec<ExpectVariantSpec>,
}

impl Default for ExpectSpec {
    fn default() -> Self {
        ExpectSpec {
            fixed: pass(),
            variants: Vec::new(),
        }
    }
}

fn pass() -> Spanned<String> {
    Spanned::new(0..0, "pass".to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectVariantSpec {
    name: Spanned<String>,
    property: Spanned<String>,
}

/// The common `[options]` fields (every area's options struct has them: see
/// [`options_spec!`]).
#[derive(Default)]
pub struct CommonOptions {
    pub kernel: Option<Spanned<String>>,
    pub config: Vec<Spanned<String>>,
    pub inject: u32,
    pub inject_sites: Option<Spanned<String>>,
}

/// An area's `[options]`: gives access to the common fields.
pub trait AreaOptions {
    fn common(&self) -> CommonOptions;
}

/// Define an area's `[options]` struct: the common fields plus the area's own.
#[macro_export]
#[doc(hidden)]
macro_rules! options_spec {
    ($name:ident { $($(#[$m:meta])* $field:ident : $ty:ty,)* }) => {
        #[derive(serde::Deserialize, Default)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            #[serde(default)]
            kernel: Option<toml::Spanned<String>>,
            #[serde(default)]
            config: Vec<toml::Spanned<String>>,
            #[serde(default)]
            inject: u32,
            #[serde(default)]
            inject_sites: Option<toml::Spanned<String>>,
            $($(#[$m])* #[serde(default)] $field: $ty,)*
        }
        impl $crate::scenario::file::AreaOptions for $name {
            fn common(&self) -> $crate::scenario::file::CommonOptions {
                $crate::scenario::file::CommonOptions {
                    kernel: self.kernel.clone(),
                    config: self.config.clone(),
                    inject: self.inject,
                    inject_sites: self.inject_sites.clone(),
                }
            }
        }
    };
}
pub use options_spec;

/// What every area's parse produces from the frame, before its own objects and ops.
pub struct Frame {
    pub name: String,
    pub description: String,
    pub fixed_passes: bool,
    pub variants: Vec<(Variant, Property)>,
    pub config: KernelConfig,
    pub inject: InjectConfig,
    pub kernel: Option<KernelVersion>,
}

impl Frame {
    /// The file scenario of `sc` (its config and area set from the frame).
    pub fn finish(self, src: &Source, mut sc: Scenario, area: &'static str) -> FileScenario {
        sc.area = area;
        sc.options.config = sc.options.config.union(self.config);
        FileScenario {
            scenario: sc,
            source: src.path.to_path_buf(),
            fixed_passes: self.fixed_passes,
            variants: self.variants,
            inject: self.inject,
            kernel: self.kernel,
        }
    }
}

/// Check the frame of `spec`: name, actors present, expectations, common options.
pub fn frame<O: AreaOptions, B>(src: &Source, spec: &FileSpec<O, B>) -> Result<Frame, String> {
    let name = match &spec.name {
        Some(n) => {
            let ok = !n.get_ref().is_empty()
                && n.get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(src.at(
                    n,
                    &format!(
                        "bad scenario name '{}': expected letters, digits, '-' and '_'",
                        n.get_ref()
                    ),
                ));
            }
            n.get_ref().clone()
        }
        None => src
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("scenario-file")
            .to_string(),
    };
    if spec.actors.is_empty() {
        return Err(src.err(
            None,
            "no actors: expected at least one [[actor]] with ops = [...]",
        ));
    }
    for (i, a) in spec.actors.iter().enumerate() {
        if a.repeat == 0 {
            return Err(src.err(
                None,
                &format!("actor {} has repeat = 0: expected at least 1", i + 1),
            ));
        }
    }
    let fixed_passes = match spec.expect.fixed.get_ref().as_str() {
        "pass" => true,
        "any" => false,
        other => {
            return Err(src.at(
                &spec.expect.fixed,
                &format!("expect.fixed = '{other}': expected \"pass\" or \"any\""),
            ));
        }
    };
    let mut variants = Vec::new();
    for v in &spec.expect.variants {
        let variant = Variant::from_name(v.name.get_ref()).ok_or_else(|| {
            src.at(
                &v.name,
                &format!(
                    "unknown variant '{}' (see `ttm-model list`)",
                    v.name.get_ref()
                ),
            )
        })?;
        let property = Property::from_name(v.property.get_ref()).ok_or_else(|| {
            src.at(
                &v.property,
                &format!(
                    "unknown property '{}': expected one of {}",
                    v.property.get_ref(),
                    Property::ALL.map(|p| p.name()).join(", ")
                ),
            )
        })?;
        variants.push((variant, property));
    }
    let common = spec.options.common();
    let kernel = common
        .kernel
        .as_ref()
        .map(|k| {
            let v = KernelVersion::parse(k.get_ref()).map_err(|e| src.at(k, &e))?;
            crate::model::baseline::check_describable(v).map_err(|e| src.at(k, &e))?;
            Ok::<_, String>(v)
        })
        .transpose()?;
    let mut config = KernelConfig::NONE;
    for c in &common.config {
        config = config.with(KConfig::parse(c.get_ref()).map_err(|e| src.at(c, &e))?);
    }
    if let (Some(k), Some(v)) = (&common.kernel, kernel) {
        config.check_kernel(v).map_err(|e| src.at(k, &e))?;
    }
    if common.inject > 8 {
        return Err(src.err(
            None,
            &format!(
                "options.inject = {}: at most 8 injected failures per execution",
                common.inject
            ),
        ));
    }
    let mut inject = InjectConfig::budget(common.inject);
    if let Some(s) = &common.inject_sites {
        inject.sites = Some(InjectConfig::parse_sites(s.get_ref()).map_err(|e| src.at(s, &e))?);
    }
    let description = spec
        .description
        .clone()
        .unwrap_or_else(|| format!("scenario file {}", src.path.display()));
    Ok(Frame {
        name,
        description,
        fixed_passes,
        variants,
        config,
        inject,
        kernel,
    })
}

/// An actor with its compiled operations.
#[derive(Clone, Debug)]
pub struct Actor<Op> {
    pub name: String,
    pub repeat: usize,
    pub ops: Vec<Op>,
}

/// Compile every actor's ops with the area's `parse_op` (errors located at the op).
pub fn actors<Op>(
    src: &Source,
    specs: &[ActorSpec],
    mut parse_op: impl FnMut(&str) -> Result<Op, String>,
) -> Result<Vec<Actor<Op>>, String> {
    let mut out = Vec::new();
    for (i, a) in specs.iter().enumerate() {
        let mut ops = Vec::new();
        for op in &a.ops {
            ops.push(parse_op(op.get_ref()).map_err(|m| src.at(op, &m))?);
        }
        out.push(Actor {
            name: a.name.clone().unwrap_or_else(|| format!("actor{}", i + 1)),
            repeat: a.repeat,
            ops,
        });
    }
    Ok(out)
}

/// Check an object name: a word without spaces, brackets or commas, not declared twice.
pub fn check_object_name(
    src: &Source,
    name: &Spanned<String>,
    declared: impl IntoIterator<Item = String>,
) -> Result<(), String> {
    let n = name.get_ref();
    if n.is_empty() || n.contains(|c: char| c.is_whitespace() || "[],=".contains(c)) {
        return Err(src.at(
            name,
            &format!("bad object name '{n}': expected a word without spaces, brackets or commas"),
        ));
    }
    if declared.into_iter().any(|m| &m == n) {
        return Err(src.at(name, &format!("object '{n}' declared twice")));
    }
    Ok(())
}

/// An op string split into its verb and operands.
pub struct OpWords<'a> {
    pub op: &'a str,
    pub verb: &'a str,
    pub args: Vec<&'a str>,
}

impl<'a> OpWords<'a> {
    pub fn new(op: &'a str) -> OpWords<'a> {
        let mut words = op.split_whitespace();
        let verb = words.next().unwrap_or("");
        OpWords {
            op,
            verb,
            args: words.collect(),
        }
    }

    /// Exactly `n` operands.
    pub fn arity(&self, n: usize) -> Result<(), String> {
        if self.args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "'{}': {} takes {n} operand(s), got {}",
                self.op,
                self.verb,
                self.args.len()
            ))
        }
    }

    /// Between `lo` and `hi` operands.
    pub fn arity_between(&self, lo: usize, hi: usize) -> Result<(), String> {
        if (lo..=hi).contains(&self.args.len()) {
            Ok(())
        } else {
            Err(format!(
                "'{}': {} takes {lo} to {hi} operands, got {}",
                self.op,
                self.verb,
                self.args.len()
            ))
        }
    }

    /// The error for an unknown verb: lists the area's operations.
    pub fn unknown(&self, format: &AreaFormat) -> String {
        format!(
            "unknown operation '{}' in area {}: expected one of {}",
            self.verb,
            format.area,
            format.op_names().join(", ")
        )
    }
}

/// `fail SITE ERRNO`: the site and the (negative) errno, checked against the site's
/// table of what the kernel can return there.
pub fn parse_fail(w: &OpWords) -> Result<(Site, i32), String> {
    w.arity(2)?;
    let site = Site::by_name(w.args[0]).ok_or_else(|| {
        format!(
            "'{}': unknown fault site '{}' (known: {})",
            w.op,
            w.args[0],
            SITES
                .iter()
                .filter(|s| s.area != "sched")
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    if site.is_spurious() {
        return Err(format!(
            "'{}': {} is a spurious-return site, not a failing call",
            w.op, w.args[0]
        ));
    }
    let name = w.args[1].trim_start_matches('-').to_ascii_uppercase();
    let errno = site
        .info()
        .errnos
        .iter()
        .copied()
        .find(|e| crate::model::trace::errno_name(*e).trim_start_matches('-') == name)
        .ok_or_else(|| {
            format!(
                "'{}': {} cannot return {} in the kernel (it returns {})",
                w.op,
                site.name(),
                w.args[1],
                crate::model::fault::errno_names(site.info()).join(", ")
            )
        })?;
    Ok((site, errno))
}

/// Render every area's format as a markdown table (docs/writing-scenarios.md and
/// `list --formats`).
pub fn formats_markdown() -> String {
    let mut s = String::new();
    for f in AREAS {
        s.push_str(&format!("### Area `{}`\n\nObjects (`[[object]]`):\n\n| kind | fields | what it is |\n|---|---|---|\n", f.area));
        for (k, fields, what) in f.objects {
            s.push_str(&format!("| `{k}` | {fields} | {what} |\n"));
        }
        s.push_str("\nOperations (`ops = [...]`):\n\n| operation | kernel | what it does |\n|---|---|---|\n");
        for (syntax, kernel, what) in f.ops.iter().chain(COMMON_OPS) {
            s.push_str(&format!("| `{syntax}` | `{kernel}` | {what} |\n"));
        }
        if !f.options.is_empty() {
            s.push_str("\nOptions (`[options]`, besides kernel, config, inject, inject_sites):\n\n| option | meaning |\n|---|---|\n");
            for (o, what) in f.options {
                s.push_str(&format!("| `{o}` | {what} |\n"));
            }
        }
        s.push('\n');
    }
    s
}

/// Tests of every area: the one-line error a rejected file text gives (as `t.toml`).
#[cfg(test)]
pub(crate) fn rejected(text: &str) -> String {
    match parse(Path::new("t.toml"), text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => {
            assert!(!e.contains('\n'), "one line: {e}");
            e
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_areas_are_located() {
        let e = parse(Path::new("t.toml"), "area = \"gpu\"\n").unwrap_err();
        assert!(
            e.starts_with("t.toml:1:8: unknown area 'gpu': expected one of ww"),
            "{e}"
        );
    }

    const ABBA: &str = "name = \"t\"\n[[object]]\nkind = \"lock\"\nname = \"A\"\n[[actor]]\nops = [\"transaction A\"]\n";

    #[test]
    fn common_options_reach_the_scenario() {
        let text = ABBA.replace(
            "[[object]]",
            "[options]\nkernel = \"6.18\"\nconfig = [\"proxy-exec\"]\ninject = 2\ninject_sites = \"drm_exec_obj_locked\"\n[[object]]",
        );
        let f = parse(Path::new("t.toml"), &text).unwrap();
        assert_eq!(f.kernel, Some(KernelVersion(6, 18)));
        assert!(f.scenario.options.config.has(KConfig::ProxyExec));
        assert_eq!(f.inject.budget, 2);
        assert_eq!(f.inject.sites.as_ref().map(Vec::len), Some(1));
        // A config the named kernel does not have is refused where it is written.
        let e = parse(Path::new("t.toml"), &text.replace("6.18", "6.12")).unwrap_err();
        assert!(
            e.starts_with("t.toml:3:10:") && e.contains("proxy-exec"),
            "{e}"
        );
        let e = parse(
            Path::new("t.toml"),
            &text.replace("inject = 2", "inject = 9"),
        )
        .unwrap_err();
        assert!(e.contains("at most 8"), "{e}");
    }

    #[test]
    fn fail_checks_the_site_and_its_errnos() {
        let ok = parse_fail(&OpWords::new("fail ttm_tt_swapout ENOMEM")).unwrap();
        assert_eq!(ok.0.name(), "ttm_tt_swapout");
        let e = parse_fail(&OpWords::new("fail no_such_site ENOMEM")).unwrap_err();
        assert!(e.contains("unknown fault site 'no_such_site'"), "{e}");
        let e = parse_fail(&OpWords::new("fail ttm_tt_swapout EDEADLK")).unwrap_err();
        assert!(e.contains("cannot return EDEADLK"), "{e}");
    }

    #[test]
    fn the_format_reference_in_the_docs_is_current() {
        let doc = include_str!("../../../docs/writing-scenarios.md");
        assert!(
            doc.ends_with(&formats_markdown()),
            "docs/writing-scenarios.md is stale: bash scripts/gen-formats-doc.sh"
        );
    }

    #[test]
    fn every_area_documents_its_operations() {
        let md = formats_markdown();
        for f in AREAS {
            assert!(!f.ops.is_empty() && !f.objects.is_empty(), "{}", f.area);
            assert!(md.contains(&format!("Area `{}`", f.area)));
        }
    }
}
