//! How the engines explore fault injection (`model::fault`): which plan each execution
//! runs with.
//!
//! * [`Sampler`] (shuttle, threads): learns from every execution which calls it made at
//!   each site, and draws the next execution's plan from those (site, occurrence) pairs
//!   with the engine's seeded RNG: one in four executions runs without injection, the
//!   others fail `budget` uniformly chosen calls. The plan of a failing execution is
//!   stored with its schedule, so the replay injects exactly the same failures.
//! * [`plans_extending`] (loom): the plans one entry longer than a given plan, over what
//!   its exhaustive exploration reached; loom explores the empty plan, then every plan
//!   of size 1, ..., up to the budget, each exhaustively at the bound.

use crate::model::fault::{PlanEntry, SITES, Site};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// The injection limits of a hunt (`--inject N`, `--inject-sites a,b`, `--spurious N`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InjectConfig {
    /// At most this many injected failures per execution (0 = off).
    pub budget: u32,
    /// Only these sites fail (None = every site).
    pub sites: Option<Vec<Site>>,
    /// At most this many spurious returns from schedule() per execution (the `sched`
    /// sites; 0 = off). Independent of `budget`.
    pub spurious: u32,
}

impl InjectConfig {
    pub fn off() -> InjectConfig {
        InjectConfig::default()
    }

    pub fn budget(n: u32) -> InjectConfig {
        InjectConfig {
            budget: n,
            ..InjectConfig::default()
        }
    }

    /// Only spurious returns, at most `n` per execution.
    pub fn spurious(n: u32) -> InjectConfig {
        InjectConfig {
            spurious: n,
            ..InjectConfig::default()
        }
    }

    /// Is anything explored besides the schedules?
    pub fn any(&self) -> bool {
        self.budget > 0 || self.spurious > 0
    }

    pub fn allows(&self, site: Site) -> bool {
        if site.is_spurious() {
            return self.spurious > 0;
        }
        self.budget > 0 && self.sites.as_ref().is_none_or(|s| s.contains(&site))
    }

    /// Parse `--inject-sites a,b`: a one-line error names the known sites.
    pub fn parse_sites(list: &str) -> Result<Vec<Site>, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| {
                Site::by_name(name).ok_or_else(|| {
                    format!(
                        "unknown fault site '{name}' (known: {})",
                        SITES.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
                    )
                })
            })
            .collect()
    }
}

/// Every (site, occurrence, errno) entry an execution with these per-site call counts
/// could fail, in a stable order.
fn candidates(cfg: &InjectConfig, counts: &[u32]) -> Vec<PlanEntry> {
    let mut out = Vec::new();
    for site in Site::all() {
        if !cfg.allows(site) {
            continue;
        }
        let n = counts.get(site.0 as usize).copied().unwrap_or(0);
        for occurrence in 0..n {
            for errno in site.info().errnos {
                out.push(PlanEntry {
                    site: site.name().to_string(),
                    occurrence,
                    errno: *errno,
                });
            }
        }
    }
    out
}

/// Per-exploration plan sampler of the sampling engines.
#[derive(Debug)]
pub struct Sampler {
    cfg: InjectConfig,
    /// The most calls seen per site in one execution so far.
    seen: Vec<u32>,
    rng: SmallRng,
}

impl Sampler {
    pub fn new(cfg: &InjectConfig, seed: u64) -> Sampler {
        Sampler {
            cfg: cfg.clone(),
            seen: vec![0; SITES.len()],
            rng: SmallRng::seed_from_u64(seed ^ 0x6661_756c_7473),
        }
    }

    /// Learn from a finished execution's per-site call counts.
    pub fn observe(&mut self, counts: &[u32]) {
        for (s, c) in self.seen.iter_mut().zip(counts) {
            *s = (*s).max(*c);
        }
    }

    /// The plan of the next execution: faults (one in four executions without any),
    /// then spurious returns (every other execution has up to `spurious` of them).
    pub fn next_plan(&mut self) -> Vec<PlanEntry> {
        let mut plan = Vec::new();
        if self.cfg.budget > 0 && self.rng.gen_range(0..4) != 0 {
            let pool: Vec<PlanEntry> = candidates(&self.cfg, &self.seen)
                .into_iter()
                .filter(|e| !is_spurious_entry(e))
                .collect();
            if !pool.is_empty() {
                plan.extend(
                    (0..self.cfg.budget).map(|_| pool[self.rng.gen_range(0..pool.len())].clone()),
                );
            }
        }
        if self.cfg.spurious > 0 && self.rng.gen_range(0..2) != 0 {
            let pool: Vec<PlanEntry> = candidates(&self.cfg, &self.seen)
                .into_iter()
                .filter(is_spurious_entry)
                .collect();
            if !pool.is_empty() {
                plan.extend(
                    (0..self.cfg.spurious).map(|_| pool[self.rng.gen_range(0..pool.len())].clone()),
                );
            }
        }
        plan.sort();
        plan.dedup_by(|a, b| a.site == b.site && a.occurrence == b.occurrence);
        plan
    }
}

