//! Fault injection: every fallible kernel call of the model asks [`should_fail`] at a
//! named site before it does its work, in the spirit of the kernel's fault-injection
//! framework (`lib/fault-inject.c`: `should_fail()`, `failslab`, `fail_page_alloc`,
//! `ALLOW_ERROR_INJECTION` on a function) — one mechanism, one table of sites, each with
//! the errnos the kernel can really return there.
//!
//! What decides a failure is a *plan*: a list of "the k-th call at site S fails with E"
//! entries, at most `budget` of them taking effect in one execution. The plan is fixed
//! before the execution starts, so a failure replays exactly: the engines choose it and
//! record it with the schedule (`engine::inject`):
//!
//! * shuttle and threads sample a plan per execution from the (site, occurrence) pairs
//!   seen so far, from a seeded RNG of the engine (the plan is stored in the shuttle
//!   schedule of a failure, and replayed with it);
//! * loom enumerates plans: the empty plan, then every single (site, k, errno) it saw,
//!   then (for a budget of 2) extensions, each explored exhaustively at the bound.
//!
//! The state lives in the execution's [`Record`] (std types: bookkeeping that the
//! checkers must not permute).

use crate::model::task::Task;
use crate::model::trace::{
    EBUSY, EFAULT, EINTR, EINVAL, EIO, ENOMEM, ENOSPC, ERESTARTSYS, Ev, errno_name,
};
use serde::{Deserialize, Serialize};

/// One named fault site: a fallible kernel call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FaultSite {
    /// The site's name (the kernel function whose failure it injects).
    pub name: &'static str,
    /// `ww`, `ttm` or `svm`.
    pub area: &'static str,
    /// What the kernel can return there (negative errnos).
    pub errnos: &'static [i32],
    /// Where the failure comes from in the kernel (file, and the failing callee).
    pub kernel: &'static str,
}

/// Index of a site in [`SITES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Site(pub u16);

impl Site {
    pub fn info(self) -> &'static FaultSite {
        &SITES[self.0 as usize]
    }
    pub fn name(self) -> &'static str {
        self.info().name
    }
    pub fn by_name(name: &str) -> Option<Site> {
        SITES
            .iter()
            .position(|s| s.name == name)
            .map(|i| Site(i as u16))
    }
    pub fn all() -> impl Iterator<Item = Site> {
        (0..SITES.len()).map(|i| Site(i as u16))
    }
    /// A spurious-return site (area `sched`): it makes a sleep return early, it fails
    /// nothing; explored under the `--spurious` budget.
    pub fn is_spurious(self) -> bool {
        self.info().area == "sched"
    }
}

macro_rules! sites {
    ($($id:ident = $name:literal, $area:literal, [$($e:expr),+], $kernel:literal;)+) => {
        /// Every fault site of the model (`list --json` prints them as `fault_sites`).
        pub static SITES: &[FaultSite] = &[
            $(FaultSite { name: $name, area: $area, errnos: &[$(-$e),+], kernel: $kernel },)+
        ];
        /// The sites as constants, in table order.
        pub mod site {
            use super::Site;
            sites!(@consts 0u16; $($id)+);
        }
    };
    (@consts $n:expr; $id:ident $($rest:ident)*) => {
        pub const $id: Site = Site($n);
        sites!(@consts $n + 1u16; $($rest)*);
    };
    (@consts $n:expr;) => {};
}

