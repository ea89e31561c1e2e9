//! No fast path: backends without a descriptor to probe (the forced poll(2) backend, event
//! ports) always take polling's full `wait`.

use std::io;

use polling::Poller;

use super::RawEvent;

/// Always needs polling's own `wait`.
pub(crate) fn wait_now(_poller: &Poller, _out: &mut Vec<RawEvent>) -> io::Result<bool> {
    Ok(true)
}
