//! Evidence photos: streamed from the multipart body chunk by chunk through the metadata
//! scrubber into a temporary file in the upload folder (outside the public site), the size
//! counted as it streams. The type is decided from the content. A refused upload leaves
//! nothing behind: the temporary file is removed whatever happens, and the stored file gets its
//! random name (never the user's) only once the photo is accepted.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use axum::extract::multipart::Field;
use axum::extract::Multipart;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::model::{ImageKind, Photo, ReturnStatus};
use super::store::{self, StoredPhoto};
use crate::accounts::guard::Customer;
use crate::platform::{now_ms, AppError, AppState, Db};
use domain::returns::photo::{sniff, PhotoError, Scrubber, SNIFF_LEN};

/// Removes its file when dropped, unless kept.
struct FileGuard {
    path: Option<PathBuf>,
}

impl FileGuard {
    fn keep(mut self) {
        self.path = None;
    }
}

impl Drop for FileGuard {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A photo written to its final place, not yet recorded.
struct Written {
    id: String,
    kind: ImageKind,
    bytes: u64,
    guard: FileGuard,
}

fn io_error(err: std::io::Error) -> AppError {
    AppError::internal(format!("photo storage: {err}"))
}

fn human_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        let mb = bytes as f64 / MB as f64;
        if bytes.is_multiple_of(MB) {
            format!("{mb:.0} MB")
        } else {
            format!("{mb:.1} MB")
        }
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

fn photo_error(err: PhotoError) -> AppError {
    match err {
        PhotoError::UnsupportedType => AppError::UnsupportedMediaType(
            "this file is not a JPEG, PNG or WebP image (the type is read from the file itself, not its name)"
                .to_owned(),
        ),
        PhotoError::Malformed => AppError::Invalid("this image file is damaged or incomplete".to_owned()),
    }
}

fn too_many(max: usize) -> AppError {
    AppError::Invalid(format!("at most {max} photos can be added to one return"))
}

/// The path of a stored photo: its random id and the extension of its real type.
pub fn path_of(dir: &Path, id: &str, kind: ImageKind) -> PathBuf {
    dir.join(format!("{id}.{}", kind.extension()))
}

fn unreadable(e: axum::extract::multipart::MultipartError) -> AppError {
    AppError::Invalid(format!("the upload could not be read: {}", e.body_text()))
}

/// The first file field of the form (named `photo`).
async fn file_field(multipart: &mut Multipart) -> Result<Field<'_>, AppError> {
    match multipart.next_field().await.map_err(unreadable)? {
        Some(field) if field.name() == Some("photo") => Ok(field),
        Some(_) => Err(AppError::Invalid("send the photo in a form field named 'photo'".to_owned())),
        None => Err(AppError::Invalid("choose a photo to upload".to_owned())),
    }
}

/// Streams the field through the scrubber into the upload folder (see the module comment).
async fn write(dir: &Path, max_bytes: u64, mut field: Field<'_>) -> Result<Written, AppError> {
    tokio::fs::create_dir_all(dir).await.map_err(io_error)?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let temporary = dir.join(format!(".upload-{id}"));
    let mut guard = FileGuard { path: Some(temporary.clone()) };
    let mut file = tokio::fs::File::create(&temporary).await.map_err(io_error)?;
    let (mut head, mut out) = (Vec::with_capacity(SNIFF_LEN), Vec::new());
    let mut scrubber: Option<(ImageKind, Scrubber)> = None;
    let (mut received, mut written) = (0u64, 0u64);
    let too_large =
        || AppError::PayloadTooLarge(format!("this photo is too large: each may be at most {}", human_size(max_bytes)));
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| AppError::Invalid(format!("the upload could not be read: {}", e.body_text())))?
    {
        received = received.saturating_add(chunk.len() as u64);
        if received > max_bytes {
            return Err(too_large());
        }
        match scrubber.as_mut() {
            Some((_, s)) => s.push(&chunk, &mut out).map_err(photo_error)?,
            None => {
                head.extend_from_slice(&chunk);
                if head.len() >= SNIFF_LEN {
                    let kind = sniff(&head).ok_or_else(|| photo_error(PhotoError::UnsupportedType))?;
                    let mut s = Scrubber::new(kind);
                    s.push(&head, &mut out).map_err(photo_error)?;
                    scrubber = Some((kind, s));
                }
            }
        }
        file.write_all(&out).await.map_err(io_error)?;
        written = written.saturating_add(out.len() as u64);
        out.clear();
    }
    let Some((kind, scrubber)) = scrubber else {
        return Err(if head.is_empty() {
            AppError::Invalid("the photo is empty".to_owned())
        } else {
            photo_error(PhotoError::UnsupportedType)
        });
    };
    for patch in scrubber.finish().map_err(photo_error)? {
        file.seek(SeekFrom::Start(patch.offset)).await.map_err(io_error)?;
        file.write_all(&patch.bytes).await.map_err(io_error)?;
    }
    file.flush().await.map_err(io_error)?;
    drop(file);
    let stored = path_of(dir, &id, kind);
    tokio::fs::rename(&temporary, &stored).await.map_err(io_error)?;
    guard.path = Some(stored);
    Ok(Written { id, kind, bytes: written, guard })
}

