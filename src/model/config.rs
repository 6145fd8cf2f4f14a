//! Kernel configuration switches (`--config NAME`): Kconfig options that change what
//! kernel code does at run time, as opposed to variants (which change the code). A set of
//! them travels in `Options::config` (scenario default) and `RunConfig::config` (a hunt's
//! `--config`), and the machine of every execution sees their union.

use crate::model::baseline::KernelVersion;

/// One modelled Kconfig option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KConfig {
    /// CONFIG_SCHED_PROXY_EXEC (v6.17, kernel/sched/core.c `find_proxy_task`): a task
    /// blocked on a mutex stays on the runqueue as a donor and runs the owner instead of
    /// itself; it runs itself only once `blocked_on` is cleared or the owner is gone.
    ProxyExec,
    /// CONFIG_PREEMPT_RT (mainline since v6.12): every mutex, and so every ww_mutex, is an
    /// rt_mutex (kernel/locking/ww_rt_mutex.c on rtmutex.c: `ww::rt_mutex`, `ww::ww_rt`).
    PreemptRt,
    /// CONFIG_DEBUG_RT_MUTEXES: the rtmutex cmpxchg fast paths are off and every chain
    /// walk with a waiter detects deadlocks (`rt_mutex_cond_detect_deadlock`).
    DebugRtMutexes,
}

/// What the registry says about one option.
#[derive(Debug)]
pub struct KConfigInfo {
    pub config: KConfig,
    /// The `--config` name.
    pub name: &'static str,
    pub kconfig: &'static str,
    /// The first release with the option (`--kernel` older than this refuses it).
    pub since: KernelVersion,
    pub description: &'static str,
}

/// Every modelled option, in `KConfig` order.
pub static KCONFIGS: &[KConfigInfo] = &[
    KConfigInfo {
        config: KConfig::ProxyExec,
        name: "proxy-exec",
        kconfig: "CONFIG_SCHED_PROXY_EXEC",
        since: KernelVersion(6, 17),
        description: "proxy execution: a woken task whose task->blocked_on still names a mutex with a \
                      live owner other than itself does not run (it donates its time to the owner) \
                      until blocked_on is cleared or the owner releases",
    },
    KConfigInfo {
        config: KConfig::PreemptRt,
        name: "preempt-rt",
        kconfig: "CONFIG_PREEMPT_RT",
        since: KernelVersion(6, 12),
        description: "PREEMPT_RT: ww_mutexes are rt_mutexes (priority-ordered waiter rbtree, \
                      priority inheritance with the PI chain walk, the ww hooks of ww_rt_mutex.c); \
                      plain rt_mutexes can be used by scenarios",
    },
    KConfigInfo {
        config: KConfig::DebugRtMutexes,
        name: "debug-rt-mutexes",
        kconfig: "CONFIG_DEBUG_RT_MUTEXES",
        since: KernelVersion(6, 12),
        description: "rtmutex debugging: no cmpxchg fast paths, and deadlock detection in every \
                      chain walk with a waiter (only meaningful with preempt-rt)",
    },
];

impl KConfig {
    pub fn info(self) -> &'static KConfigInfo {
        &KCONFIGS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Parse a `--config` name: a one-line error lists the known ones.
    pub fn parse(name: &str) -> Result<KConfig, String> {
        KCONFIGS
            .iter()
            .find(|c| c.name == name.trim())
            .map(|c| c.config)
            .ok_or_else(|| {
                format!(
                    "unknown kernel config '{name}' (known: {})",
                    KCONFIGS
                        .iter()
                        .map(|c| c.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// A set of [`KConfig`] options (empty = the default configuration).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct KernelConfig(u32);

impl KernelConfig {
    pub const NONE: KernelConfig = KernelConfig(0);

    pub const fn of(c: KConfig) -> KernelConfig {
        KernelConfig(1 << c as u32)
    }

    pub fn with(self, c: KConfig) -> KernelConfig {
        KernelConfig(self.0 | 1 << c as u32)
    }

    pub fn union(self, o: KernelConfig) -> KernelConfig {
        KernelConfig(self.0 | o.0)
    }

    #[inline]
    pub fn has(self, c: KConfig) -> bool {
        self.0 & (1 << c as u32) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The options on, in registry order.
    pub fn iter(self) -> impl Iterator<Item = KConfig> {
        KCONFIGS
            .iter()
            .map(|c| c.config)
            .filter(move |c| self.has(*c))
    }

    /// Their `--config` names.
    pub fn names(self) -> Vec<String> {
        self.iter().map(|c| c.name().to_string()).collect()
    }

    /// Parse repeated `--config` names.
    pub fn parse_all(names: &[String]) -> Result<KernelConfig, String> {
        names.iter().try_fold(
            KernelConfig::NONE,
            |set, n| Ok(set.with(KConfig::parse(n)?)),
        )
    }

    /// Refuse options kernel `v` does not have (`--kernel 6.12 --config proxy-exec`).
    pub fn check_kernel(self, v: KernelVersion) -> Result<(), String> {
        for c in self.iter() {
            let info = c.info();
            if v < info.since {
                return Err(format!(
                    "--config {} needs kernel {} or later: kernel {v} has no {} (and no task->blocked_on)",
                    info.name, info.since, info.kconfig
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_old_kernels_refuse() {
        let set = KernelConfig::parse_all(&["proxy-exec".into()]).unwrap();
        assert!(set.has(KConfig::ProxyExec));
        assert_eq!(set.names(), vec!["proxy-exec".to_string()]);
        let e = KConfig::parse("nope").unwrap_err();
        assert!(
            e.starts_with("unknown kernel config 'nope' (known: proxy-exec"),
            "{e}"
        );
        assert!(!e.contains('\n'));
        assert!(set.check_kernel(KernelVersion(6, 12)).is_err());
        assert!(set.check_kernel(KernelVersion(6, 6)).is_err());
        assert!(set.check_kernel(KernelVersion(6, 17)).is_ok());
        for (i, c) in KCONFIGS.iter().enumerate() {
            assert_eq!(c.config as usize, i, "KCONFIGS in KConfig order");
        }
    }
}
