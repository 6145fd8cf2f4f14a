//! The BO-level LRU walk: `__ttm_bo_lru_cursor_next`, `ttm_bo_lru_cursor_fini`,
//! `ttm_bo_lru_for_each_reserved_guarded` and `ttm_lru_walk_for_evict`
//! (`drivers/gpu/drm/ttm/ttm_bo_util.c` since bb8aa27eff6f, spec `ttm_lru.md` §5).
//!
//! The kernel's `scoped_guard` becomes [`BoCursor`]'s explicit `fini` on every exit path of
//! [`for_each_reserved_guarded`] (normal end, `break`, error); the cursor memory "dies"
//! right after, which the LRU checks (a hitch still linked then is a dangling node).

use super::MemType;
use super::bo::*;
use super::lru::CursorId;
use crate::model::property::Property;
use crate::model::sync::Arc;
use crate::model::task::Task;
use crate::model::trace::{EALREADY, EDEADLK, Ev, cpu_name};
use crate::model::variants::Variant;
use crate::ww::WwAcquireCtx;
use std::ops::ControlFlow;

/// `struct ttm_operation_ctx` (the fields the walk and eviction read).
#[derive(Clone, Debug, Default)]
pub struct OpCtx {
    pub interruptible: bool,
    pub no_wait_gpu: bool,
    /// `ctx->resv` with `allow_res_evict`: BOs sharing the caller's held resv count as
    /// locked.
    pub resv: Option<Arc<crate::ww::WwMutex>>,
    pub allow_res_evict: bool,
    /// Ghost, not a kernel field: the sleeping ticket locks of the current
    /// `ttm_bo_validate`'s evictions (set by it; `evict_busy::note_ticket_wait`).
    pub evict_waits: Option<super::evict_busy::EvictWaits>,
}

/// `struct ttm_lru_walk_arg`.
#[derive(Clone, Debug, Default)]
pub struct WalkArg {
    pub ctx: OpCtx,
    pub ticket: Option<Arc<WwAcquireCtx>>,
    pub trylock_only: bool,
}

/// `struct ttm_bo_lru_cursor`.
pub struct BoCursor<'a> {
    dev: &'a TtmDevice,
    cur: &'a Arc<Task>,
    res_curs: CursorId,
    pub bo: Option<Arc<TtmBo>>,
    needs_unlock: bool,
    started: bool,
    pub arg: WalkArg,
}

impl<'a> BoCursor<'a> {
    /// `ttm_bo_lru_cursor_init` → `ttm_resource_cursor_init`.
    pub fn init(cur: &'a Arc<Task>, dev: &'a TtmDevice, man: MemType, arg: WalkArg) -> Self {
        let res_curs = dev.lru(cur, |lru| lru.cursor_init(man, cur.id));
        BoCursor {
            dev,
            cur,
            res_curs,
            bo: None,
            needs_unlock: false,
            started: false,
            arg,
        }
    }

    /// `ttm_bo_lru_cursor_cleanup_bo`: unlock if we locked, put, forget.
    fn cleanup_bo(&mut self) {
        if let Some(bo) = self.bo.take() {
            if self.needs_unlock {
                dma_resv_unlock(self.cur, self.dev, &bo);
            }
            self.needs_unlock = false;
            ttm_bo_put(self.cur, self.dev, &bo);
        }
    }

    /// `ttm_lru_walk_trylock`.
    fn trylock(&mut self, bo: &TtmBo) -> bool {
        self.needs_unlock = false;
        if dma_resv_trylock(self.cur, self.dev, bo) {
            self.needs_unlock = true;
            return true;
        }
        let ctx = &self.arg.ctx;
        if ctx.allow_res_evict
            && let Some(resv) = &ctx.resv
            && resv.uid == bo.resv_uid()
        {
            dma_resv_assert_held(self.cur, bo, "ttm_lru_walk_trylock");
            return true;
        }
        false
    }

    /// `ttm_lru_walk_ticketlock`: one sleeping lock per walk (the ticket is cleared), with
    /// -EDEADLK mapped to -ENOSPC.
    fn ticketlock(&mut self, bo: &TtmBo) -> i32 {
        let ticket = self.arg.ticket.clone().expect("ticketlock needs a ticket");
        let mut ret = dma_resv_lock(
            self.cur,
            self.dev,
            bo,
            Some(&ticket),
            self.arg.ctx.interruptible,
        );
        if ret == 0 {
            super::evict_busy::note_ticket_wait(self.cur, self.dev, &self.arg.ctx, &ticket, bo);
            self.needs_unlock = true;
            self.arg.ticket = None;
        } else if ret == -EDEADLK {
            ret = -super::ENOSPC;
        }
        ret
    }