sites! {
    // ww / drm_exec / dma-resv
    DRM_EXEC_OBJ_LOCKED = "drm_exec_obj_locked", "ww", [ENOMEM],
        "drivers/gpu/drm/drm_exec.c: kvrealloc_array() of exec->objects";
    DMA_RESV_RESERVE_FENCES = "dma_resv_reserve_fences", "ww", [ENOMEM],
        "drivers/dma-buf/dma-resv.c: dma_resv_list_alloc()";
    // TTM
    TTM_TT_CREATE = "ttm_tt_create", "ttm", [ENOMEM],
        "drivers/gpu/drm/ttm/ttm_bo.c: bdev->funcs->ttm_tt_create() (kzalloc)";
    TTM_TT_POPULATE = "ttm_tt_populate", "ttm", [ENOMEM],
        "drivers/gpu/drm/ttm/ttm_tt.c: ttm_pool_alloc() / bdev->funcs->ttm_tt_populate()";
    TTM_TT_SWAPOUT = "ttm_tt_swapout", "ttm", [ENOMEM],
        "drivers/gpu/drm/ttm/ttm_tt.c: shmem_file_setup() / shmem_read_mapping_page_gfp()";
    TTM_TT_SWAPIN = "ttm_tt_swapin", "ttm", [ENOMEM],
        "drivers/gpu/drm/ttm/ttm_tt.c: shmem_read_mapping_page_gfp() (ttm_tt_swapin)";
    TTM_TT_BACKUP = "ttm_tt_backup", "ttm", [ENOMEM, EINTR],
        "drivers/gpu/drm/ttm/ttm_pool.c: ttm_backup_backup_page() (shmem) in ttm_pool_backup()";
    TTM_TT_RESTORE = "ttm_tt_restore", "ttm", [ENOMEM, EINTR],
        "drivers/gpu/drm/ttm/ttm_pool.c: ttm_pool_restore_and_alloc()";
    TTM_RESOURCE_ALLOC = "ttm_resource_alloc", "ttm", [ENOMEM],
        "drivers/gpu/drm/ttm/ttm_resource.c: man->func->alloc() (kzalloc of the node)";
    TTM_BO_MOVE = "ttm_bo_handle_move_mem", "ttm", [ENOMEM, EIO, EINTR],
        "drivers/gpu/drm/ttm/ttm_bo.c: bdev->funcs->move() (driver copy / blit)";
    TTM_BO_WAIT_CTX = "ttm_bo_wait_ctx", "ttm", [EBUSY, ERESTARTSYS],
        "drivers/gpu/drm/ttm/ttm_bo_util.c: dma_resv_wait_timeout() (no_wait_gpu -> -EBUSY, signal)";
    XE_BO_SHRINK = "xe_bo_shrink", "ttm", [EBUSY, ENOMEM],
        "drivers/gpu/drm/xe/xe_bo.c: xe_bo_shrink() (pm ref, purge move, ttm_bo_shrink)";
    // SVM (drm_pagemap.c / drm_gpusvm.c @10dd1eaa80a5, mm/migrate_device.c, mm/hmm.c)
    MIGRATE_VMA_SETUP = "migrate_vma_setup", "svm", [EINVAL],
        "mm/migrate_device.c: migrate_vma_setup() argument checks (vma, range, src/dst, fault_page locked)";
    DRM_PAGEMAP_COPY_TO_DEVMEM = "copy_to_devmem", "svm", [EIO, ENOMEM],
        "drivers/gpu/drm/drm_pagemap.c: ops->copy_to_devmem() (xe_svm_copy: migrate job / fence)";
    DRM_PAGEMAP_COPY_TO_RAM = "copy_to_ram", "svm", [EIO, ENOMEM],
        "drivers/gpu/drm/drm_pagemap.c: ops->copy_to_ram() (xe_svm_copy: migrate job / fence)";
    DEVMEM_ALLOC = "drm_pagemap_populate_mm", "svm", [ENOMEM, ENOSPC],
        "drivers/gpu/drm/xe/xe_svm.c: xe_drm_pagemap_populate_mm() -> xe_bo_create_locked()";
    ALLOC_PAGE = "alloc_page", "svm", [ENOMEM],
        "drivers/gpu/drm/drm_pagemap.c: vma_alloc_folio()/folio_alloc() in drm_pagemap_migrate_populate_ram_pfn()";
    HMM_RANGE_FAULT = "hmm_range_fault", "svm", [EFAULT, EBUSY],
        "mm/hmm.c: hmm_vma_fault() (handle_mm_fault VM_FAULT_ERROR -> -EFAULT; notifier retry -> -EBUSY)";
    DRM_PAGEMAP_KVCALLOC = "kvcalloc", "svm", [ENOMEM],
        "drivers/gpu/drm/drm_pagemap.c: kvcalloc() of the migrate arrays (migrate_to_devmem, evict_to_ram, __drm_pagemap_migrate_to_ram)";
    DRM_PAGEMAP_ZDD_ALLOC = "drm_pagemap_zdd_alloc", "svm", [ENOMEM],
        "drivers/gpu/drm/drm_pagemap.c: kmalloc() of the zdd in drm_pagemap_migrate_to_devmem()";
    DRM_GPUSVM_KVMALLOC = "kvmalloc_array", "svm", [ENOMEM],
        "drivers/gpu/drm/drm_gpusvm.c: kvmalloc_array() of the hmm pfns (drm_gpusvm_get_pages, drm_gpusvm_range_evict)";
    // Spurious returns from schedule() (area `sched`, no errno: the call returns early;
    // budget `--spurious N`, not `--inject`).
    SCHEDULE_SPURIOUS = "schedule", "sched", [0],
        "kernel/sched/core.c: schedule() returns with no wakeup for this sleep (a stale wake_q entry, wake_q_add's \"the wakeup can come instantly\", an unrelated wake_up_process)";
    MUTEX_SPIN_NEED_RESCHED = "mutex_optimistic_spin", "sched", [0],
        "kernel/locking/mutex.c: mutex_optimistic_spin() fail: need_resched() -> __set_current_state(TASK_RUNNING), so the next schedule_preempt_disabled() returns at once";
}

