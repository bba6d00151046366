//! Photo uploads with a progress bar each: `XMLHttpRequest` (fetch reports no upload progress)
//! posting one multipart field `photo` to the upload URL. Browser only; the server build has a
//! stand-in that is never called.

use crate::returns::model::Photo;

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
/// What the server answered for a refused upload, or a message for a status without one.
pub fn refusal(status: u16, body: &str) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: String,
    }
    if let Ok(ErrorBody { error }) = serde_json::from_str::<ErrorBody>(body) {
        return error;
    }
    match status {
        0 => "the upload did not reach the shop; check your connection and try again".to_owned(),
        413 => "this photo is too large".to_owned(),
        415 => "this file is not a JPEG, PNG or WebP image".to_owned(),
        422 => "this photo cannot be added".to_owned(),
        other => format!("the upload failed (HTTP {other}); please try again"),
    }
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
/// The answer of a finished upload.
pub fn answer(status: u16, body: &str) -> Result<Photo, String> {
    if status == 201 || status == 200 {
        return serde_json::from_str::<Photo>(body).map_err(|_| "the shop's answer could not be read".to_owned());
    }
    Err(refusal(status, body))
}

#[cfg(feature = "hydrate")]
pub use browser::send;

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::{File, FormData, ProgressEvent, XmlHttpRequest};

    use super::answer;
    use crate::returns::model::Photo;

    fn js_error(err: JsValue) -> String {
        err.as_string().unwrap_or_else(|| "the upload could not be started in this browser".to_owned())
    }

    /// Posts `file` to `url`; `progress(loaded, total)` on each progress event, `done` once.
    pub fn send(
        url: &str,
        file: &File,
        progress: impl Fn(f64, f64) + 'static,
        done: impl FnOnce(Result<Photo, String>) + 'static,
    ) -> Result<(), String> {
        let xhr = XmlHttpRequest::new().map_err(js_error)?;
        xhr.open_with_async("POST", url, true).map_err(js_error)?;
        xhr.set_request_header("Accept", "application/json").map_err(js_error)?;
        let form = FormData::new().map_err(js_error)?;
        form.append_with_blob_and_filename("photo", file, &file.name()).map_err(js_error)?;
        let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |ev: ProgressEvent| {
            if ev.length_computable() {
                progress(ev.loaded(), ev.total());
            }
        });
        xhr.upload().map_err(js_error)?.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        let finished = xhr.clone();
        // Freed after its one call; it owns the progress handler, which goes with it.
        let on_end = Closure::once_into_js(move || {
            let _keep = on_progress;
            let status = finished.status().unwrap_or(0);
            let body = finished.response_text().ok().flatten().unwrap_or_default();
            done(answer(status, &body));
        });
        xhr.set_onloadend(Some(on_end.unchecked_ref()));
        xhr.send_with_opt_form_data(Some(&form)).map_err(js_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_carry_the_servers_message() {
        assert_eq!(refusal(413, r#"{"error":"photos may be at most 10 MB"}"#), "photos may be at most 10 MB");
        assert_eq!(refusal(415, "not json"), "this file is not a JPEG, PNG or WebP image");
        assert!(answer(201, "{").is_err());
    }
}
