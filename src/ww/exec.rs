//! drm_exec (drivers/gpu/drm/drm_exec.c, include/drm/drm_exec.h) on GEM objects whose
//! `resv` is a ww_mutex of `reservation_ww_class` (Wait-Die), with `dma_resv_lock*`
//! mapped 1:1 onto `ww_mutex_lock*` as in include/linux/dma-resv.h.
//!
//! The baseline is mainline drm_exec.c (1fc5a74b, identical in this logic to the v7 patch
//! merged for v6.6): `drm_exec_lock_contended` lists the slow-locked contended object at
//! once and keeps it in `prelocked` only as a reference that `drm_exec_lock_obj` and
//! `drm_exec_unlock_all` drop. That breaks the `exec-lock-set` property in
//! `exec-evict-set` (finding `exec-prelocked-listed`); the unmerged B10 patch ("drm/exec:
//! don't immediately add the prelocked obj") is proposal `exec-prelocked-deferred`, which
//! lists the object only when the caller asks for it again. Allocation failures are fault sites
//! (`model::fault`): `drm_exec_obj_locked` (-ENOMEM from the `kvrealloc_array` of
//! `exec->objects`) and `dma_resv_reserve_fences` (-ENOMEM from `dma_resv_list_alloc`),
//! with the kernel's error paths (unlock the object just locked, drop the reference, and
//! return the error, which the caller propagates out of the loop before `drm_exec_fini`).
//! The array's capacity is not modelled: the kernel reallocates when it is full (from the
//! first object on when `drm_exec_init`'s `kvmalloc_array` failed and left
//! `max_objects == 0`), so every listing may be the one that reallocates.
//!
//! `drm_exec_until_all_locked { ... }` becomes [`DrmExec::until_all_locked`] with a
//! closure returning `ControlFlow`: `Continue` re-evaluates the loop condition
//! (`drm_exec_cleanup`), exactly where the kernel's normal end of body and
//! `drm_exec_retry_on_contention` (the [`drm_exec_retry_on_contention!`] macro) jump;
//! `Break(ret)` leaves the loop like the kernel's `goto error` / `break`.

use crate::model::Machine;
use crate::model::fault::{self, site};
use crate::model::kref::Kref;
use crate::model::property::Property;
use crate::model::sync::{Arc, yield_now};
use crate::model::task::Task;
use crate::model::trace::{EALREADY, EDEADLK, Ev};
use crate::model::variants::Variant;
use crate::ww::ctx::{WwAcquireCtx, WwClass, ww_acquire_done, ww_acquire_fini, ww_acquire_init};
use crate::ww::lock::{
    ww_mutex_lock, ww_mutex_lock_interruptible, ww_mutex_lock_slow,
    ww_mutex_lock_slow_interruptible, ww_mutex_unlock,
};
use crate::ww::mutex::WwMutex;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const DRM_EXEC_INTERRUPTIBLE_WAIT: u32 = 1 << 0;
pub const DRM_EXEC_IGNORE_DUPLICATES: u32 = 1 << 1;

/// `struct drm_gem_object`: a refcounted object with a reservation object.
#[derive(Debug)]
pub struct GemObject {
    pub name: Arc<str>,
    pub resv: Arc<WwMutex>,
    pub refcount: Kref,
    /// `dma_resv_reserve_fences` slots reserved so far.
    pub fences: AtomicUsize,
}

impl GemObject {
    /// `drm_gem_object_init`: one reference for the creator.
    pub fn new(machine: &Machine, name: &str, class: &Arc<WwClass>) -> Arc<GemObject> {
        Arc::new(GemObject {
            name: name.into(),
            resv: WwMutex::new(machine, name, class),
            refcount: Kref::new(name),
            fences: AtomicUsize::new(0),
        })
    }
}

/// `drm_gem_object_get(obj)`.
pub fn drm_gem_object_get(cur: &Task, obj: &GemObject) {
    obj.refcount.get(&cur.machine.rec);
}

/// `drm_gem_object_put(obj)`: the final put frees (poisons) the object.
pub fn drm_gem_object_put(cur: &Task, obj: &GemObject) {
    if obj.refcount.put(&cur.machine.rec) {
        cur.event(|| Ev::Note(format!("drm_gem_object_free({})", obj.name)));
    }
}

