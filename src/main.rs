fn main() {
    std::process::exit(keel::cli::run());
}
