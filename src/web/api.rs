//! Pieces shared by the API operations: responses other than errors.

use poem_openapi::payload::Json;
use poem_openapi::types::{ParseFromJSON, ToJSON};
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

/// Paging information returned beside `items`.
#[derive(Debug, Clone, Object)]
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
