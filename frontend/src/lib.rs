// Deeply nested view types exceed the default limit when the release bundle computes layouts.
#![recursion_limit = "512"]

//! Browser entry point: hydrates the server-rendered page into the interactive app.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Waits for the chunk of a lazily loaded page before hydrating it (app/src/ui/lazy_pages.rs).
    leptos::mount::hydrate_lazy(app::App);
}