/// Uploads a photo: a draft of the wizard (`return_id` None, attached when the return is
/// submitted) or one more photo of the customer's open return.
pub async fn upload(
    state: &AppState,
    customer: &Customer,
    return_id: Option<i64>,
    mut multipart: Multipart,
) -> Result<Photo, AppError> {
    if let Some(id) = return_id {
        match store::find(state.db.read(), id).await? {
            Some(r) if r.user_id == customer.id() => {
                if !matches!(r.status, ReturnStatus::Requested | ReturnStatus::Authorized | ReturnStatus::InTransit) {
                    return Err(AppError::Conflict("photos can no longer be added to this return".to_owned()));
                }
            }
            _ => return Err(super::service::not_found()),
        }
    }
    let field = file_field(&mut multipart).await?;
    store_field(state, customer, return_id, field).await
}

/// The photos of a plain form (`<input type="file" name="photo" multiple>`, no JavaScript), as
/// wizard drafts, one after the other; returns how many were stored. A browser sends an empty
/// part when no file was chosen: that is "choose a photo". The first refused photo ends it
/// (those before it stay).
pub async fn upload_form(state: &AppState, customer: &Customer, mut multipart: Multipart) -> Result<usize, AppError> {
    let mut stored = 0;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() != Some("photo") || field.file_name().is_none_or(str::is_empty) {
            continue;
        }
        store_field(state, customer, None, field).await?;
        stored += 1;
    }
    if stored == 0 {
        return Err(AppError::Invalid("choose a photo to upload".to_owned()));
    }
    Ok(stored)
}

async fn store_field(
    state: &AppState,
    customer: &Customer,
    return_id: Option<i64>,
    field: Field<'_>,
) -> Result<Photo, AppError> {
    let settings = &state.returns;
    let max = settings.policy.max_photos;
    if store::count_photos(&state.db, customer.id(), return_id).await? >= max as i64 {
        return Err(too_many(max));
    }
    let written = write(&settings.upload_dir, settings.policy.max_photo_bytes, field).await?;
    let photo = StoredPhoto {
        owner_id: customer.id(),
        return_id,
        photo: Photo {
            url: super::model::photo_url(&written.id),
            id: written.id.clone(),
            kind: written.kind,
            bytes: i64::try_from(written.bytes).unwrap_or(i64::MAX),
            uploaded_at_ms: now_ms(),
        },
    };
    if !store::insert_photo(&state.db, &photo, max as i64).await? {
        return Err(too_many(max));
    }
    written.guard.keep();
    Ok(photo.photo)
}

fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The photo, to its owner and to admins only (anyone else: 404), with its sniffed type.
pub async fn serve(state: &AppState, viewer: &Customer, id: &str) -> Result<Response, AppError> {
    let missing = || AppError::NotFound("no such photo".to_owned());
    if !valid_id(id) {
        return Err(missing());
    }
    let photo = store::photo(&state.db, id).await?.ok_or_else(missing)?;
    if photo.owner_id != viewer.id() && !viewer.user().role.is_admin() {
        return Err(missing());
    }
    let path = path_of(&state.returns.upload_dir, id, photo.photo.kind);
    let bytes = tokio::fs::read(&path).await.map_err(io_error)?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(photo.photo.kind.mime()));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    Ok(response)
}

/// Removes a draft photo (the customer changed their mind before submitting).
pub async fn delete_draft(state: &AppState, customer: &Customer, id: &str) -> Result<(), AppError> {
    let photo = match store::photo(&state.db, id).await? {
        Some(p) if p.owner_id == customer.id() && p.return_id.is_none() => p,
        _ => return Err(AppError::NotFound("no such draft photo".to_owned())),
    };
    if store::delete_draft(&state.db, customer.id(), id).await? {
        let _ = tokio::fs::remove_file(path_of(&state.returns.upload_dir, id, photo.photo.kind)).await;
    }
    Ok(())
}

/// Deletes the draft photos (uploaded in the wizard, never submitted) older than `ttl_ms` at
/// `now_ms`: the row first (a photo attached meanwhile is kept), then its file. Returns how
/// many were deleted. The refund worker runs it every few minutes; `now_ms` is injectable.
pub async fn sweep_drafts(db: &Db, dir: &Path, ttl_ms: i64, now_ms: i64) -> Result<usize, AppError> {
    let before = now_ms.saturating_sub(ttl_ms);
    let mut deleted = 0;
    for (id, kind) in store::stale_drafts(db, before).await? {
        if !store::delete_stale_draft(db, &id, before).await? {
            continue;
        }
        deleted += 1;
        match tokio::fs::remove_file(path_of(dir, &id, kind)).await {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                tracing::warn!(photo = %id, error = %err, "a stale draft photo's file could not be removed");
            }
            _ => {}
        }
    }
    Ok(deleted)
}
