//! `ApiJson<T>`: the JSON body extractor of every API handler. A body that is not valid JSON
//! of the expected shape is refused with the project's error shape (422 `{error, request_id}`
//! saying what is wrong), never axum's plain-text rejection.

use axum::extract::{FromRequest, Request};
use axum::Json;
use serde::de::DeserializeOwned;

use super::AppError;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(AppError::Invalid(format!("invalid request body: {}", rejection.body_text()))),
        }
    }
}
