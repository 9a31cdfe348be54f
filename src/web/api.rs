//! Pieces shared by the API operations: responses other than errors.

use poem::http::{StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, ToJSON, Type};
use poem_openapi::{ApiResponse, Object, Tags};

/// 201 with the created resource.
#[derive(ApiResponse)]
pub enum Created<T: ToJSON + ParseFromJSON + Send + Sync> {
    #[oai(status = 201)]
    Created(Json<T>),
}

/// 204: done, nothing to return.
#[derive(ApiResponse)]
pub enum NoContent {
    #[oai(status = 204)]
    NoContent,
}

/// A 200 JSON response written straight from the typed value with serde.
/// poem-openapi's `Json` first builds a `serde_json::Value` tree of the
/// whole response (an allocation per field and string copy; about an
/// eighth of a list request, BENCHMARKS.md), which a list of rows does not
/// need. The spec is `T`'s schema, so `T`'s serde form must be its
/// `ToJSON` form: the types sent this way are checked field for field
/// against `ToJSON` (`same_as_to_json` tests) and by the schemathesis run.
#[derive(Debug, Clone)]
pub struct Rows<T>(pub T);

impl<T: Type> Payload for Rows<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        Json::<T>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + serde::Serialize + Send> IntoResponse for Rows<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => Response::builder()
                .header(header::CONTENT_TYPE, <Self as Payload>::CONTENT_TYPE)
                .body(body),
            Err(e) => {
                tracing::error!(error = %e, "response not serialisable");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

impl<T: Type + serde::Serialize + Send> ApiResponse for Rows<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: <Self as Payload>::CONTENT_TYPE,
                    schema: <Self as Payload>::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// Paging information returned beside `items`.
#[derive(Debug, Clone, Object, serde::Serialize)]
pub struct PageInfo {
    /// Rows matching the filter, across all pages.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

impl<T> From<&crate::paging::Page<T>> for PageInfo {
    fn from(p: &crate::paging::Page<T>) -> Self {
        Self {
            total: p.total,
            limit: p.paging.limit,
            offset: p.paging.offset,
        }
    }
}

#[derive(Tags)]
pub enum ApiTags {
    /// Service status and fixed catalogues
    Catalogue,
    /// Municipalities and their wards
    Wards,
    /// Committee members (委員)
    Members,
    /// Meetings (会議)
    Meetings,
    /// Countermeasures (対応策) and the PDCA ladder
    Countermeasures,
}