/// The plans one entry longer than `plan` over what its exploration reached (`counts`:
/// the most calls per site seen in one execution), each new entry after the plan's last
/// (so every set of entries is enumerated once). Empty once `plan` has `budget` entries.
pub fn plans_extending(
    cfg: &InjectConfig,
    plan: &[PlanEntry],
    counts: &[u32],
) -> Vec<Vec<PlanEntry>> {
    let spurious = plan.iter().filter(|e| is_spurious_entry(e)).count() as u32;
    let faults = plan.len() as u32 - spurious;
    candidates(cfg, counts)
        .into_iter()
        .filter(|e| {
            if is_spurious_entry(e) {
                spurious < cfg.spurious
            } else {
                faults < cfg.budget
            }
        })
        .filter(|e| {
            plan.last().is_none_or(|l| {
                (Site::by_name(&e.site), e.occurrence) > (Site::by_name(&l.site), l.occurrence)
            })
        })
        .map(|e| {
            let mut p = plan.to_vec();
            p.push(e);
            p
        })
        .collect()
}

/// Is this plan entry a spurious return (a `sched` site)?
fn is_spurious_entry(e: &PlanEntry) -> bool {
    Site::by_name(&e.site).is_some_and(Site::is_spurious)
}

/// `a,b -> E` rendering of a plan for reports.
pub fn describe(plan: &[PlanEntry]) -> String {
    if plan.is_empty() {
        return "no injected failure".to_string();
    }
    plan.iter()
        .map(PlanEntry::describe)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fault::site;

    fn counts(pairs: &[(Site, u32)]) -> Vec<u32> {
        let mut c = vec![0; SITES.len()];
        for (s, n) in pairs {
            c[s.0 as usize] = *n;
        }
        c
    }

    #[test]
    fn loom_plans_enumerate_each_set_once() {
        let cfg = InjectConfig::budget(2);
        let c = counts(&[(site::TTM_TT_POPULATE, 2), (site::TTM_TT_SWAPOUT, 1)]);
        let ones = plans_extending(&cfg, &[], &c);
        // populate#0, populate#1, swapout#0 (one errno each).
        assert_eq!(ones.len(), 3);
        let twos: usize = ones
            .iter()
            .map(|p| plans_extending(&cfg, p, &c).len())
            .sum();
        assert_eq!(twos, 3, "pairs of 3 entries");
        assert!(
            plans_extending(&cfg, &ones[0], &c)
                .iter()
                .all(|p| p.len() == 2)
        );
        let full = vec![ones[0][0].clone(), ones[1][0].clone()];
        assert!(plans_extending(&cfg, &full, &c).is_empty());
    }

    #[test]
    fn sampler_only_fails_calls_it_has_seen_and_respects_sites() {
        let cfg = InjectConfig {
            budget: 1,
            sites: Some(vec![site::TTM_TT_SWAPOUT]),
            spurious: 0,
        };
        let mut s = Sampler::new(&cfg, 7);
        assert!(s.next_plan().is_empty(), "nothing seen yet");
        s.observe(&counts(&[
            (site::TTM_TT_POPULATE, 5),
            (site::TTM_TT_SWAPOUT, 2),
        ]));
        let plans: Vec<_> = (0..64).map(|_| s.next_plan()).collect();
        assert!(plans.iter().any(|p| !p.is_empty()));
        assert!(
            plans.iter().any(|p| p.is_empty()),
            "some executions run clean"
        );
        for p in plans.iter().flatten() {
            assert_eq!(p.site, "ttm_tt_swapout");
            assert!(p.occurrence < 2);
        }
    }

    #[test]
    fn unknown_site_is_a_one_line_error() {
        let e = InjectConfig::parse_sites("ttm_tt_swapout,nope").unwrap_err();
        assert!(e.starts_with("unknown fault site 'nope'"), "{e}");
        assert!(!e.contains('\n'));
    }
}
