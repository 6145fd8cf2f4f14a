//! `struct ww_class` and `struct ww_acquire_ctx` with their lifecycle
//! (include/linux/ww_mutex.h: ww_acquire_init / ww_acquire_done / ww_acquire_fini).
//!
//! Field placement (which fields the checkers see) follows who can observe them:
//! * `class.stamp` is a model atomic: contexts race for tickets.
//! * `wounded` is a model atomic (Relaxed): set by other tasks under a lock's wait_lock,
//!   read racily by the owner in check_kill — the kernel's plain racy int.
//! * `acquired` is written only by the owning task. Other tasks read it only for waiters
//!   (die) or for themselves (wound's requester, check_kill), and a waiting context cannot
//!   change its count, so the value others read is fixed: a std atomic outside the
//!   checkers' view is exact, and keeps loom's state space small.
//! * Debug fields (`done_acquire`, `contending_lock`, injection counters) are owner-only.

use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use crate::model::task::Task;
use crate::model::trace::Ev;
use crate::ww::lockdep_ww;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering as Std};

/// `struct ww_class`: `DEFINE_WD_CLASS` (Wait-Die) or `DEFINE_WW_CLASS` (Wound-Wait).
#[derive(Debug)]
pub struct WwClass {
    pub name: &'static str,
    /// Lockdep class of the acquire contexts (`#ww_class "_acquire"`, `acquire_key`).
    pub acquire_name: &'static str,
    /// Lockdep class of the ww_mutexes (`#ww_class "_mutex"`, `mutex_key`).
    pub mutex_name: &'static str,
    pub id: usize,
    stamp: AtomicU64,
    pub is_wait_die: bool,
    /// Model registry: ctx id → ctx (lets `ww->ctx`, a pointer in the kernel, be an
    /// integer the checkers can track) and the set of live contexts (oldest check).
    ctxs: std::sync::Mutex<Vec<Arc<WwAcquireCtx>>>,
    used: AtomicUsize,
}

/// Context slots created with the class, i.e. before any task runs. In the kernel a
/// ctx lives on its task's stack and is initialised long before another task can find it
/// through `ww->ctx`; the ordering that makes that safe is the kernel's strong-fence
/// cumulativity (LKMM), which C11 (loom) does not give to the SB pair of §3.7. Creating
/// the atomics up front, and initialising them by stores in `ww_acquire_init`, keeps
/// loom from reporting the creation as a data race with a racing wound, without hiding
/// any ordering of the protocol itself.
const CTX_SLOTS: usize = 8;

/// Which algorithm a class uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Algo {
    WaitDie,
    WoundWait,
}

impl Algo {
    pub fn short(self) -> &'static str {
        match self {
            Algo::WaitDie => "wd",
            Algo::WoundWait => "ww",
        }
    }
}

impl WwClass {
    /// A class whose first ticket is `stamp_base + 1` (the kernel starts at 0; a base near
    /// `u64::MAX` exercises stamp wrap-around).
    pub fn new(name: &'static str, algo: Algo, stamp_base: u64) -> Arc<WwClass> {
        static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
        let id = NEXT_ID.fetch_add(1, Std::Relaxed);
        let is_wait_die = algo == Algo::WaitDie;
        let (acquire_name, mutex_name) = crate::ww::lockdep_ww::class_names(name);
        let slots = (1..=CTX_SLOTS)
            .map(|i| {
                Arc::new(WwAcquireCtx::slot(
                    i,
                    is_wait_die,
                    id,
                    (acquire_name, mutex_name),
                ))
            })
            .collect();
        Arc::new(WwClass {
            name,
            acquire_name,
            mutex_name,
            id,
            stamp: AtomicU64::new(stamp_base),
            is_wait_die,
            ctxs: std::sync::Mutex::new(slots),
            used: AtomicUsize::new(0),
        })
    }

    /// `reservation_ww_class` of drivers/dma-buf/dma-resv.c: Wait-Die.
    pub fn reservation() -> Arc<WwClass> {
        WwClass::new("reservation_ww_class", Algo::WaitDie, 0)
    }

    pub fn algo(&self) -> Algo {
        if self.is_wait_die {
            Algo::WaitDie
        } else {
            Algo::WoundWait
        }
    }

    /// Look up a context by its id (the kernel dereferences `ww->ctx`).
    pub(crate) fn ctx(&self, id: usize) -> Arc<WwAcquireCtx> {
        let g = self.ctxs.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(&g[id - 1])
    }

    /// Is `ctx` the oldest live context of this class (nobody live is older)? Judged by
    /// ticket issue order (the wrap-safe comparison), whatever variant is on: this is the
    /// ground truth the property checks the lock's decisions against.
    pub fn is_oldest(&self, ctx: &WwAcquireCtx) -> bool {
        let g = self.ctxs.lock().unwrap_or_else(|e| e.into_inner());
        !g.iter()
            .any(|o| o.id != ctx.id && o.live.load(Std::SeqCst) && ww_ctx_less(ctx, o, false))
    }

