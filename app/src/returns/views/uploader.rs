//! Step 4: evidence photos. Files are chosen (a real file input, keyboard-usable) or dropped on
//! the zone; each is checked by the policy (count, size), uploaded with its own progress bar,
//! and shown as a thumbnail (served by the shop, so the CSP needs no `blob:`) with a button to
//! remove it before submitting. A refused file shows the server's message. Before the WASM has
//! loaded the same file input belongs to a plain multipart form (`POST /returns/new/photos`,
//! back to the wizard) and each photo's Remove button to a form of its own.

use leptos::prelude::*;

use super::steps::StepHeading;
use super::wizard::use_wizard;
#[cfg(feature = "hydrate")]
use super::wizard::WizardCtx;
use crate::returns::model::Photo;
use crate::returns::server_fns::{delete_draft_photo, DeleteDraftPhoto};
use leptos::server_fn::ServerFn;

/// One file sent in this visit.
#[derive(Clone, Debug)]
pub struct Upload {
    pub key: u64,
    pub name: String,
    pub loaded: RwSignal<f64>,
    pub total: RwSignal<f64>,
    pub done: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
}

impl Upload {
    pub fn in_flight(&self) -> bool {
        !self.done.get() && self.error.get().is_none()
    }
}

/// `10 MB` for a limit in bytes.
pub fn megabytes(bytes: u64) -> String {
    format!("{} MB", bytes / (1024 * 1024))
}

#[component]
pub fn PhotoStep() -> impl IntoView {
    let ctx = use_wizard();
    let policy = ctx.data.with_value(|d| d.config.policy.clone());
    let required = move || ctx.draft.with(|d| d.reason).filter(|r| policy.photo_required_for.contains(r));
    let limits = format!(
        "Up to {} photos, JPEG, PNG or WebP, at most {} each.",
        policy.max_photos,
        megabytes(policy.max_photo_bytes)
    );
    view! {
        <StepHeading title="Add photos"/>
        {move || match required() {
            Some(r) => view! { <p class="alert alert-warn" data-testid="photos-required">{format!("Photos are required for “{}”: add at least one.", r.label())}</p> }.into_any(),
            None => view! { <p class="muted">"Photos are optional for this reason, but they help us decide faster."</p> }.into_any(),
        }}
        <p class="muted">{limits}</p>
        <DropZone/>
        <UploadList/>
        <DraftPhotos/>
    }
}

#[component]
fn DropZone() -> impl IntoView {
    let ctx = use_wizard();
    let dragging = RwSignal::new(false);
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        if let Some(files) = ev.data_transfer().and_then(|t| t.files()) {
            start_files(ctx, &files);
        }
    };
    let on_pick = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            let input: web_sys::HtmlInputElement = event_target(&ev);
            if let Some(files) = input.files() {
                start_files(ctx, &files);
            }
            input.set_value("");
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, ctx);
    };
    view! {
        <form class="dropzone" class:dragging=dragging data-testid="dropzone"
            method="post" enctype="multipart/form-data" action=crate::returns::model::PHOTO_FORM_URL
            on:submit=|ev| ev.prevent_default()
            on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop>
            <p>"Drag photos here, or choose them:"</p>
            <label class="field" for="photo-input">"Photos"</label>
            <input id="photo-input" name="photo" type="file" multiple=true accept="image/jpeg,image/png,image/webp" data-testid="photo-input" on:change=on_pick/>
            // Once the WASM runs, a chosen file is sent at once, with its progress.
            {move || (!ctx.enhanced.get()).then(|| view! {
                <button type="submit" class="small" data-testid="photo-upload">"Upload"</button>
            })}
        </form>
    }
}

/// The uploads of this visit: a progress bar each, or why the file was refused.
#[component]
fn UploadList() -> impl IntoView {
    let ctx = use_wizard();
    view! {
        <ul class="uploads" data-testid="uploads">
            <For each=move || ctx.uploads.get() key=|u| u.key let:upload>
                <UploadRow upload/>
            </For>
        </ul>
    }
}

