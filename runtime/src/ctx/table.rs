//! A table of small integer handles, POSIX-style: the lowest free number is reused.

use crate::errno::Errno;
use std::sync::{Arc, Mutex};

/// A handle in one of a context's tables (descriptor, task or channel number). Handles start
/// at [`Handle::FIRST`] so that 0, 1 and 2 never name anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(pub u64);

impl Handle {
    /// The first handle a table gives out.
    pub const FIRST: u64 = 3;
}

/// Objects behind `Arc`, so an operation in flight keeps its object alive across a `remove`.
#[derive(Debug)]
pub(crate) struct Table<T> {
    slots: Mutex<Vec<Option<Arc<T>>>>,
}

impl<T> Table<T> {
    /// The most live entries a table holds (`EMFILE` beyond).
    pub(crate) const LIMIT: usize = 1 << 16;

    pub(crate) fn new() -> Table<T> {
        Table {
            slots: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Option<Arc<T>>>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn insert(&self, value: T) -> Result<Handle, Errno> {
        let mut slots = self.lock();
        let index = match slots.iter().position(Option::is_none) {
            Some(i) => i,
            None if slots.len() < Self::LIMIT => {
                slots.push(None);
                slots.len() - 1
            }
            None => return Err(Errno::EMFILE),
        };
        slots[index] = Some(Arc::new(value));
        Ok(Handle(index as u64 + Handle::FIRST))
    }

    fn index(h: Handle) -> Option<usize> {
        usize::try_from(h.0.checked_sub(Handle::FIRST)?).ok()
    }

    pub(crate) fn get(&self, h: Handle) -> Option<Arc<T>> {
        let i = Self::index(h)?;
        self.lock().get(i).cloned().flatten()
    }

    pub(crate) fn remove(&self, h: Handle) -> Option<Arc<T>> {
        let i = Self::index(h)?;
        self.lock().get_mut(i).and_then(Option::take)
    }
}
