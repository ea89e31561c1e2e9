//! Snapshot checks for cases (the case inventory, JSONTestSuite outcomes, …).

use crate::CaseError;
use std::path::Path;

/// Compares `body` with the snapshot `name` under `conformance/src/snapshots`.
///
/// The path is absolute because insta's own workspace discovery runs `cargo metadata`, which
/// cannot work from inside an emulated target (Wine, qemu).
pub fn check(name: &str, body: &str) -> Result<(), CaseError> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("snapshots");
    let result = std::panic::catch_unwind(|| {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(dir);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(name, body));
    });
    result.map_err(|_| {
        CaseError::Fail(format!(
            "snapshot {name} changed: review it with `cargo insta review`"
        ))
    })
}