    /// Like `is_oldest`, but a context counts from the step that hands it its slot, not
    /// from the later step that marks it live: nobody initialised and not yet finished
    /// holds an older ticket.
    pub fn is_oldest_initialised(&self, ctx: &WwAcquireCtx) -> bool {
        let used = self.contexts_initialised();
        let g = self.ctxs.lock().unwrap_or_else(|e| e.into_inner());
        !g.iter().any(|o| {
            o.id != ctx.id
                && o.id <= used
                && !o.finished.load(Std::SeqCst)
                && ww_ctx_less(ctx, o, false)
        })
    }

    /// How many contexts of this class have been initialised so far (context ids are
    /// handed out in that order).
    pub fn contexts_initialised(&self) -> usize {
        self.used.load(Std::SeqCst)
    }

    /// Did a context initialised after the first `since` ones carry an older ticket than
    /// `ctx`? Taking the stamp is one atomic step and registering the context the next, so
    /// such a context was already in the ticket order when `ctx` looked oldest to
    /// `is_oldest`: `ctx` was never the oldest.
    pub fn older_initialised_since(&self, ctx: &WwAcquireCtx, since: usize) -> bool {
        let used = self.contexts_initialised();
        let g = self.ctxs.lock().unwrap_or_else(|e| e.into_inner());
        g.iter()
            .filter(|o| o.id > since && o.id <= used && o.id != ctx.id)
            .any(|o| ww_ctx_less(ctx, o, false))
    }
}

/// `struct ww_acquire_ctx` (with the DEBUG_WW_MUTEXES and SLOWPATH debug fields).
#[derive(Debug)]
pub struct WwAcquireCtx {
    /// 1-based id within the class (the value stored in `ww->ctx`).
    pub id: usize,
    task: std::sync::atomic::AtomicU16,
    stamp: std::sync::atomic::AtomicU64,
    pub is_wait_die: bool,
    pub class_id: usize,
    /// The class's lockdep classes (`_acquire`, `_mutex`), for `ww_acquire_fini`.
    pub(crate) lockdep_names: (&'static str, &'static str),
    pub(crate) acquired: AtomicUsize,
    pub(crate) wounded: AtomicBool,
    pub(crate) done_acquire: std::sync::atomic::AtomicBool,
    /// `contending_lock`: uid + 1 of the lock of the last -EDEADLK, 0 = NULL.
    pub(crate) contending_lock: AtomicUsize,
    pub(crate) finished: std::sync::atomic::AtomicBool,
    pub(crate) inject_countdown: AtomicU32,
    pub(crate) inject_interval: AtomicU32,
    /// Live = between init and fini (for the oldest-context property).
    pub(crate) live: std::sync::atomic::AtomicBool,
    /// Ghost: kills (-EDEADLK or drm_exec retries) suffered while the oldest live context.
    pub(crate) retries_while_oldest: AtomicUsize,
    /// Ghost: completed back-offs (times `acquired` dropped to 0) and the back-off epoch in
    /// which the last wound was received.
    pub(crate) backoff_epoch: AtomicUsize,
    pub(crate) wound_epoch: AtomicUsize,
}

impl WwAcquireCtx {
    /// `hold_ctx->wounded = 1` of `__ww_mutex_wound` (both placements, mutex.c and
    /// rtmutex.c), with the ghost record of which back-off epoch the wound predates, and
    /// its trace note.
    pub(crate) fn set_wounded(&self, cur: &crate::model::Task, by: &WwAcquireCtx, lock: &str) {
        self.wounded.store(true, Ordering::Relaxed);
        self.wound_epoch.store(
            self.backoff_epoch.load(std::sync::atomic::Ordering::SeqCst),
            std::sync::atomic::Ordering::SeqCst,
        );
        cur.event(|| {
            crate::model::trace::Ev::Note(format!(
                "__ww_mutex_wound({lock}): ctx#{} wounds ctx#{}",
                by.id, self.id
            ))
        });
    }

    /// A context slot of `class` (see [`WwClass::new`]: slots exist before any task runs).
    fn slot(
        id: usize,
        is_wait_die: bool,
        class_id: usize,
        lockdep_names: (&'static str, &'static str),
    ) -> WwAcquireCtx {
        WwAcquireCtx {
            id,
            task: std::sync::atomic::AtomicU16::new(0),
            stamp: std::sync::atomic::AtomicU64::new(0),
            is_wait_die,
            class_id,
            lockdep_names,
            acquired: AtomicUsize::new(0),
            wounded: AtomicBool::new(false),
            done_acquire: std::sync::atomic::AtomicBool::new(false),
            contending_lock: AtomicUsize::new(0),
            finished: std::sync::atomic::AtomicBool::new(false),
            inject_countdown: AtomicU32::new(0),
            inject_interval: AtomicU32::new(1),
            live: std::sync::atomic::AtomicBool::new(false),
            retries_while_oldest: AtomicUsize::new(0),
            backoff_epoch: AtomicUsize::new(0),
            wound_epoch: AtomicUsize::new(0),
        }
    }

    /// The ticket (`ctx->stamp`), fixed from `ww_acquire_init` on.
    pub fn stamp(&self) -> u64 {
        self.stamp.load(Std::SeqCst)
    }

