//! The `eov` binary.

fn main() {
    std::process::exit(eov::app::main());
}