/// `dma_resv_reserve_fences(obj, num_fences)` (drivers/dma-buf/dma-resv.c): needs the
/// reservation held; -ENOMEM when `dma_resv_list_alloc` fails (fault site).
pub fn dma_resv_reserve_fences(cur: &Task, obj: &GemObject, num_fences: usize) -> i32 {
    obj.refcount
        .check_alive(&cur.machine.rec, "dma_resv_reserve_fences");
    if let Some(err) =
        fault::should_fail(cur, site::DMA_RESV_RESERVE_FENCES, || obj.name.to_string())
    {
        return err;
    }
    if cur.machine.holder(obj.resv.uid) != Some(cur.id) {
        cur.machine.fail(
            Property::ClientProtocol,
            format!("dma_resv_reserve_fences({}) without holding its reservation (dma_resv_assert_held)", obj.name),
        );
    }
    obj.fences.fetch_add(num_fences, Ordering::SeqCst);
    0
}

/// `exec->contended`: DRM_EXEC_DUMMY before the first loop iteration, NULL, or an object.
#[derive(Debug)]
enum Contended {
    Dummy,
    None,
    Obj(Arc<GemObject>),
}

/// `struct drm_exec`.
pub struct DrmExec {
    cur: Arc<Task>,
    class: Arc<WwClass>,
    pub flags: u32,
    ticket: Option<Arc<WwAcquireCtx>>,
    objects: Vec<Arc<GemObject>>,
    contended: Contended,
    prelocked: Option<Arc<GemObject>>,
    /// Ghost: resv uids the caller asked for in the current iteration.
    requested: Vec<usize>,
}

/// `drm_exec_retry_on_contention(exec)`: inside an `until_all_locked` body, go back to
/// the loop condition when a contention was detected.
#[macro_export]
macro_rules! drm_exec_retry_on_contention {
    ($exec:expr) => {
        if $exec.is_contended() {
            return ::std::ops::ControlFlow::Continue(());
        }
    };
}

impl DrmExec {
    /// `drm_exec_init(exec, flags, nr)`: the ticket is not initialised here.
    pub fn init(cur: &Arc<Task>, class: &Arc<WwClass>, flags: u32) -> DrmExec {
        DrmExec {
            cur: Arc::clone(cur),
            class: Arc::clone(class),
            flags,
            ticket: None,
            objects: Vec::new(),
            contended: Contended::Dummy,
            prelocked: None,
            requested: Vec::new(),
        }
    }

    /// The acquire context (`drm_exec_ticket()`), once the loop has started.
    pub fn ticket(&self) -> Option<&Arc<WwAcquireCtx>> {
        self.ticket.as_ref()
    }

    /// `drm_exec_is_contended(exec)`.
    pub fn is_contended(&self) -> bool {
        matches!(self.contended, Contended::Obj(_))
    }

    /// The locked-object list (`drm_exec_for_each_locked_object`).
    pub fn objects(&self) -> &[Arc<GemObject>] {
        &self.objects
    }

    /// `drm_exec_until_all_locked(exec) { body }`.
    pub fn until_all_locked(
        &mut self,
        mut body: impl FnMut(&mut DrmExec) -> ControlFlow<i32>,
    ) -> i32 {
        while self.cleanup() {
            if let ControlFlow::Break(ret) = body(self) {
                self.cur.machine.op_done(&self.cur);
                return ret;
            }
        }
        self.cur.machine.op_done(&self.cur);
        0
    }

    /// Mainline (finding `exec-prelocked-listed`, on unless proposal
    /// `exec-prelocked-deferred` removes it) and the v3 code both list the prelocked object
    /// at once; the B10 patch lists it when it is asked for.
    fn lists_prelocked(&self) -> bool {
        let m = &self.cur.machine;
        m.variant(Variant::ExecPrelockedListed) || m.variant(Variant::ExecPrelockedDoubleUnlock)
    }

    /// `drm_exec_unlock_all(exec)`: unlock in reverse order and drop references.
    fn unlock_all(&mut self) {
        let cur = Arc::clone(&self.cur);
        while let Some(obj) = self.objects.pop() {
            ww_mutex_unlock(&cur, &obj.resv);
            drm_gem_object_put(&cur, &obj);
        }
        if let Some(obj) = self.prelocked.take() {
            if !self.lists_prelocked() || cur.machine.variant(Variant::ExecPrelockedDoubleUnlock) {
                ww_mutex_unlock(&cur, &obj.resv);
            }
            drm_gem_object_put(&cur, &obj);
        }
    }

