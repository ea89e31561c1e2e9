//! The standard library extensions (IDs 100–189: Vec, HashMap, String, JSON handles).
//!
//! Filled in by the stdlib work (issue 6); [`register_all`] is called by
//! [`ExtensionRegistry::with_builtins`](super::ExtensionRegistry::with_builtins).

use super::ExtensionRegistry;

/// Registers every stdlib extension with [`ExtensionRegistry::register_with_id`].
pub fn register_all(registry: &mut ExtensionRegistry) {
    let _ = registry;
}