/// One planned failure: the `occurrence`-th call (0-based, counted per site over the
/// whole execution) at `site` returns `errno`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PlanEntry {
    pub site: String,
    pub occurrence: u32,
    pub errno: i32,
}

impl PlanEntry {
    pub fn describe(&self) -> String {
        if Site::by_name(&self.site).is_some_and(Site::is_spurious) {
            return format!("{}#{} -> spurious return", self.site, self.occurrence);
        }
        format!(
            "{}#{} -> {}",
            self.site,
            self.occurrence,
            errno_name(self.errno)
        )
    }
}

/// A failure that was injected in this execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injected {
    pub task: u16,
    pub site: Site,
    pub occurrence: u32,
    pub errno: i32,
}

/// Per-execution injection state (lives in the `Record`).
#[derive(Clone, Debug, Default)]
pub struct InjectState {
    /// The plan of this execution (resolved to site indices).
    plan: Vec<(Site, u32, i32)>,
    /// At most this many of the plan's entries take effect.
    budget: u32,
    /// Calls seen per site so far (index = site).
    counts: Vec<u32>,
    pub injected: Vec<Injected>,
    /// The spurious returns taken (kept apart from `injected`: no call failed).
    pub spurious: Vec<Injected>,
    /// Failures a scenario asked for ([`force_next`]: a scenario file's `fail SITE ERRNO`):
    /// (task, site, errno), each consumed by that task's next call at the site. Outside
    /// the plan and its budget: they are part of the workload, not explored.
    forced: Vec<(u16, Site, i32)>,
}

impl InjectState {
    pub fn new(plan: &[PlanEntry], budget: u32) -> InjectState {
        InjectState {
            plan: plan
                .iter()
                .filter_map(|e| Site::by_name(&e.site).map(|s| (s, e.occurrence, e.errno)))
                .collect(),
            budget,
            counts: vec![0; SITES.len()],
            injected: Vec::new(),
            spurious: Vec::new(),
            forced: Vec::new(),
        }
    }

    /// The calls seen per site in this execution (what the engines learn plans from).
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    /// The part of the injection state that decides future calls (for the lasso
    /// fingerprint, `model::progress`): the injections made so far, and for every plan
    /// entry still ahead how many calls of its site remain until it fires. The raw call
    /// counts only grow, so hashing them would make every cycle through a fault site look
    /// new; leaving the plan out would make a state before an injection look like the
    /// same state after it.
    pub fn lasso_hash(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.injected.len().hash(&mut h);
        for (task, site, errno) in &self.forced {
            (task, site.0, errno).hash(&mut h);
        }
        if (self.injected.len() as u32) < self.budget {
            for (site, occ, errno) in &self.plan {
                let seen = self.counts.get(site.0 as usize).copied().unwrap_or(0);
                if *occ >= seen {
                    (site.0, occ - seen, errno).hash(&mut h);
                }
            }
        }
        h.finish()
    }

    fn decide(&mut self, task: u16, site: Site) -> Option<i32> {
        if self.counts.is_empty() {
            self.counts = vec![0; SITES.len()];
        }
        let k = self.counts[site.0 as usize];
        self.counts[site.0 as usize] += 1;
        if let Some(i) = self
            .forced
            .iter()
            .position(|(t, s, _)| *t == task && *s == site)
        {
            let (_, _, errno) = self.forced.remove(i);
            self.injected.push(Injected {
                task,
                site,
                occurrence: k,
                errno,
            });
            return Some(errno);
        }
        if (self.injected.len() + self.spurious.len()) as u32 >= self.budget {
            return None;
        }
        let errno = self
            .plan
            .iter()
            .find(|(s, occ, _)| *s == site && *occ == k)
            .map(|(_, _, e)| *e)?;
        let taken = Injected {
            task,
            site,
            occurrence: k,
            errno,
        };
        if site.is_spurious() {
            self.spurious.push(taken);
        } else {
            self.injected.push(taken);
        }
        Some(errno)
    }
}

