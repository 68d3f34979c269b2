//! Test component: every instance remembers what its calls wrote into its memory, so the host's
//! tests can check that a fresh instance never sees what an earlier one left behind — even
//! when the host recycles the earlier instance's memory slot in place.
//!
//! `normalize-identifier(raw)` answers `"<data>|<bss>|<grown>"` and then overwrites all three
//! with `raw`:
//! - `data`: an initialised static (`pristine` in the component's data segment);
//! - `bss`: a zero-initialised static (empty at first);
//! - `grown`: the first byte of the page the instance's first call adds with `memory.grow`, `0`
//!   on fresh memory (then set to the identifier's first byte).
//!
//! A fresh instance therefore answers `pristine||0`; a reused one shows the previous call.
#![allow(unsafe_code)] // reads and writes raw linear memory past the allocator, on purpose

use std::sync::Mutex;

use vigie_plugin_sdk::prelude::*;

/// The exported object type.
pub struct Remember;

static DATA: Mutex<[u8; 8]> = Mutex::new(*b"pristine");
static BSS: Mutex<String> = Mutex::new(String::new());

/// The page this instance added with `memory.grow`, on its first call.
#[cfg(target_arch = "wasm32")]
static GROWN_PAGE: Mutex<Option<usize>> = Mutex::new(None);

/// Swaps `byte` with the first byte of the page this instance grew its memory by (on its first
/// call: the page comes from the host, and must be zero).
#[cfg(target_arch = "wasm32")]
fn swap_in_grown_page(byte: u8) -> u8 {
    let mut grown = GROWN_PAGE.lock().unwrap_or_else(|e| e.into_inner());
    let page = *grown.get_or_insert_with(|| core::arch::wasm32::memory_grow(0, 1));
    assert!(page != usize::MAX, "memory.grow refused");
    let ptr = (page * 65_536) as *mut u8;
    // SAFETY: the page was added to linear memory by this instance and the allocator does not
    // know it; nothing else reads or writes it.
    unsafe {
        let before = ptr.read_volatile();
        ptr.write_volatile(byte);
        before
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn swap_in_grown_page(_byte: u8) -> u8 {
    0
}

impl ObjectType for Remember {
    fn manifest() -> Manifest {
        vigie_test_components_common::manifest("remember", "mémoire / memory")
    }
    fn normalize_identifier(raw: &str) -> Result<String, Diagnostic> {
        let mut fill = [b'.'; 8];
        for (slot, byte) in fill.iter_mut().zip(raw.bytes()) {
            *slot = byte;
        }
        let data = {
            let mut data = DATA.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::replace(&mut *data, fill)
        };
        let bss = {
            let mut bss = BSS.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::replace(&mut *bss, raw.to_owned())
        };
        let grown = swap_in_grown_page(raw.bytes().next().unwrap_or(b'?'));
        let grown = if grown == 0 { '0' } else { char::from(grown) };
        Ok(format!("{}|{bss}|{grown}", String::from_utf8_lossy(&data)))
    }
}

vigie_plugin_sdk::export_plugin!(Remember);
