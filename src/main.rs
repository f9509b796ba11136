/// mimalloc instead of the system allocator: on a 100,000-user cycle glibc's malloc spent a
/// fifth of the harness's main thread in `_int_malloc`, `malloc_consolidate` and
/// `unlink_chunk` (perf, Entra profile), and its arenas kept freed exchange bodies resident.
/// The library leaves the choice to whoever links it; the bench uses the same allocator as
/// this binary so that it measures what a vendor runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(scim_harness::cli::main());
}
