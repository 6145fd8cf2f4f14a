//! The named kernel baseline of the model, and the older kernels it can describe.
//!
//! The default model (no variant on) is one kernel: the dated mainline snapshot below.
//! Older kernels are the baseline plus the historical variants whose fix they lack
//! ([`variants_for`]); code that did not exist in them is not explored
//! ([`scenario_exists_in`]). What each modelled function's body follows is in
//! docs/traceability.md; the sources behind the version data are in docs/kernel-notes/.

use crate::model::variants::{Variant, VariantKind, VariantSet};

macro_rules! baseline_name {
    () => {
        "mainline 2026-09-21 (v7.3-rc4 window)"
    };
}

/// The kernel the default model is.
pub const BASELINE: &str = baseline_name!();

/// `ttm-model --version`: the crate version and the kernel it models.
pub const VERSION_LINE: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (kernel baseline: ",
    baseline_name!(),
    ")"
);

/// A mainline release `major.minor` (stable point releases are described by their
/// series; the registry records known backports in words).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelVersion(pub u32, pub u32);

/// The release line of the baseline.
pub const BASELINE_VERSION: KernelVersion = KernelVersion(7, 3);
/// The oldest kernel the registry describes (the oldest LTS with drm_exec).
pub const OLDEST: KernelVersion = KernelVersion(6, 6);
/// The LTS kernels with modelled code.
pub const LTS: &[KernelVersion] = &[KernelVersion(6, 6), KernelVersion(6, 12)];

impl KernelVersion {
    /// `v6.12`, `6.12`, `6.12.y` or `6.12.40` (the series is what counts).
    pub fn parse(s: &str) -> Result<KernelVersion, String> {
        let t = s.trim().trim_start_matches('v');
        let mut it = t.split('.');
        let num = |x: Option<&str>| x.and_then(|x| x.parse::<u32>().ok());
        match (num(it.next()), num(it.next())) {
            (Some(a), Some(b)) => Ok(KernelVersion(a, b)),
            _ => Err(format!(
                "bad kernel version '{s}': expected e.g. v6.12 or 6.6 ({})",
                describable()
            )),
        }
    }

    /// Parse a registry version string (`"6.13"`).
    pub fn of(s: &str) -> KernelVersion {
        Self::parse(s).expect("registry versions are well-formed")
    }
}

impl std::fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// What `--kernel` accepts, in words.
pub fn describable() -> String {
    format!(
        "the registry describes mainline {OLDEST} to {BASELINE_VERSION} (baseline: {BASELINE}); LTS kernels with modelled code: {}",
        LTS.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Check that the registry can describe `v`.
pub fn check_describable(v: KernelVersion) -> Result<(), String> {
    if v < OLDEST || v > BASELINE_VERSION {
        return Err(format!("cannot describe kernel {v}: {}", describable()));
    }
    Ok(())
}

/// Does kernel `v` have the bug of historical variant `var`? `None` when the registry
/// does not know (an unknown introduced or fixed version).
pub fn has_bug(var: Variant, v: KernelVersion) -> Option<bool> {
    let info = var.info();
    if info.kind != VariantKind::Historical {
        return Some(false);
    }
    let introduced = info.introduced_in.map(KernelVersion::of);
    let fixed = info.fixed_in.map(KernelVersion::of);
    match (introduced, fixed) {
        (None, None) => None,
        (i, f) => Some(i.is_none_or(|i| i <= v) && f.is_none_or(|f| v < f)),
    }
}

/// The variants that make the baseline into kernel `v`, and the historical variants whose
/// status in `v` the registry does not know (reported, left off).
pub fn variants_for(v: KernelVersion) -> (VariantSet, Vec<Variant>) {
    let mut set = VariantSet::NONE;
    let mut unknown = Vec::new();
    for var in Variant::ALL {
        match has_bug(var, v) {
            Some(true) => set = set.with(var),
            Some(false) => {}
            None => unknown.push(var),
        }
    }
    (set, unknown)
}

/// The release that brought the code a scenario exercises (None: not kernel code, e.g.
/// the shrinker-API design comparisons).
pub fn scenario_code_since(name: &str, area: &str) -> Option<KernelVersion> {
    let v = match area {
        "ww" if name.starts_with("exec-") || name.contains("drm-exec") => KernelVersion(6, 6),
        // task->blocked_on and CONFIG_SCHED_PROXY_EXEC (a4f0b6fef4b0 and the v6.17 pull).
        "ww" if name.contains("proxy-exec") => KernelVersion(6, 17),
        "ww" => KernelVersion(3, 11),
        // The Xe shrinker (ttm_bo_shrink, backup) and device hibernation preparation.
        "ttm"
            if ["shrink", "hibernate", "busy-gpu", "backup"]
                .iter()
                .any(|k| name.contains(k)) =>
        {
            KernelVersion(6, 15)
        }
        // Pinned resources off the manager LRU (4cce1373c17f) and `ttm_bo_populate`'s
        // re-add (fc5d96670eb2), which the sole-member scenarios exercise: v6.13.
        "ttm" if name.contains("sole-member") => KernelVersion(6, 13),
        // B22's scenario exercises eviction only: before the walker (v6.12) it runs
        // ttm_mem_evict_wait_busy (d367bd2a5e2b, v5.3), which --kernel turns on there.
        "ttm" if name == "ttm-evict-wait-busy" => KernelVersion(5, 3),
        // The LRU walker with hitch cursors (the v6.12 merge of the walker series; every
        // other TTM scenario walks the LRU).
        "ttm" => KernelVersion(6, 12),
        // drm_pagemap / drm_gpusvm / Xe SVM.
        "svm" => KernelVersion(6, 15),
        _ => return None,
    };
    Some(v)
}

/// Does kernel `v` have the code scenario `name` exercises?
pub fn scenario_exists_in(name: &str, area: &str, v: KernelVersion) -> bool {
    scenario_code_since(name, area).is_some_and(|since| since <= v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(KernelVersion::parse("v6.12").unwrap(), KernelVersion(6, 12));
        assert_eq!(
            KernelVersion::parse("6.12.y").unwrap(),
            KernelVersion(6, 12)
        );
        assert!(KernelVersion(6, 6) < KernelVersion(6, 12));
        assert!(KernelVersion::parse("six").is_err());
        assert!(check_describable(KernelVersion(5, 15)).is_err());
        assert!(check_describable(KernelVersion(7, 9)).is_err());
        assert!(check_describable(KernelVersion(6, 12)).is_ok());
    }

    #[test]
    fn older_kernels_get_the_bugs_they_still_have() {
        let (k612, _) = variants_for(KernelVersion(6, 12));
        assert!(k612.has(Variant::ExecEmptyArray), "fixed in 7.3");
        assert!(
            !k612.has(Variant::WakeQUnflushed),
            "introduced and fixed in 6.13"
        );
        assert!(!k612.has(Variant::BulkFirstNotAdvanced), "fixed in 6.5");
        let (base, _) = variants_for(BASELINE_VERSION);
        assert_eq!(
            base,
            VariantSet::NONE,
            "the baseline has every fix it names"
        );
    }
}