    /// `__ttm_bo_lru_cursor_next` (first call: `ttm_resource_manager_first`).
    pub fn next_bo(&mut self) -> Result<Option<Arc<TtmBo>>, i32> {
        self.cleanup_bo();
        let dev = self.dev;
        let cur = self.cur;
        loop {
            // One lru_lock section: find a resource whose BO we can lock and reference.
            let pick = dev.lru(cur, |lru| {
                loop {
                    let res = if self.started {
                        lru.cursor_next(self.res_curs)
                    } else {
                        self.started = true;
                        lru.cursor_first(self.res_curs)
                    };
                    let r = res?;
                    let bo = Arc::clone(&lru.bos[lru.res[r].bo.expect("LRU resource has a bo")]);
                    // ttm_lru_walk_trylock dereferences res->bo: it must not be freed
                    // memory (a resource handed to a BO that was then kfree'd).
                    if bo.f().destroyed {
                        cur.machine.fail(
                            Property::UseAfterFree,
                            format!(
                                "{} walks {}: {}->bo is {}, which was freed (res->bo dangles)",
                                cpu_name(cur.id),
                                super::mem_type_name(lru.res[r].mem_type),
                                lru.res_name(r),
                                bo.name
                            ),
                        );
                    }
                    let locked = self.trylock(&bo);
                    let can_ticket = self.arg.ticket.is_some()
                        && !self.arg.ctx.no_wait_gpu
                        && !self.arg.trylock_only;
                    if !locked && !can_ticket {
                        continue;
                    }
                    let got = if dev.m.variant(Variant::WalkerKrefGet) {
                        // B21-era walkers referenced what they found without checking
                        // that it is not already being destroyed.
                        bo.kref.get(&dev.m.rec);
                        true
                    } else {
                        ttm_bo_get_unless_zero(&bo)
                    };
                    if !got {
                        if self.needs_unlock {
                            dma_resv_unlock(cur, dev, &bo);
                            self.needs_unlock = false;
                        }
                        continue;
                    }
                    return Some((bo, lru.res[r].mem_type, locked));
                }
            });
            let Some((bo, mem_type, locked)) = pick else {
                return Ok(None);
            };
            let mut ret = 0;
            if !locked {
                ret = self.ticketlock(&bo);
            }
            self.bo = Some(Arc::clone(&bo));
            let still_here = bo.f().resource.is_some_and(|r| dev.res_mem(r) == mem_type);
            if ret == 0 && still_here {
                return Ok(Some(bo));
            }
            self.cleanup_bo();
            if ret != 0 && (ret != -EALREADY || dev.m.variant(Variant::EalreadyAbort)) {
                return Err(ret);
            }
        }
    }

    /// `ttm_bo_lru_cursor_fini`: drop the BO, unlink the hitch; then the memory dies.
    pub fn fini(mut self) {
        self.cleanup_bo();
        let c = self.res_curs;
        self.dev.lru(self.cur, |lru| {
            lru.cursor_fini(c);
            lru.cursor_free(c);
        });
    }
}

/// `ttm_bo_lru_for_each_reserved_guarded(curs, man, arg, bo) { body }`: each BO is yielded
/// locked (or pre-held) and referenced; the guard finishes the cursor on every exit.
/// Returns `Err` when the iteration ended on an ERR_PTR (lock error).
pub fn for_each_reserved_guarded(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    man: MemType,
    arg: WalkArg,
    mut body: impl FnMut(&mut WalkArg, &Arc<TtmBo>) -> ControlFlow<()>,
) -> Result<(), i32> {
    let mut curs = BoCursor::init(cur, dev, man, arg);
    let out = loop {
        match curs.next_bo() {
            Err(e) => break Err(e),
            Ok(None) => break Ok(()),
            Ok(Some(bo)) => {
                begin_processing(cur, dev, &bo);
                let flow = body(&mut curs.arg, &bo);
                end_processing(&bo);
                if flow.is_break() {
                    break Ok(());
                }
            }
        }
    };
    curs.fini();
    out
}

/// P5: a BO is processed by at most one walker at a time.
pub(crate) fn begin_processing(cur: &Task, dev: &TtmDevice, bo: &TtmBo) {
    let mut f = bo.f();
    if let Some(other) = f.processing {
        drop(f);
        dev.fail(
            Property::ConcurrentProcess,
            format!(
                "{} and {} process {} at the same time",
                cpu_name(other),
                cpu_name(cur.id),
                bo.name
            ),
        );
    }
    f.processing = Some(cur.id);
}

pub(crate) fn end_processing(bo: &TtmBo) {
    bo.f().processing = None;
}

/// `ttm_lru_walk_for_evict(walk, bdev, man, target)`: -EBUSY / -EALREADY from
/// `process_bo` are skips; a negative result ends the walk; stop at `target`.
pub fn ttm_lru_walk_for_evict(
    cur: &Arc<Task>,
    dev: &TtmDevice,
    man: MemType,
    arg: WalkArg,
    target: i64,
    mut process_bo: impl FnMut(&mut WalkArg, &Arc<TtmBo>) -> i64,
) -> i64 {
    cur.event(|| Ev::Call {
        f: "ttm_lru_walk_for_evict",
        obj: super::mem_type_name(man).into(),
        ctx: None,
    });
    let mut progress: i64 = 0;
    let end = for_each_reserved_guarded(cur, dev, man, arg, |arg, bo| {
        let mut lret = process_bo(arg, bo);
        if lret == -(crate::model::trace::EBUSY as i64) || lret == -(EALREADY as i64) {
            lret = 0;
        }
        if lret < 0 {
            progress = lret;
        } else {
            progress += lret;
        }
        if progress < 0 || progress >= target {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    let ret = match end {
        Err(e) => e as i64,
        Ok(()) => progress,
    };
    cur.event(|| Ev::Ret {
        f: "ttm_lru_walk_for_evict",
        obj: super::mem_type_name(man).into(),
        ret: ret as i32,
    });
    ret
}
