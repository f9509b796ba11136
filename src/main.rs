fn main() {
    std::process::exit(scim_harness::cli::main());
}