    /// The task that called `ww_acquire_init` (`ctx->task`).
    pub fn task(&self) -> u16 {
        self.task.load(Std::SeqCst)
    }

    /// Number of ww_mutexes held through this context.
    pub fn acquired(&self) -> usize {
        self.acquired.load(Std::SeqCst)
    }

    pub(crate) fn contending(&self) -> Option<usize> {
        match self.contending_lock.load(Std::SeqCst) {
            0 => None,
            n => Some(n - 1),
        }
    }

    pub(crate) fn set_contending(&self, lock: Option<usize>) {
        self.contending_lock
            .store(lock.map_or(0, |l| l + 1), Std::SeqCst);
    }
}

/// `__ww_ctx_less(a, b)` (kernel/locking/ww_mutex.h, non-RT): a has lower priority than b,
/// i.e. a is younger: `(signed long)(a->stamp - b->stamp) > 0`. Variant `stamp-no-wrap`
/// compares raw stamps instead.
pub fn ww_ctx_less(a: &WwAcquireCtx, b: &WwAcquireCtx, stamp_no_wrap: bool) -> bool {
    if stamp_no_wrap {
        a.stamp() > b.stamp()
    } else {
        (a.stamp().wrapping_sub(b.stamp()) as i64) > 0
    }
}

/// `ww_acquire_init(ctx, ww_class)`: take the next ticket (relaxed increment-and-return).
/// SLOWPATH debug: interval 1, countdown `stamp & 0xf`.
pub fn ww_acquire_init(cur: &Task, class: &Arc<WwClass>) -> Arc<WwAcquireCtx> {
    let stamp = class.stamp.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
    let mut g = class.ctxs.lock().unwrap_or_else(|e| e.into_inner());
    let used = class.used.fetch_add(1, Std::SeqCst);
    if used >= g.len() {
        g.push(Arc::new(WwAcquireCtx::slot(
            used + 1,
            class.is_wait_die,
            class.id,
            (class.acquire_name, class.mutex_name),
        )));
    }
    let ctx = Arc::clone(&g[used]);
    drop(g);
    ctx.task.store(cur.id, Std::SeqCst);
    ctx.stamp.store(stamp, Std::SeqCst);
    ctx.wounded.store(false, Ordering::Relaxed);
    ctx.inject_countdown
        .store((stamp & 0xf) as u32, Std::SeqCst);
    ctx.live.store(true, Std::SeqCst);
    cur.event(|| {
        Ev::Note(format!(
            "ww_acquire_init(ctx#{}, {}) stamp={stamp}",
            ctx.id, class.name
        ))
    });
    // CONFIG_DEBUG_LOCK_ALLOC: ctx->dep_map, then first_lock_dep_map nested under it.
    lockdep_ww::acquire_init(cur, class);
    ctx
}

/// `ww_acquire_done(ctx)`: debug marker; `DEBUG_LOCKS_WARN_ON(ctx->done_acquire)` when
/// called twice (a WARN: the execution continues).
pub fn ww_acquire_done(cur: &Task, ctx: &WwAcquireCtx) {
    if ctx.done_acquire.swap(true, Std::SeqCst) {
        lockdep_ww::debug_locks_warn(
            cur,
            Property::ClientProtocol,
            format!(
                "DEBUG_LOCKS_WARN_ON(ctx->done_acquire): ww_acquire_done(ctx#{}) called twice",
                ctx.id
            ),
        );
    }
    cur.event(|| Ev::Note(format!("ww_acquire_done(ctx#{})", ctx.id)));
}

/// `ww_acquire_fini(ctx)`: lockdep releases `first_lock_dep_map` and `ctx->dep_map`;
/// DEBUG_WW_MUTEXES warns on locks still held (`DEBUG_LOCKS_WARN_ON(ctx->acquired)`). A
/// second fini is lockdep's "bad unlock balance" (or, without DEBUG_LOCK_ALLOC, the
/// `acquired = ~0U` poison tripping the same warn): reported as `client-protocol`. The
/// kernel's non-debug build does nothing; the model always checks. Each is a WARN.
pub fn ww_acquire_fini(cur: &Task, ctx: &WwAcquireCtx) {
    let twice = ctx.finished.swap(true, Std::SeqCst);
    if !twice {
        lockdep_ww::acquire_fini(cur, ctx.lockdep_names);
    }
    let held = ctx.acquired();
    if held != 0 {
        lockdep_ww::debug_locks_warn(
            cur,
            Property::ClientProtocol,
            format!(
                "DEBUG_LOCKS_WARN_ON(ctx->acquired): ww_acquire_fini(ctx#{}) with {held} lock(s) still held",
                ctx.id
            ),
        );
    }
    if twice {
        lockdep_ww::debug_locks_warn(
            cur,
            Property::ClientProtocol,
            format!(
                "ww_acquire_fini(ctx#{}) called twice (bad unlock balance of its dep_map)",
                ctx.id
            ),
        );
    }
    ctx.done_acquire.store(true, Std::SeqCst);
    ctx.live.store(false, Std::SeqCst);
    cur.event(|| Ev::Note(format!("ww_acquire_fini(ctx#{})", ctx.id)));
}
