//! No fast path: backends without a descriptor to probe (the forced poll(2) backend, event
//! ports) always take polling's full `wait`.

use std::io;

use polling::Poller;

use super::RawEvent;

/// Whether closing a descriptor removes it from the poller: not here (polling's poll(2)
/// backend keeps a table of its sources, which must be told).
pub(crate) const CLOSE_DEREGISTERS: bool = false;

/// Only zero-timeout probes here: blocking waits go through polling's `wait`.
pub(crate) const WAIT_BLOCKS: bool = false;

/// Always needs polling's own `wait`.
pub(crate) fn wait_now(
    _poller: &Poller,
    _out: &mut Vec<RawEvent>,
    _timeout: Option<std::time::Duration>,
) -> io::Result<bool> {
    Ok(true)
}
