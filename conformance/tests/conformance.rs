//! The conformance suite as `cargo test`: one trial per case of `conformance/cases`.

fn main() -> std::process::ExitCode {
    neurlang_conformance::harness::test_main()
}