    /// `drm_exec_cleanup(exec)`: the loop condition.
    pub fn cleanup(&mut self) -> bool {
        let cur = Arc::clone(&self.cur);
        match &self.contended {
            Contended::None => {
                if let Some(t) = &self.ticket {
                    ww_acquire_done(&cur, t);
                }
                self.check_lock_set();
                false
            }
            Contended::Dummy => {
                self.contended = Contended::None;
                self.ticket = Some(ww_acquire_init(&cur, &self.class));
                self.requested.clear();
                true
            }
            Contended::Obj(obj) => {
                cur.event(|| {
                    Ev::Note(format!(
                        "drm_exec_cleanup: contended on {}, unlock all and retry",
                        obj.name
                    ))
                });
                let uid = obj.resv.uid as u64;
                self.unlock_all();
                // The restart of drm_exec_until_all_locked: a retry point. Its loop-carried
                // state is exec->contended (and the ticket, which never changes); the
                // objects are unlocked here, so the lock holders are the rest of the state.
                cur.machine.retry_point(
                    &cur,
                    "drm_exec_retry_on_contention (drm_exec_cleanup: unlock all, restart)",
                    &[("exec->contended", uid)],
                    uid,
                );
                self.check_retry_bound();
                self.requested.clear();
                yield_now();
                true
            }
        }
    }

    /// Bounded progress: once its ticket is the oldest, a transaction retries at most
    /// once (for a contention it met before becoming the oldest); Wait-Die never kills
    /// the oldest and a Wound-Wait wound needs an older context. Injection is exempt.
    fn check_retry_bound(&self) {
        let Some(ticket) = &self.ticket else { return };
        if self.cur.machine.opts.inject_edeadlk || !self.class.is_oldest(ticket) {
            return;
        }
        let n = ticket.retries_while_oldest.fetch_add(1, Ordering::SeqCst) + 1;
        if n > 2 {
            let m = &self.cur.machine;
            m.fail(
                Property::Livelock,
                crate::model::progress::retry_bound(
                    &m.rec,
                    self.cur.id,
                    &format!("drm_exec with ctx#{} (the oldest live ticket)", ticket.id),
                    n as u32,
                    "wound/wait lets the oldest context back off at most once, for a \
                     contention met before it became the oldest",
                ),
            );
        }
    }

    /// `exec-lock-set` (the B10 patch's intent): everything on the locked-object list was
    /// requested in the final iteration. Mainline breaks it (finding `exec-prelocked-listed`).
    fn check_lock_set(&self) {
        for obj in &self.objects {
            if !self.requested.contains(&obj.resv.uid) {
                self.cur.machine.fail(
                    Property::ExecLockSet,
                    format!(
                        "drm_exec lists {} as locked although the final iteration never asked for it",
                        obj.name
                    ),
                );
            }
        }
    }

    /// `drm_exec_obj_locked(exec, obj)`: track with a reference; -ENOMEM when growing
    /// the object array fails (`kvrealloc_array`, fault site), with nothing changed.
    fn obj_locked(&mut self, obj: &Arc<GemObject>) -> i32 {
        if let Some(err) = fault::should_fail(&self.cur, site::DRM_EXEC_OBJ_LOCKED, || {
            obj.name.to_string()
        }) {
            return err;
        }
        drm_gem_object_get(&self.cur, obj);
        self.objects.push(Arc::clone(obj));
        0
    }

    /// `drm_exec_lock_contended(exec)`: slow-lock the contended object first.
    fn lock_contended(&mut self) -> i32 {
        let obj = match std::mem::replace(&mut self.contended, Contended::None) {
            Contended::Obj(obj) => obj,
            other => {
                self.contended = other;
                return 0;
            }
        };
        let cur = Arc::clone(&self.cur);
        let ticket = Arc::clone(self.ticket.as_ref().expect("contended implies a ticket"));
        if self.flags & DRM_EXEC_INTERRUPTIBLE_WAIT != 0 {
            let ret = ww_mutex_lock_slow_interruptible(&cur, &obj.resv, &ticket);
            if ret != 0 {
                drm_gem_object_put(&cur, &obj);
                return ret;
            }
        } else {
            ww_mutex_lock_slow(&cur, &obj.resv, &ticket);
        }
        if self.lists_prelocked() {
            let ret = self.obj_locked(&obj);
            if ret != 0 {
                // error_unlock: / error_dropref:
                ww_mutex_unlock(&cur, &obj.resv);
                drm_gem_object_put(&cur, &obj);
                return ret;
            }
        }
        self.prelocked = Some(obj);
        0
    }

