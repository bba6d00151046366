// Deeply nested view types exceed the default limit when the release bundle computes layouts.
#![recursion_limit = "512"]

//! Browser entry point: hydrates the server-rendered page into the interactive app.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
