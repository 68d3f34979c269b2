//! Public reads answered from the read cache (`vigie_http::cache`), documented as the JSON
//! they carry.

use std::marker::PhantomData;

use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaHeader, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;

/// A cached read: the bytes and headers the cache answered (200 in the best encoding the
/// client accepts, or 304 when its `If-None-Match` names the current content), documented
/// in the OpenAPI description as `T`.
pub(crate) struct Cached<T>(Response, PhantomData<fn() -> T>);

impl<T> Cached<T> {
    pub(crate) fn new(response: Response) -> Self {
        Self(response, PhantomData)
    }
}

impl<T> IntoResponse for Cached<T> {
    fn into_response(self) -> Response {
        self.0
    }
}

fn header(name: &str, description: &str) -> MetaHeader {
    MetaHeader {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        required: false,
        deprecated: false,
        schema: String::schema_ref(),
    }
}

impl<T: ApiResponse> ApiResponse for Cached<T> {
    fn meta() -> MetaResponses {
        let mut meta = T::meta();
        for r in &mut meta.responses {
            if r.status == Some(200) {
                r.headers.push(header(
                    "ETag",
                    "Tag of this content; send it back in `If-None-Match` to get 304 while it \
                     has not changed.",
                ));
                r.headers.push(header(
                    "Link",
                    "For a list with more items: `<url>; rel=\"next\"`, the next page.",
                ));
            }
        }
        meta.responses.push(MetaResponse {
            description: "Not modified: the content named by `If-None-Match` is still current.",
            status: Some(304),
            status_range: None,
            content: Vec::new(),
            headers: Vec::new(),
        });
        meta
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}