/// Make `cur`'s next call at `site` fail with `errno` (negative): a workload that
/// re-creates a reported failure ("swapout failed with -ENOMEM"), as the kernel's
/// fault-injection debugfs knobs are set up before the test runs. It is traced and
/// counted as an injected failure, so the callers' error-path checks accept it.
pub fn force_next(cur: &Task, site: Site, errno: i32) {
    debug_assert!(errno < 0 && site.info().errnos.contains(&errno));
    cur.machine
        .rec
        .with(|r| r.inject.forced.push((cur.id, site, errno)));
}

/// `should_fail()` at a fault site: `Some(-errno)` if the plan of this execution fails
/// this call, else `None` (the call proceeds). An injected failure is in the trace as
/// `cpu1 ttm_tt_swapout(bo2) -> -ENOMEM [injected]`.
pub fn should_fail(cur: &Task, site: Site, obj: impl FnOnce() -> String) -> Option<i32> {
    let errno = cur.machine.rec.with(|r| r.inject.decide(cur.id, site))?;
    let obj = obj();
    cur.event(|| {
        Ev::Note(format!(
            "{}({obj}) -> {} [injected]",
            site.name(),
            errno_name(errno)
        ))
    });
    Some(errno)
}

/// Does this sleep return early (a spurious-return site, `site.is_spurious()`)? Asked by
/// the sleeper just before it would block; the plan decides as for a fault.
pub fn spurious_return(cur: &Task, site: Site) -> bool {
    debug_assert!(site.is_spurious());
    if cur
        .machine
        .rec
        .with(|r| r.inject.decide(cur.id, site))
        .is_none()
    {
        return false;
    }
    cur.event(|| Ev::Note(format!("{}: spurious return [injected]", site.name())));
    true
}

/// Did `cur` get an injected failure in this execution? Scenario expectations of
/// success hold only for tasks that saw none (a kernel caller sees the error too).
pub fn task_saw_injection(cur: &Task) -> bool {
    cur.machine
        .rec
        .with(|r| r.inject.injected.iter().any(|i| i.task == cur.id))
}

/// Was any failure injected in this execution?
pub fn any_injected(cur: &Task) -> bool {
    cur.machine.rec.with(|r| !r.inject.injected.is_empty())
}

/// Every errno used by a site, for the `list --json` table.
pub fn errno_names(site: &FaultSite) -> Vec<String> {
    site.errnos.iter().map(|e| errno_name(*e)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_table_is_consistent() {
        assert_eq!(site::TTM_TT_SWAPOUT.name(), "ttm_tt_swapout");
        for s in Site::all() {
            assert_eq!(Site::by_name(s.name()), Some(s));
            assert!(!s.info().errnos.is_empty());
            if s.is_spurious() {
                assert_eq!(s.info().errnos, &[0]);
            } else {
                assert!(s.info().errnos.iter().all(|e| *e < 0));
            }
        }
    }

    #[test]
    fn plan_fails_the_kth_call_within_budget() {
        let plan = vec![
            PlanEntry {
                site: "ttm_tt_swapout".into(),
                occurrence: 1,
                errno: -ENOMEM,
            },
            PlanEntry {
                site: "ttm_tt_populate".into(),
                occurrence: 0,
                errno: -ENOMEM,
            },
        ];
        let mut st = InjectState::new(&plan, 1);
        assert_eq!(st.decide(0, site::TTM_TT_SWAPOUT), None);
        assert_eq!(st.decide(0, site::TTM_TT_SWAPOUT), Some(-ENOMEM));
        // Budget spent: the populate entry does not take effect.
        assert_eq!(st.decide(1, site::TTM_TT_POPULATE), None);
        assert_eq!(st.injected.len(), 1);
    }

    #[test]
    fn a_forced_failure_hits_its_task_once_outside_the_budget() {
        let mut st = InjectState::new(&[], 0);
        st.forced.push((2, site::TTM_TT_SWAPOUT, -ENOMEM));
        // Another task's call, and another site, are not it.
        assert_eq!(st.decide(1, site::TTM_TT_SWAPOUT), None);
        assert_eq!(st.decide(2, site::TTM_TT_POPULATE), None);
        assert_eq!(st.decide(2, site::TTM_TT_SWAPOUT), Some(-ENOMEM));
        assert_eq!(st.decide(2, site::TTM_TT_SWAPOUT), None);
        assert_eq!(st.injected.len(), 1);
        assert_eq!(st.injected[0].occurrence, 1);
    }
}