    /// `drm_exec_lock_obj(exec, obj)`.
    pub fn lock_obj(&mut self, obj: &Arc<GemObject>) -> i32 {
        let cur = Arc::clone(&self.cur);
        obj.refcount
            .check_alive(&cur.machine.rec, "drm_exec_lock_obj");
        self.requested.push(obj.resv.uid);
        let ret = self.lock_contended();
        if ret != 0 {
            return ret;
        }
        if self.prelocked.as_ref().is_some_and(|p| Arc::ptr_eq(p, obj)) {
            let p = self.prelocked.take().expect("checked above");
            if !self.lists_prelocked() {
                let ret = self.obj_locked(obj);
                if ret != 0 {
                    // As lock_contended's error_unlock: the prelocked object is unlocked
                    // and its reference dropped.
                    ww_mutex_unlock(&cur, &p.resv);
                    drm_gem_object_put(&cur, &p);
                    return ret;
                }
            }
            drm_gem_object_put(&cur, &p);
            return 0;
        }
        let ticket = Arc::clone(
            self.ticket
                .as_ref()
                .expect("lock_obj inside drm_exec_until_all_locked"),
        );
        let ret = if self.flags & DRM_EXEC_INTERRUPTIBLE_WAIT != 0 {
            ww_mutex_lock_interruptible(&cur, &obj.resv, Some(&ticket))
        } else {
            ww_mutex_lock(&cur, &obj.resv, Some(&ticket))
        };
        if ret == -EDEADLK {
            drm_gem_object_get(&cur, obj);
            self.contended = Contended::Obj(Arc::clone(obj));
            return -EDEADLK;
        }
        if ret == -EALREADY && self.flags & DRM_EXEC_IGNORE_DUPLICATES != 0 {
            return 0;
        }
        if ret != 0 {
            return ret;
        }
        let ret = self.obj_locked(obj);
        if ret != 0 {
            // error_unlock:
            ww_mutex_unlock(&cur, &obj.resv);
            return ret;
        }
        0
    }

    /// `drm_exec_unlock_obj(exec, obj)`: search from the newest entry.
    pub fn unlock_obj(&mut self, obj: &Arc<GemObject>) {
        if let Some(i) = self.objects.iter().rposition(|o| Arc::ptr_eq(o, obj)) {
            let o = self.objects.remove(i);
            ww_mutex_unlock(&self.cur, &o.resv);
            drm_gem_object_put(&self.cur, &o);
        }
    }

    /// `drm_exec_prepare_obj(exec, obj, num_fences)`.
    pub fn prepare_obj(&mut self, obj: &Arc<GemObject>, num_fences: usize) -> i32 {
        let ret = self.lock_obj(obj);
        if ret != 0 {
            return ret;
        }
        let ret = dma_resv_reserve_fences(&self.cur, obj, num_fences);
        if ret != 0 {
            self.unlock_obj(obj);
            return ret;
        }
        0
    }

    /// `drm_exec_prepare_array(exec, objects, num_objects, num_fences)` with the fix of
    /// 159720704d9d: an empty array still resolves the contention (variant
    /// `exec-empty-array`: it does not).
    pub fn prepare_array(&mut self, objects: &[Arc<GemObject>], num_fences: usize) -> i32 {
        if objects.is_empty() && !self.cur.machine.variant(Variant::ExecEmptyArray) {
            return self.lock_contended();
        }
        for obj in objects {
            let ret = self.prepare_obj(obj, num_fences);
            if ret != 0 {
                return ret;
            }
        }
        0
    }

    /// `drm_exec_fini(exec)`.
    pub fn fini(mut self) {
        self.unlock_all();
        let cur = Arc::clone(&self.cur);
        match std::mem::replace(&mut self.contended, Contended::Dummy) {
            Contended::Dummy => {}
            other => {
                if let Contended::Obj(obj) = other {
                    drm_gem_object_put(&cur, &obj);
                }
                if let Some(t) = &self.ticket {
                    ww_acquire_fini(&cur, t);
                }
            }
        }
    }
}
