//! `struct completion` (kernel/sched/completion.c): `complete`, `wait_for_completion`,
//! `completion_done`. Built on a model mutex + condition variable so that a waiter is
//! really blocked for the checkers; the kernel's swait queue adds nothing the scenarios
//! (test-ww_mutex synchronisation) depend on.

use crate::model::sync::{Condvar, Mutex};
use crate::model::task::Task;

#[derive(Debug)]
pub struct Completion {
    done: Mutex<u32>,
    cv: Condvar,
}

impl Default for Completion {
    fn default() -> Self {
        Self::new()
    }
}

impl Completion {
    pub fn new() -> Self {
        Completion {
            done: Mutex::new(0),
            cv: Condvar::new(),
        }
    }

    /// `complete(x)`.
    pub fn complete(&self) {
        *self.done.lock() += 1;
        self.cv.notify_all();
    }

    /// `wait_for_completion(x)`.
    pub fn wait_for_completion(&self, cur: &Task, what: &str) {
        let mut done = self.done.lock();
        if *done == 0 {
            cur.machine.set_blocked(
                cur.id,
                Some((format!("wait_for_completion({what})"), usize::MAX)),
            );
            while *done == 0 {
                self.cv.wait(&mut done);
            }
            cur.machine.set_blocked(cur.id, None);
        }
        *done -= 1;
    }

    /// `completion_done(x)`.
    pub fn completion_done(&self) -> bool {
        *self.done.lock() > 0
    }
}