#[component]
fn UploadRow(upload: Upload) -> impl IntoView {
    let ctx = use_wizard();
    let key = upload.key;
    let dismiss = move |_| ctx.uploads.update(|list| list.retain(|u| u.key != key));
    let state = move || match (upload.done.get(), upload.error.get()) {
        (_, Some(_)) => "failed",
        (true, None) => "done",
        (false, None) => "uploading",
    };
    view! {
        <li class=move || format!("upload upload-{}", state()) data-testid="upload" data-state=state>
            <span class="upload-name">{upload.name.clone()}</span>
            <progress max=move || upload.total.get() value=move || upload.loaded.get()
                aria-label=format!("Upload of {}", upload.name) data-testid="upload-progress"></progress>
            {move || match upload.error.get() {
                Some(message) => view! {
                    <span class="field-error" role="alert" data-testid="upload-error">{message}</span>
                    <button type="button" class="small secondary" on:click=dismiss>"Dismiss"</button>
                }
                .into_any(),
                None if upload.done.get() => view! { <span class="muted">"Uploaded"</span> }.into_any(),
                None => view! { <span class="muted">"Uploading…"</span> }.into_any(),
            }}
        </li>
    }
}

/// The photos that will be attached, each removable.
#[component]
fn DraftPhotos() -> impl IntoView {
    let ctx = use_wizard();
    let failure = RwSignal::new(None::<String>);
    view! {
        <ul class="gallery" data-testid="draft-photos">
            <For each=move || ctx.draft.with(|d| d.photos.clone()) key=|p| p.id.clone() let:photo>
                <DraftPhoto photo failure/>
            </For>
        </ul>
        {move || failure.get().map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
    }
}

#[component]
fn DraftPhoto(photo: Photo, failure: RwSignal<Option<String>>) -> impl IntoView {
    let ctx = use_wizard();
    let id = photo.id.clone();
    let remove = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let id = id.clone();
        leptos::task::spawn_local(async move {
            match delete_draft_photo(id.clone()).await {
                Err(err) if err.status != 404 => failure.set(Some(err.message)),
                _ => {
                    failure.set(None);
                    ctx.draft.update(|d| d.photos.retain(|p| p.id != id));
                }
            }
        });
    };
    view! {
        <li data-testid="draft-photo">
            <a href=photo.url.clone() target="_blank" rel="noopener"><img src=photo.url.clone() alt="Uploaded photo"/></a>
            <form method="post" action=DeleteDraftPhoto::url() on:submit=remove>
                <input type="hidden" name="photo_id" value=photo.id.clone()/>
                <button type="submit" class="small secondary" data-testid="remove-photo">"Remove"</button>
            </form>
        </li>
    }
}

#[cfg(feature = "hydrate")]
fn start_files(ctx: WizardCtx, files: &web_sys::FileList) {
    let chosen: Vec<web_sys::File> = (0..files.length()).filter_map(|n| files.get(n)).collect();
    for file in chosen {
        start_upload(ctx, file);
    }
}

/// Checks one file against the policy, then sends it.
#[cfg(feature = "hydrate")]
fn start_upload(ctx: WizardCtx, file: web_sys::File) {
    use crate::returns::model::Reason;
    ctx.counter.update_value(|c| *c = c.saturating_add(1));
    let upload = Upload {
        key: ctx.counter.get_value(),
        name: file.name(),
        loaded: RwSignal::new(0.0),
        total: RwSignal::new(file.size().max(1.0)),
        done: RwSignal::new(false),
        error: RwSignal::new(None),
    };
    ctx.uploads.update(|list| list.push(upload.clone()));
    let (url, policy) = ctx.data.with_value(|d| (d.config.upload_url.clone(), d.config.policy.clone()));
    let in_flight = ctx.uploads.with_untracked(|list| list.iter().filter(|u| u.in_flight()).count());
    let (reason, photos) = ctx.draft.with_untracked(|d| (d.reason.unwrap_or(Reason::Other), d.photos.len()));
    if let Err(problem) = policy.check_photos(reason, photos.saturating_add(in_flight)) {
        upload.error.set(Some(problem.to_string()));
        return;
    }
    if file.size() > policy.max_photo_bytes as f64 {
        upload.error.set(Some(format!("this photo is larger than {}", megabytes(policy.max_photo_bytes))));
        return;
    }
    let progress = upload.clone();
    let finished = upload.clone();
    let sent = super::upload::send(
        &url,
        &file,
        move |loaded, total| {
            progress.total.set(total.max(1.0));
            progress.loaded.set(loaded);
        },
        move |answer| match answer {
            Ok(photo) => {
                finished.loaded.set(finished.total.get_untracked());
                finished.done.set(true);
                ctx.draft.update(|d| d.photos.push(photo));
            }
            Err(message) => finished.error.set(Some(message)),
        },
    );
    if let Err(message) = sent {
        upload.error.set(Some(message));
    }
}
