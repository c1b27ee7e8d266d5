//! The binary answers --help with every command. (Having an integration test here also makes
//! `cargo test --workspace` build the `kenshu` binary that the black-box tests in `tests/` run.)

use std::process::Command;

#[test]
fn help_lists_every_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_kenshu"))
        .arg("--help")
        .output()
        .expect("run kenshu");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for command in [
        "serve",
        "migrate",
        "demo",
        "content",
        "institution",
        "division",
        "user",
        "import",
        "gen",
    ] {
        assert!(
            text.contains(command),
            "{command} missing from --help:\n{text}"
        );
    }
}

#[test]
fn an_unknown_command_fails_with_a_short_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_kenshu"))
        .arg("frobnicate")
        .output()
        .expect("run kenshu");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognized subcommand"));
}
