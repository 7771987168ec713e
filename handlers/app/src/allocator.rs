//! The global allocator.
//!
//! mimalloc instead of glibc's allocator: a GET allocates a few dozen small
//! blocks on one thread and frees them on the same one, which glibc served
//! with a tenth of the server's CPU (`perf record` under the plain GET).
//! Built without the `mimalloc` feature, glibc's stays, which heap profilers
//! such as heaptrack can follow (README, "Memory across retrains").
//!
//! Declared in the library, so that the binary, the tests and the benchmarks
//! all run on the allocator that is measured. Owns the allocator choice and
//! its settings only; must not depend on any other module.
//!
//! A retrain allocates its matrices on the blocking and rayon threads and
//! frees them when it ends. By default mimalloc keeps freed pages until their
//! thread allocates again, and huge pages stay whole while one block in them
//! lives, so the binary's RSS wandered between 210 and 360 MiB after a few
//! retrains of the bundled set with a live heap near 40 MiB. [`configure`]
//! (first thing in `main`) returns freed pages at once and keeps transparent
//! huge pages out of the heap, and [`release_freed_memory`] runs after each
//! job: 80 to 115 MiB, flat from the third retrain on (README, "Memory
//! across retrains"). The settings are the binary's: tests and in-process
//! benchmarks run on mimalloc's defaults.

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc 2's `mi_option_abandoned_page_purge` and `mi_option_purge_delay`:
/// their places in its `mi_option_e` (libmimalloc-sys names no constants for
/// them).
#[cfg(feature = "mimalloc")]
const MI_OPTION_ABANDONED_PAGE_PURGE: libmimalloc_sys::mi_option_t = 12;
#[cfg(feature = "mimalloc")]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Returns freed pages to the system at once (mimalloc waits 10 ms, and only
/// on the thread's next allocation), also those of a thread that ends (the
/// blocking pool's threads end 10 s after a job), and turns transparent huge
/// pages off for the process, as `MIMALLOC_PURGE_DELAY=0
/// MIMALLOC_ABANDONED_PAGE_PURGE=1 MIMALLOC_ALLOW_THP=0` would; an operator's
/// own setting of any of them wins. Call it before the threads start.
pub fn configure() {
    #[cfg(feature = "mimalloc")]
    {
        for (variable, option, value) in [
            ("MIMALLOC_PURGE_DELAY", MI_OPTION_PURGE_DELAY, 0),
            (
                "MIMALLOC_ABANDONED_PAGE_PURGE",
                MI_OPTION_ABANDONED_PAGE_PURGE,
                1,
            ),
        ] {
            if std::env::var_os(variable).is_none() {
                // SAFETY: setting an option is an atomic store in mimalloc.
                unsafe { libmimalloc_sys::mi_option_set(option, value) };
            }
        }
        #[cfg(target_os = "linux")]
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
            // What mimalloc does at start with MIMALLOC_ALLOW_THP=0; pages
            // faulted in from now on are small pages. A failure leaves THP on.
            // SAFETY: PR_SET_THP_DISABLE takes plain integers and no pointer.
            unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
        }
    }
}

/// [`release_freed_memory`] on the blocking pool: what a job calls as it ends.
pub async fn release_after_job() {
    let _ = tokio::task::spawn_blocking(release_freed_memory).await;
}

/// Hands the memory freed since the last call back to the system, from every
/// rayon worker (where training and the lists allocate), the calling thread
/// and the C library's heap. mimalloc keeps a freed page in its thread's heap
/// until that thread allocates again after the purge delay; the rayon
/// workers sleep between jobs, so without this each retrain's peak stayed
/// resident.
pub fn release_freed_memory() {
    #[cfg(feature = "mimalloc")]
    {
        // SAFETY: mi_collect only walks the calling thread's own heap.
        rayon::broadcast(|_| unsafe { libmimalloc_sys::mi_collect(true) });
        unsafe { libmimalloc_sys::mi_collect(true) };
    }
    // SQLite allocates with the C library's malloc, whose per-thread arenas
    // keep what a job's reads freed: RSS after 5 retrains was 2, 21 and 7%
    // over the first without this, 5, 12 and 6% under it with it.
    // SAFETY: takes a size only.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}
