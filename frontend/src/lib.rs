// Deeply nested view types exceed the default limit when the release bundle computes layouts.
#![recursion_limit = "512"]

//! Browser entry point: hydrates the server-rendered page into the interactive app.

use leptos::prelude::document;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = document().body() else {
        return;
    };
    // Asynchronous hydration waits for the chunk of a lazily loaded page before hydrating it
    // (app/src/ui/lazy_pages.rs), like `leptos::mount::hydrate_lazy`; only once all of the page
    // is live does the shell say so, as tests (and people) read `data-hydrated` to know that
    // every control answers.
    wasm_bindgen_futures::spawn_local(async move {
        leptos::mount::hydrate_from_async(body, app::App).await.forget();
        app::ui::shell::mark_hydrated();
    });
}
