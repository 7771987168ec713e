//! The global allocator.
//!
//! mimalloc instead of glibc's allocator: a GET allocates a few dozen small
//! blocks on one thread and frees them on the same one, which glibc served
//! with a tenth of the server's CPU (`perf record` under the plain GET).
//! Built without the `mimalloc` feature, glibc's stays, which heap profilers
//! such as heaptrack can follow (README, "Memory across retrains").
//!
//! Declared in the library, so that the binary, the tests and the benchmarks
//! all run on the allocator that is measured. Owns the allocator choice only;
//! must not depend on any other module.

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Hands the memory freed since the last call back to the system, from every
/// rayon worker (where training and the lists allocate) and the calling
/// thread. mimalloc keeps a freed page in its thread's heap until that thread
/// allocates again after the purge delay; the rayon workers sleep between
/// jobs, so without this each retrain's peak stayed resident.
pub fn release_freed_memory() {
    #[cfg(feature = "mimalloc")]
    {
        // SAFETY: mi_collect only walks the calling thread's own heap.
        rayon::broadcast(|_| unsafe { libmimalloc_sys::mi_collect(true) });
        unsafe { libmimalloc_sys::mi_collect(true) };
    }
}
